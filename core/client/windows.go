package client

import (
	"fmt"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11/xclient"
)

// window is one remote window and its local counterpart.
type window struct {
	wid   int64
	local xclient.Window
	or    bool
	x, y  int
	w, h  int
	meta  wire.Dict
	// backing holds the window's pixels, BGRX, w*h*4 bytes.
	backing       []byte
	resizeCounter int64
	// video decodes the window's h264, vp8 or vp9 stream, if it has one.
	video *h264Decoder
}

func (c *client) window(p wire.Packet) *window {
	wid, ok := p.Int(1)
	if !ok {
		return nil
	}
	return c.windows[wid]
}

func (c *client) title(meta wire.Dict) string {
	return expandTitle(c.cfg.Title, titleVars{
		title:         meta.Str("title", ""),
		clientMachine: meta.Str("client-machine", ""),
		serverMachine: c.server.Str("hostname", ""),
		sessionName:   c.server.Str("session_name", ""),
	})
}

// sizeHints converts xpra's size-constraints metadata.
func sizeHints(meta wire.Dict) xclient.SizeHints {
	sc := meta.Dict("size-constraints")
	var h xclient.SizeHints
	if sc == nil {
		return h
	}
	pair := func(k string) (int, int) {
		a, b, ok := sc.IntPair(k)
		if !ok {
			return 0, 0
		}
		return int(min(max(a, 0), 32767)), int(min(max(b, 0), 32767))
	}
	h.MinW, h.MinH = pair("minimum-size")
	h.MaxW, h.MaxH = pair("maximum-size")
	h.BaseW, h.BaseH = pair("base-size")
	h.IncW, h.IncH = pair("increment")
	_, _, h.Position = sc.IntPair("position")
	return h
}

func clampDim(v int64) int { return int(min(max(v, 1), 32767)) }

func (c *client) newWindow(p wire.Packet, or bool) {
	if len(p) < 6 {
		c.log.Warn("attach: malformed new-window packet", "len", len(p))
		return
	}
	wid, _ := p.Int(1)
	if _, dup := c.windows[wid]; dup || wid <= 0 {
		c.log.Warn("attach: bad or duplicate window id", "wid", wid)
		return
	}
	x, y := int(intAt(p, 2)), int(intAt(p, 3))
	w, h := clampDim(intAt(p, 4)), clampDim(intAt(p, 5))
	meta := p.Dict(6)
	if meta == nil {
		meta = wire.Dict{}
	}
	or = or || meta.Bool("override-redirect", false)
	fullscreen := !or && c.cfg.DesktopFullscreen && c.server != nil && (c.server.Bool("desktop", false) || c.server.Bool("shadow", false))
	if fullscreen {
		// A desktop session's screen follows its window (map-window
		// below asks for this size); a shadow's keeps its size.
		x, y = 0, 0
		if c.server.Bool("desktop", false) {
			scr := c.disp.Screen()
			w, h = clampDim(int64(scr.Width)), clampDim(int64(scr.Height))
		}
	}
	win := &window{wid: wid, or: or, x: x, y: y, w: w, h: h, meta: wire.Dict{}, backing: make([]byte, w*h*4)}
	for k, v := range meta {
		win.meta[k] = v
	}
	spec := xclient.WindowSpec{X: x, Y: y, Width: w, Height: h, OverrideRedirect: or,
		Hints: sizeHints(meta), Type: meta.Strings("window-type")}
	if !or || meta.Str("title", "") != "" {
		spec.Title = c.title(meta)
	}
	if ci := meta.Strings("class-instance"); len(ci) == 2 {
		spec.Instance, spec.Class = ci[0], ci[1]
	}
	if tf := meta.Int("transient-for", 0); tf > 0 {
		if parent := c.windows[tf]; parent != nil {
			spec.TransientFor = parent.local
		}
	}
	local, err := c.disp.CreateWindow(spec)
	if err != nil {
		c.log.Warn("attach: creating a window", "wid", wid, "err", err)
		return
	}
	win.local = local
	c.windows[wid] = win
	c.byLocal[local] = win
	if c.cursor != 0 {
		c.disp.SetWindowCursor(local, c.cursor)
	}
	st := metadataStates(meta, false)
	if fullscreen {
		st["fullscreen"] = true
	}
	if len(st) > 0 {
		c.disp.SetStates(local, st, false)
	}
	c.applyShape(local, meta)
	c.disp.Map(local)
	if !or {
		c.sendLog(wire.Packet{"map-window", wid, int64(x), int64(y), int64(w), int64(h), wire.Dict{}, wire.Dict{}})
	}
	c.log.Debug("attach: new window", "wid", wid, "title", spec.Title, "override-redirect", or, "geometry", fmt.Sprintf("%dx%d+%d+%d", w, h, x, y))
}

