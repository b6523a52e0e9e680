package pipeline

import (
	"time"

	"github.com/xroam/xroam/sdk/encoder"
)

// Auto-refresh: a lossy draw leaves the client with an approximation.
// Once the area has stopped changing for AutoRefreshDelay, it is sent
// again losslessly (the built-in rgb32), so that a still picture ends up
// exact on the client.

// lossyEncodings are the encodings whose draws are approximations.
var lossyEncodings = map[string]bool{"jpeg": true, "webp": true, "h264": true, "vp8": true, "vp9": true}

// isLossy says whether a draw of enc at quality q loses detail (webp at
// quality 100 is lossless).
func isLossy(enc string, q int) bool {
	if enc == "webp" && q >= 100 {
		return false
	}
	return lossyEncodings[enc]
}

// afterDraw keeps track of the area a draw left lossy.
func (p *Pipeline) afterDraw(win *window, r Rect, enc string, lossless bool) {
	if lossless && r.Union(win.lossy) == r {
		win.lossy = Rect{}
		return
	}
	if !isLossy(enc, p.tune.quality()) {
		// A lossless draw that covers the lossy area repairs it; a
		// partial one leaves the refresh to do.
		if r.Union(win.lossy) == r {
			win.lossy = Rect{}
		}
		return
	}
	win.lossy = win.lossy.Union(r)
	p.armRefresh(win, p.cfg.AutoRefreshDelay)
}

// armRefresh checks the window's lossy area after delay.
func (p *Pipeline) armRefresh(win *window, delay time.Duration) {
	if p.cfg.AutoRefreshDelay <= 0 || win.refreshTimer {
		return
	}
	win.refreshTimer = true
	wid := win.wid
	time.AfterFunc(delay, func() {
		p.post(func() {
			if w := p.wins[wid]; w != nil {
				w.refreshTimer = false
				p.refreshLossy(w)
			}
		})
	})
}

// refreshLossy sends the lossy area again, losslessly, if the window has
// settled; otherwise it looks again when it may have.
func (p *Pipeline) refreshLossy(win *window) {
	if win.lossy.Empty() || !win.mapped {
		return
	}
	if quiet := time.Since(win.lastFlush); quiet < p.cfg.AutoRefreshDelay || !win.pending.Empty() {
		p.armRefresh(win, max(p.cfg.AutoRefreshDelay-quiet, time.Millisecond))
		return
	}
	win.lossless = true
	win.pending = win.pending.Union(win.lossy)
	p.flush(win)
}

// SetEncoding switches the draws to another encoding (with its encoder;
// nil for the built-in rgb32) and sends every window again in it.
func (p *Pipeline) SetEncoding(name string, enc encoder.Encoder) {
	p.postOrStall(func() {
		if enc == nil || name == "" {
			name, enc = RGB32, nil
		}
		p.cfg.Encoding, p.cfg.Encoder = name, enc
		// An encoding asked for by name ends the automatic choice.
		p.cfg.Lossy, p.cfg.LossyEncoding = nil, ""
		p.failing = false
		p.encName.Store(&name)
		for _, w := range p.wins {
			p.damage(w, Rect{X: 0, Y: 0, W: w.w, H: w.h})
		}
	})
}

// SetPicture changes one of quality, min-quality, speed or min-speed
// (0..100; 0 for quality or speed: tuned from the acks).
func (p *Pipeline) SetPicture(name string, v int) {
	p.postOrStall(func() { p.tune.set(name, v) })
}

// SetAutoRefresh changes the auto-refresh delay (0: none).
func (p *Pipeline) SetAutoRefresh(d time.Duration) {
	p.postOrStall(func() {
		p.cfg.AutoRefreshDelay = max(d, 0)
		for _, w := range p.wins {
			if !w.lossy.Empty() {
				p.armRefresh(w, p.cfg.AutoRefreshDelay)
			}
		}
	})
}

// SetBandwidthLimit changes the pacing of the draws, in bits per second
// (0: none).
func (p *Pipeline) SetBandwidthLimit(bps int64) {
	p.postOrStall(func() { p.bw.setRate(bps, time.Now()) })
}
