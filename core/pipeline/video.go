package pipeline

import (
	"fmt"
	"time"

	"github.com/xroam/xroam/sdk/encoder"
)

// H264, VP8 and VP9 are xpra's names of the video encodings.
const (
	H264 = "h264"
	VP8  = "vp8"
	VP9  = "vp9"
)

// IsVideo says whether an encoding is a video stream: every draw is the
// next picture of the whole window, which the encoder keeps per window.
func IsVideo(name string) bool {
	switch name {
	case H264, VP8, VP9:
		return true
	}
	return false
}

// flushVideo sends a video window's damage: what falls in its video
// region (see videoRegion) as the next picture of its stream, the rest
// as rgb32. 4:2:0 video needs an even width and height, so the last
// column or row of an odd-sized window is outside any region, as with
// xpra's own server and a video encoder's edges.
func (p *Pipeline) flushVideo(win *window, r Rect, now time.Time, name string, e encoder.Encoder) {
	area := win.vregion
	if area.Empty() {
		area = Rect{X: 0, Y: 0, W: win.w &^ 1, H: win.h &^ 1}
	}
	if !area.Empty() && !r.Intersect(area).Empty() {
		p.sendVideo(win, area, now, name, e)
	}
	for _, rest := range subtract(r, area) {
		p.sendRGB(win, rest, now)
	}
}

// subtract returns the parts of r outside cut, in at most four bands.
func subtract(r, cut Rect) []Rect {
	in := r.Intersect(cut)
	if in.Empty() {
		return []Rect{r}
	}
	var out []Rect
	for _, b := range []Rect{
		{X: r.X, Y: r.Y, W: r.W, H: in.Y - r.Y},                        // above
		{X: r.X, Y: in.Y + in.H, W: r.W, H: r.Y + r.H - in.Y - in.H},   // below
		{X: r.X, Y: in.Y, W: in.X - r.X, H: in.H},                      // left
		{X: in.X + in.W, Y: in.Y, W: r.X + r.W - in.X - in.W, H: in.H}, // right
	} {
		if !b.Empty() {
			out = append(out, b)
		}
	}
	return out
}

// sendVideo captures area (the video region) and sends it as one video
// picture, or as rgb32 if the encoder fails; the stream is then
// restarted by the next picture.
func (p *Pipeline) sendVideo(win *window, area Rect, now time.Time, name string, e encoder.Encoder) {
	pix := p.frameBuffer(area.W * area.H * 4)
	if err := p.capture(win.xid, area, pix); err != nil {
		p.cfg.Log.Debug("capture failed", "wid", win.wid, "err", err)
		return
	}
	win.seq++
	// The encoder keys its streams by this name: one per pipeline
	// (client) and window.
	opts := map[string]any{"stream": fmt.Sprintf("%p/%d", p, win.wid), "wid": win.wid}
	if win.videoLost {
		opts["restart"] = true
	}
	pkt, size := p.encode(win.wid, area, pix, win.seq, name, e, opts)
	enc := name
	win.videoLost = pkt == nil
	if pkt == nil {
		pkt, size = p.rgbDraw(win.wid, area, pix, win.seq)
		enc = RGB32
	}
	p.send(win, pkt, size, enc, area, now, false)
}

// sendRGB captures r and sends it as rgb32.
func (p *Pipeline) sendRGB(win *window, r Rect, now time.Time) {
	pix := p.frameBuffer(r.W * r.H * 4)
	if err := p.capture(win.xid, r, pix); err != nil {
		p.cfg.Log.Debug("capture failed", "wid", win.wid, "err", err)
		return
	}
	win.seq++
	pkt, size := p.rgbDraw(win.wid, r, pix, win.seq)
	p.send(win, pkt, size, RGB32, r, now, false)
}