func (c *client) windowMetadata(p wire.Packet) {
	win := c.window(p)
	meta := p.Dict(2)
	if win == nil || meta == nil {
		return
	}
	for k, v := range meta {
		win.meta[k] = v
	}
	if meta.Has("title") || meta.Has("client-machine") {
		c.disp.SetTitle(win.local, c.title(win.meta))
	}
	if ci := meta.Strings("class-instance"); len(ci) == 2 {
		c.disp.SetClass(win.local, ci[0], ci[1])
	}
	if meta.Has("size-constraints") {
		c.disp.SetSizeHints(win.local, win.x, win.y, win.w, win.h, sizeHints(win.meta))
	}
	if meta.Has("window-type") {
		c.disp.SetType(win.local, meta.Strings("window-type"))
	}
	if st := metadataStates(meta, false); len(st) > 0 {
		c.disp.SetStates(win.local, st, true)
	}
	c.applyShape(win.local, meta)
}

// resize changes a window's size, keeping the pixels that still fit.
func (win *window) resize(w, h int) {
	if w == win.w && h == win.h {
		return
	}
	nb := make([]byte, w*h*4)
	cw := min(w, win.w) * 4
	for y := range min(h, win.h) {
		copy(nb[y*w*4:y*w*4+cw], win.backing[y*win.w*4:])
	}
	win.backing, win.w, win.h = nb, w, h
}

func (c *client) moveResize(p wire.Packet) {
	win := c.window(p)
	if win == nil || len(p) < 6 {
		return
	}
	win.x, win.y = int(intAt(p, 2)), int(intAt(p, 3))
	win.resize(clampDim(intAt(p, 4)), clampDim(intAt(p, 5)))
	if rc, ok := p.Int(6); ok {
		win.resizeCounter = rc
	}
	c.disp.MoveResize(win.local, win.x, win.y, win.w, win.h)
}

func (c *client) resized(p wire.Packet) {
	win := c.window(p)
	if win == nil || len(p) < 4 {
		return
	}
	win.resize(clampDim(intAt(p, 2)), clampDim(intAt(p, 3)))
	if rc, ok := p.Int(4); ok {
		win.resizeCounter = rc
	}
	c.disp.MoveResize(win.local, win.x, win.y, win.w, win.h)
}

func (c *client) lostWindow(p wire.Packet) {
	win := c.window(p)
	if win == nil {
		return
	}
	c.disp.Destroy(win.local)
	win.video.close()
	delete(c.windows, win.wid)
	delete(c.byLocal, win.local)
	if c.focused == win.wid {
		c.focused = 0
	}
}

