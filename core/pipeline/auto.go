package pipeline

import (
	"time"

	"github.com/xroam/xroam/sdk/encoder"
)

// Auto mode: with no encoding asked for, draws are lossless (rgb32),
// which suits text and UI updates: small, and exact. A window whose
// large areas update at video rate (a video, an animation) goes to the
// lossy encoder (a video stream of the whole window when that is a video
// encoding), which costs far fewer bytes per frame; when it settles it
// goes back to lossless, and the auto-refresh repaints what the lossy
// frames left approximate.

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
)

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
	for cut < len(win.big) && now.Sub(win.big[cut]) > videoWindow {
		cut++
	}
	win.big = win.big[cut:]
	if r.W*r.H >= videoArea {
		win.big = append(win.big, now)
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
	}
	if win.video && p.cfg.Lossy != nil {
		return p.cfg.LossyEncoding, p.cfg.Lossy
	}
	return "", nil
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
