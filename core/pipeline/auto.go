package pipeline

import (
	"time"

	"github.com/xroam/xroam/sdk/encoder"
)

// Auto mode: with no encoding asked for, draws are lossless (rgb32),
// which suits text and UI updates: small, and exact. A window whose
// large areas update at video rate (a video, an animation) goes to the
// lossy encoder, which costs far fewer bytes per frame; when it settles
// it goes back to lossless, and the auto-refresh repaints what the lossy
// frames left approximate. With a video encoding the stream covers only
// the region where the large updates happen (a video playing inside a
// page): the rest of the window stays lossless, as xpra's video
// subregion does.

const (
	// videoArea is the draw size, in pixels, that counts towards video
	// rate: text and widgets update in smaller pieces.
	videoArea = 128 * 128
	// videoWindow is the span over which the large draws are counted;
	// videoOn of them within it make a window video, fewer than
	// videoOff make it lossless again.
	videoWindow = time.Second
	videoOn     = 10
	videoOff    = 3
	// regionSlack: a video region that the recent large draws fill less
	// than 1/regionSlack of is shrunk to them; one they fit in is kept,
	// since every change of region restarts the stream with a key frame.
	regionSlack = 2
	// wholeShare: a region covering this share of the window (in
	// percent) is the whole window.
	wholeShare = 80
)

// bigDraw is one large draw of a window: when, and where.
type bigDraw struct {
	at time.Time
	r  Rect
}

// usesEncoders says whether frames may go to an encoder plugin, and so
// should be captured into shared memory.
func (p *Pipeline) usesEncoders() bool {
	return (p.cfg.Encoder != nil && p.cfg.Encoding != RGB32) || p.cfg.Lossy != nil
}

// encoderFor picks the encoder of a draw of area r: the pipeline's own
// encoding, or in auto mode the lossy one for a window at video rate;
// nil for the built-in rgb32.
func (p *Pipeline) encoderFor(win *window, r Rect, now time.Time) (string, encoder.Encoder) {
	if p.cfg.Encoder != nil && p.cfg.Encoding != RGB32 {
		return p.cfg.Encoding, p.cfg.Encoder
	}
	cut := 0
	for cut < len(win.big) && now.Sub(win.big[cut].at) > videoWindow {
		cut++
	}
	win.big = win.big[cut:]
	if r.W*r.H >= videoArea {
		win.big = append(win.big, bigDraw{at: now, r: r})
	}
	switch {
	case len(win.big) >= videoOn:
		win.video = true
	case len(win.big) < videoOff:
		if win.video {
			// Other draws paint over the video picture meanwhile: when
			// the window is video again its stream restarts with a
			// picture of its own.
			win.videoLost = true
		}
		win.video = false
		win.vregion = Rect{}
	}
	if win.video && p.cfg.Lossy != nil {
		if IsVideo(p.cfg.LossyEncoding) {
			p.videoRegion(win)
		}
		return p.cfg.LossyEncoding, p.cfg.Lossy
	}
	return "", nil
}

// videoRegion updates the area that a video window's stream covers: the
// box around its last videoOn large draws, with even sides (4:2:0), or the
// whole even-sized window when the box covers most of it. A new region
// restarts the stream.
func (p *Pipeline) videoRegion(win *window) {
	var box Rect
	for _, b := range win.big[max(len(win.big)-videoOn, 0):] {
		box = box.Union(b.r)
	}
	whole := Rect{X: 0, Y: 0, W: win.w &^ 1, H: win.h &^ 1}
	x0, y0 := box.X&^1, box.Y&^1
	box = Rect{X: x0, Y: y0, W: (box.X + box.W - x0 + 1) &^ 1, H: (box.Y + box.H - y0 + 1) &^ 1}.Intersect(whole)
	if box.Empty() || box.W*box.H*100 >= whole.W*whole.H*wholeShare {
		box = whole
	}
	cur := win.vregion
	if !cur.Empty() && cur.Union(box) == cur && cur.W*cur.H <= regionSlack*box.W*box.H {
		return
	}
	if !cur.Empty() && box != cur {
		win.videoLost = true
	}
	win.vregion = box
}

// SetLossy gives an auto-mode pipeline its lossy encoder (started after
// the client attached, as a plugin takes a moment to start).
func (p *Pipeline) SetLossy(name string, enc encoder.Encoder) {
	p.postOrStall(func() {
		if p.cfg.Encoder != nil && p.cfg.Encoding != RGB32 {
			return // an encoding was asked for by name
		}
		p.cfg.Lossy, p.cfg.LossyEncoding = enc, name
	})
}
