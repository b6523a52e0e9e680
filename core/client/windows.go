package client

import (
	"fmt"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11/xclient"
	"github.com/xroam/xroam/core/xpra"
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

func (c *client) newWindow(p wire.Packet) {
	nw, err := xpra.ParseNewWindow(p)
	if err != nil {
		c.log.Warn("attach: malformed new-window packet", "len", len(p), "err", err)
		return
	}
	wid := nw.WID
	if _, dup := c.windows[wid]; dup || wid <= 0 {
		c.log.Warn("attach: bad or duplicate window id", "wid", wid)
		return
	}
	x, y := int(nw.X), int(nw.Y)
	w, h := clampDim(nw.Width), clampDim(nw.Height)
	meta := nw.Metadata
	if meta == nil {
		meta = wire.Dict{}
	}
	or := nw.OverrideRedirect || meta.Bool("override-redirect", false)
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
		c.sendLog(xpra.MapWindow{WID: wid, X: int64(x), Y: int64(y), Width: int64(w), Height: int64(h)}.Packet())
	}
	c.log.Debug("attach: new window", "wid", wid, "title", spec.Title, "override-redirect", or, "geometry", fmt.Sprintf("%dx%d+%d+%d", w, h, x, y))
}

func (c *client) windowMetadata(p wire.Packet) {
	wm, err := xpra.ParseWindowMetadata(p)
	if err != nil {
		return
	}
	win, meta := c.windows[wm.WID], wm.Metadata
	if win == nil {
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

// moveResize follows the server's window-move-resize (and
// configure-override-redirect, which has no resize counter).
func (c *client) moveResize(m xpra.WindowMoveResize) {
	win := c.windows[m.WID]
	if win == nil {
		return
	}
	win.x, win.y = int(m.X), int(m.Y)
	win.resize(clampDim(m.Width), clampDim(m.Height))
	if m.HasResizeCounter {
		win.resizeCounter = m.ResizeCounter
	}
	c.disp.MoveResize(win.local, win.x, win.y, win.w, win.h)
}

func (c *client) resized(p wire.Packet) {
	r, err := xpra.ParseWindowResized(p)
	if err != nil {
		return
	}
	win := c.windows[r.WID]
	if win == nil {
		return
	}
	win.resize(clampDim(r.Width), clampDim(r.Height))
	if r.HasResizeCounter {
		win.resizeCounter = r.ResizeCounter
	}
	c.disp.MoveResize(win.local, win.x, win.y, win.w, win.h)
}

func (c *client) lostWindow(p wire.Packet) {
	l, err := xpra.ParseLostWindow(p)
	if err != nil {
		return
	}
	win := c.windows[l.WID]
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
	// A short draw still has what the acknowledgement needs.
	d, perr := xpra.ParseDraw(p)
	wid, seq := d.WID, d.Sequence
	width, height := d.Width, d.Height
	ack := func(us int64, msg string) {
		c.sendLog(xpra.DamageSequence{Sequence: seq, WID: wid, Width: width, Height: height, DecodeTime: us, Message: msg}.Packet())
	}
	win := c.windows[wid]
	if win == nil {
		if d.Coding == mmapCoding && d.Data != nil {
			// The area must be freed even for a window that is gone.
			if _, release, err := c.mmap.pixels(d.Data); err == nil {
				release()
			}
		}
		ack(0, "")
		return
	}
	if perr != nil {
		ack(-1, "malformed draw packet")
		return
	}
	t0 := time.Now()
	if err := c.paintDraw(win, d); err != nil {
		c.log.Warn("attach: draw failed", "wid", wid, "coding", d.Coding, "err", err)
		ack(-1, err.Error())
		return
	}
	us := max(time.Since(t0).Microseconds(), 1)
	c.log.Debug("attach: draw", "wid", wid, "seq", seq, "coding", d.Coding, "size", fmt.Sprintf("%dx%d", width, height), "us", us)
	ack(us, "")
}

func (c *client) paintDraw(win *window, d xpra.Draw) error {
	x, y := int(d.X), int(d.Y)
	w, h := int(d.Width), int(d.Height)
	coding := d.Coding
	opts := d.Options
	if opts == nil {
		opts = wire.Dict{}
	}
	if coding == xpra.CodingScroll {
		moves, err := parseScrolls(d.Data)
		if err != nil {
			return fmt.Errorf("scroll: %w", err)
		}
		win.scroll(c.disp, moves)
		return nil
	}
	var pix []byte
	var err error
	if _, ok := videoCodings[coding]; ok {
		pix, err = win.decodeVideo(coding, d.Bytes(), w, h, opts)
	} else if coding == mmapCoding {
		var raw []byte
		var release func()
		raw, release, err = c.mmap.pixels(d.Data)
		if err == nil {
			// decodeRGB may return a view of the area: paint from it
			// before freeing it.
			defer release()
			pix, err = decodeRGB("rgb32", raw, w, h, int(d.Rowstride), wire.Dict{"rgb_format": opts.Str("rgb_format", "")})
		}
	} else {
		pix, err = decodeDraw(coding, d.Bytes(), w, h, int(d.Rowstride), opts)
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