// draw decodes a draw packet into the window's backing, paints the area
// and acknowledges it with the time taken (µs), or -1 and the error.
func (c *client) draw(p wire.Packet) {
	wid, _ := p.Int(1)
	seq := intAt(p, 8)
	width, height := intAt(p, 4), intAt(p, 5)
	ack := func(us int64, msg string) {
		c.sendLog(wire.Packet{"damage-sequence", seq, wid, width, height, us, msg})
	}
	win := c.windows[wid]
	if win == nil {
		if p.Str(6) == mmapCoding && len(p) > 7 {
			// The area must be freed even for a window that is gone.
			if _, release, err := c.mmap.pixels(p[7]); err == nil {
				release()
			}
		}
		ack(0, "")
		return
	}
	if len(p) < 10 {
		ack(-1, "malformed draw packet")
		return
	}
	t0 := time.Now()
	if err := c.paintDraw(win, p); err != nil {
		c.log.Warn("attach: draw failed", "wid", wid, "coding", p.Str(6), "err", err)
		ack(-1, err.Error())
		return
	}
	us := max(time.Since(t0).Microseconds(), 1)
	c.log.Debug("attach: draw", "wid", wid, "seq", seq, "coding", p.Str(6), "size", fmt.Sprintf("%dx%d", width, height), "us", us)
	ack(us, "")
}

func (c *client) paintDraw(win *window, p wire.Packet) error {
	x, y := int(intAt(p, 2)), int(intAt(p, 3))
	w, h := int(intAt(p, 4)), int(intAt(p, 5))
	coding := p.Str(6)
	opts := p.Dict(10)
	if opts == nil {
		opts = wire.Dict{}
	}
	if coding == "scroll" {
		moves, err := parseScrolls(p[7])
		if err != nil {
			return fmt.Errorf("scroll: %w", err)
		}
		win.scroll(c.disp, moves)
		return nil
	}
	var pix []byte
	var err error
	if _, ok := videoCodings[coding]; ok {
		pix, err = win.decodeVideo(coding, p.Bytes(7), w, h, opts)
	} else if coding == mmapCoding {
		var raw []byte
		var release func()
		raw, release, err = c.mmap.pixels(p[7])
		if err == nil {
			// decodeRGB may return a view of the area: paint from it
			// before freeing it.
			defer release()
			pix, err = decodeRGB("rgb32", raw, w, h, int(intAt(p, 9)), wire.Dict{"rgb_format": opts.Str("rgb_format", "")})
		}
	} else {
		pix, err = decodeDraw(coding, p.Bytes(7), w, h, int(intAt(p, 9)), opts)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", coding, err)
	}
	if !opts.Bool("paint", true) {
		return nil
	}
	if err := win.blit(c.disp, x, y, w, h, pix); err != nil {
		return err
	}
	if c.border.on && (x < c.border.size || y < c.border.size || x+w > win.w-c.border.size || y+h > win.h-c.border.size) {
		c.drawBorder(win)
	}
	return nil
}

// painter is what blit needs of the display (an interface so that the
// benchmark and tests can use a real display or count calls).
type painter interface {
	Paint(w xclient.Window, x, y, width, height int, pix []byte, stride int) error
}

// blit copies a decoded w x h BGRX area into the backing at x, y
// (clipped to the window) and paints it.
func (win *window) blit(d painter, x, y, w, h int, pix []byte) error {
	x0, y0 := max(x, 0), max(y, 0)
	x1, y1 := min(x+w, win.w), min(y+h, win.h)
	if x1 <= x0 || y1 <= y0 {
		return nil
	}
	rowBytes := (x1 - x0) * 4
	for yy := y0; yy < y1; yy++ {
		src := pix[((yy-y)*w+(x0-x))*4:]
		copy(win.backing[(yy*win.w+x0)*4:(yy*win.w+x0)*4+rowBytes], src[:rowBytes])
	}
	return d.Paint(win.local, x0, y0, x1-x0, y1-y0, win.backing[(y0*win.w+x0)*4:], win.w*4)
}

// repaint paints an area of a window from its backing.
func (win *window) repaint(d painter, x, y, w, h int) {
	x0, y0 := max(x, 0), max(y, 0)
	x1, y1 := min(x+w, win.w), min(y+h, win.h)
	if x1 <= x0 || y1 <= y0 {
		return
	}
	_ = d.Paint(win.local, x0, y0, x1-x0, y1-y0, win.backing[(y0*win.w+x0)*4:], win.w*4)
}
