package session

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/pipeline"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/wm"
	"github.com/xroam/xroam/core/xpra"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/shm"
)

// windowSet is the session's seamless windows: the window manager of the
// display, the xpra window id of every managed window (stable for the
// session's life, so a client that re-attaches gets the same ids), and
// the attached clients that receive their changes. The state lives here,
// not in a connection, so that a detach loses nothing.
type windowSet struct {
	wm  *wm.Manager
	log *slog.Logger

	mu      sync.Mutex
	nextWID int64
	byXID   map[uint32]int64
	wins    map[int64]wm.Window
	focused uint32
	subs    map[*clientConn]*windowClient
	// asked holds the geometries clients last gave a window (a few, as a
	// drag sends many before the first is applied): a change to one of
	// them is the client's own doing, any other is the application's and
	// is sent back as window-resized.
	asked map[int64][]geom.Rect
	// cursor is the display's current cursor, nil until known.
	cursor *wm.Cursor
	// reportWids logs windows as they map and unmap (--report-wids).
	reportWids bool
	// bell forwards the applications' bells (--bell).
	bell bool
	// fullscreen, in desktop and shadow sessions, reports whether the
	// desktop's window is announced fullscreen (NX's fullscreen=1).
	fullscreen func() bool
}

// windowClient is one attached client's view: its pixel pipeline.
type windowClient struct {
	p      *pipeline.Pipeline
	cancel context.CancelFunc
	// keySync: the client sends presses and releases as they happen
	// (keyboard_sync); otherwise each press is typed at once (keys.go).
	keySync atomic.Bool
}

// wmSource adapts the window manager to the pipeline's Source.
type wmSource struct{ wm *wm.Manager }

func (s wmSource) CaptureInto(xid uint32, r pipeline.Rect, dst []byte) error {
	return s.wm.CaptureInto(xid, r, dst)
}

// CaptureIntoSegment and ReleaseSegment make it a pipeline.SegmentSource:
// the X server writes frames straight into the segment encoders read.
func (s wmSource) CaptureIntoSegment(xid uint32, r pipeline.Rect, seg *shm.Segment) error {
	return s.wm.CaptureIntoSegment(xid, r, seg)
}

func (s wmSource) ReleaseSegment(seg *shm.Segment) { s.wm.ReleaseSegment(seg) }

// windowsSubsystem shows the session's windows to the attached clients:
// a seamless session's every window, a desktop or shadow session's
// screen as one window. It owns the client's window packets and the
// pointer, and gives each attached client its pixel pipeline.
type windowsSubsystem struct {
	s *Server

	mu  sync.Mutex
	set *windowSet // nil until the window manager runs
}

func (*windowsSubsystem) Name() string { return "windows" }

// start makes the server the window manager of its display. A failure
// leaves the session without windows but running.
func (ww *windowsSubsystem) start(ctx context.Context) {
	s := ww.s
	var mgr *wm.Manager
	var err error
	if s.opts.Mode == "seamless" {
		mgr, err = wm.Start(ctx, fmt.Sprintf(":%d", s.display), s.log.With("part", "wm"))
	} else {
		// Desktop and shadow sessions show the whole screen as one window.
		title := s.sessionName()
		if title == "" {
			host, _ := os.Hostname()
			title = fmt.Sprintf("%s :%d", host, s.display)
		}
		mgr, err = wm.StartDesktop(ctx, fmt.Sprintf(":%d", s.display), title, s.log.With("part", "desktop"))
	}
	if err != nil {
		s.log.Warn("no seamless windows: cannot manage the display", "err", err)
		return
	}
	ws := &windowSet{wm: mgr, log: s.log, nextWID: 1, byXID: map[uint32]int64{}, wins: map[int64]wm.Window{}, subs: map[*clientConn]*windowClient{}, asked: map[int64][]geom.Rect{}, reportWids: s.cfg.ReportWids, bell: s.cfg.Bell}
	if s.opts.Mode != "seamless" {
		ws.fullscreen = s.nx.fullscreenOn
	}
	if cur, err := mgr.CurrentCursor(); err == nil {
		ws.cursor = &cur
	}
	ww.mu.Lock()
	ww.set = ws
	ww.mu.Unlock()
	s.log.Info("managing the display's windows", "shm", mgr.UsesSHM())
	go ws.run()
}

// current is the window set, nil without a window manager.
func (ww *windowsSubsystem) current() *windowSet {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	return ww.set
}

// client is an attached client's window state; errIgnored (its packet
// means nothing) without a window manager or before its windows are
// attached.
func (ww *windowsSubsystem) client(c *clientConn) (*windowSet, *windowClient, error) {
	ws := ww.current()
	if ws == nil {
		return nil, nil, errIgnored
	}
	ws.mu.Lock()
	wc := ws.subs[c]
	ws.mu.Unlock()
	if wc == nil {
		return nil, nil, errIgnored
	}
	return ws, wc, nil
}

// pipelines is the pipeline of client c, or of every attached client
// when c is nil.
func (ww *windowsSubsystem) pipelines(c *clientConn) []*pipeline.Pipeline {
	ws := ww.current()
	if ws == nil {
		return nil
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	var out []*pipeline.Pipeline
	for cc, wc := range ws.subs {
		if c == nil || cc == c {
			out = append(out, wc.p)
		}
	}
	return out
}

// Caps tells the client what the windows it gets can do.
func (ww *windowsSubsystem) Caps(context.Context, *attachment) (wire.Dict, error) {
	cfg := ww.s.cfg
	return wire.Dict{
		"windows":               cfg.Windows,
		"pointer":               !cfg.Readonly,
		"cursors":               cfg.Cursors,
		"bell":                  cfg.Bell,
		"window_refresh_config": true,
	}, nil
}

func (ws *windowSet) run() {
	for ev := range ws.wm.Events() {
		ws.handle(ev)
	}
}

func (ws *windowSet) handle(ev wm.Event) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w := ev.Window
	switch ev.Kind {
	case wm.WindowAdded:
		if _, ok := ws.byXID[w.ID]; ok {
			return
		}
		wid := ws.nextWID
		ws.nextWID++
		ws.byXID[w.ID] = wid
		ws.wins[wid] = w
		ws.reportWid(w, wid, "mapped")
		for c, wc := range ws.subs {
			ws.announce(c, wc, wid, w, false)
		}
	case wm.WindowChanged:
		wid, ok := ws.byXID[w.ID]
		if !ok {
			return
		}
		old := ws.wins[wid]
		ws.wins[wid] = w
		meta := metadataChanges(old, w, ws.byXID)
		resized := old.Width != w.Width || old.Height != w.Height
		moved := old.X != w.X || old.Y != w.Y
		byApp := resized && !w.OverrideRedirect && !slices.Contains(ws.asked[wid], geom.Rect{X: w.X, Y: w.Y, W: w.Width, H: w.Height})
		icon := iconChanged(old, w)
		for c, wc := range ws.subs {
			if icon {
				if ipkt := iconPacket(c.caps, wid, w.Extra.Icon); ipkt != nil {
					wc.p.Send(ipkt)
				}
			}
			if resized {
				wc.p.Resize(wid, w.Width, w.Height)
			}
			if byApp {
				wc.p.Send(xpra.WindowResized{WID: wid, Width: int64(w.Width), Height: int64(w.Height)}.Packet())
			}
			if len(meta) > 0 {
				wc.p.Send(xpra.WindowMetadata{WID: wid, Metadata: meta}.Packet())
			}
			if w.OverrideRedirect && (resized || moved) {
				wc.p.Send(xpra.ConfigureOverrideRedirect{WID: wid, X: int64(w.X), Y: int64(w.Y), Width: int64(w.Width), Height: int64(w.Height)}.Packet())
			}
		}
	case wm.WindowRemoved:
		wid, ok := ws.byXID[w.ID]
		if !ok {
			return
		}
		delete(ws.byXID, w.ID)
		delete(ws.wins, wid)
		ws.reportWid(w, wid, "unmapped")
		delete(ws.asked, wid)
		for _, wc := range ws.subs {
			wc.p.Remove(wid)
			wc.p.Send(xpra.LostWindow{WID: wid}.Packet())
		}
	case wm.BellRung:
		ws.ringBell(ev.Bell)
	case wm.CursorChanged:
		ws.cursor = ev.Cursor
		for c, wc := range ws.subs {
			if pkt := cursorPacket(c, ev.Cursor); pkt != nil {
				wc.p.Send(pkt)
			}
		}
	case wm.WindowDamaged:
		wid, ok := ws.byXID[w.ID]
		if !ok {
			return
		}
		r := pipeline.Rect{X: ev.Damage.X, Y: ev.Damage.Y, W: ev.Damage.W, H: ev.Damage.H}
		for _, wc := range ws.subs {
			wc.p.Damage(wid, r)
		}
	}
}

// announce sends a window to a client and sets up its pixels; called with
// ws.mu held. direct writes at once (during the attach, before
// startup-complete); otherwise the packet waits its turn in the client's
// pipeline, so that a client that stopped reading never blocks the
// window manager.
func (ws *windowSet) announce(c *clientConn, wc *windowClient, wid int64, w wm.Window, direct bool) {
	wc.p.AddWindow(wid, w.ID, w.Width, w.Height)
	meta := metadata(w, ws.byXID)
	if ws.fullscreen != nil && ws.fullscreen() {
		// The options file's fullscreen=1, read at this attach.
		meta["fullscreen"] = true
	}
	pkt := xpra.NewWindow{WID: wid, X: int64(w.X), Y: int64(w.Y), Width: int64(max(w.Width, 1)), Height: int64(max(w.Height, 1)),
		Metadata: meta, OverrideRedirect: w.OverrideRedirect}.Packet()
	if direct {
		_ = c.w.WritePacket(pkt)
	} else {
		wc.p.Send(pkt)
	}
	if ipkt := iconPacket(c.caps, wid, w.Extra.Icon); ipkt != nil && w.Extra.Icon != nil {
		if direct {
			_ = c.w.WritePacket(ipkt)
		} else {
			wc.p.Send(ipkt)
		}
	}
	if w.OverrideRedirect {
		// Clients never map override-redirect windows: show them at once.
		wc.p.Map(wid)
	}
}

// cursorPacket is the cursor image for a client that wants cursors (nil
// for others): ["cursor", "raw", x, y, w, h, xhot, yhot, serial, BGRA
// pixels, name, default size, max width, max height].
func cursorPacket(c *clientConn, cur *wm.Cursor) wire.Packet {
	if !c.caps.Bool("cursors", true) || cur == nil {
		return nil
	}
	return xpra.Cursor{Encoding: xpra.CursorRaw, X: int64(cur.X), Y: int64(cur.Y), Width: int64(cur.Width), Height: int64(cur.Height),
		XHot: int64(cur.XHot), YHot: int64(cur.YHot), Serial: int64(cur.Serial), Pixels: cur.Pix, Name: wireText(cur.Name),
		DefaultSize: 32, MaxWidth: 64, MaxHeight: 64}.Packet()
}

// metadata is the full xpra metadata of a window.
func metadata(w wm.Window, byXID map[uint32]int64) wire.Dict {
	m := wire.Dict{
		"title":          wireText(w.Title),
		"class-instance": wireTexts([]string{w.Instance, w.Class}),
		"window-type":    wireTexts(w.Types),
		"xid":            fmt.Sprintf("0x%x", w.ID),
	}
	if w.OverrideRedirect {
		m["override-redirect"] = true
	}
	if w.PID > 0 {
		m["pid"] = int64(w.PID)
	}
	if t, ok := byXID[w.TransientFor]; ok && w.TransientFor != 0 {
		m["transient-for"] = t
	}
	if sc := sizeConstraints(w.Hints); len(sc) > 0 {
		m["size-constraints"] = sc
	}
	addExtras(m, w)
	return m
}

func sizeConstraints(h wm.SizeHints) wire.Dict {
	sc := wire.Dict{}
	pair := func(k string, a, b int) {
		if a > 0 || b > 0 {
			sc[k] = []int64{int64(a), int64(b)}
		}
	}
	pair("minimum-size", h.MinW, h.MinH)
	pair("maximum-size", h.MaxW, h.MaxH)
	pair("base-size", h.BaseW, h.BaseH)
	pair("increment", h.IncW, h.IncH)
	return sc
}

// metadataChanges is the metadata that differs between old and w.
func metadataChanges(old, w wm.Window, byXID map[uint32]int64) wire.Dict {
	full := metadata(w, byXID)
	prev := metadata(old, byXID)
	out := wire.Dict{}
	for k, v := range full {
		if k == "xid" {
			continue
		}
		if pv, ok := prev[k]; !ok || fmt.Sprint(pv) != fmt.Sprint(v) {
			out[k] = v
		}
	}
	clearedStates(out, old, w)
	return out
}

// Attach sends a new client every window and starts its pixel pipeline;
// the detach ends it. The client's mmap area, if any, goes into the
// pipeline.
func (ww *windowsSubsystem) Attach(ctx context.Context, a *attachment) (func(), error) {
	s, c, log := ww.s, a.c, a.log
	ws := ww.current()
	if ws == nil {
		return nil, nil
	}
	pctx, cancel := context.WithCancel(ctx)
	var encName string
	var enc encoder.Encoder
	if c.mmap == nil {
		encName, enc = s.encs.current().choose(ctx, s.cfg.Encoding, c.caps)
	} else {
		// As xpra: with an mmap area every draw goes through it, as raw
		// pixels cost nothing to send there.
		encName = pipeline.RGB32
	}
	log.Info("window pixels", "encoding", encName, "mmap", c.mmap != nil)
	pcfg := pipeline.Config{
		Source: wmSource{ws.wm}, Send: c.w.WritePacket, Log: log,
		Encoding: encName, Encoder: enc,
		OnStall: func() {
			log.Warn("the client stopped reading: dropping it")
			go c.disconnect(xpra.ReasonServerError, "the client stopped reading")
		},
	}
	s.flow.pictureConfig(&pcfg, c.caps)
	pcfg.MMap, c.mmap = c.mmap, nil
	p := pipeline.New(pcfg)
	go p.Run(pctx)
	if pcfg.MMap == nil {
		s.flow.startAutoLossy(pctx, p, encName, c.caps, log)
	}
	wc := &windowClient{p: p, cancel: cancel}
	wc.keySync.Store(c.caps.Bool("keyboard_sync", true))
	ws.mu.Lock()
	wids := make([]int64, 0, len(ws.wins))
	for wid := range ws.wins {
		wids = append(wids, wid)
	}
	slices.Sort(wids)
	for _, wid := range wids {
		ws.announce(c, wc, wid, ws.wins[wid], true)
	}
	ws.subs[c] = wc
	if pkt := cursorPacket(c, ws.cursor); pkt != nil {
		_ = c.w.WritePacket(pkt)
	}
	ws.mu.Unlock()
	return func() {
		ws.mu.Lock()
		delete(ws.subs, c)
		ws.mu.Unlock()
		cancel()
	}, nil
}

func (ww *windowsSubsystem) Handlers() map[string]handler {
	return map[string]handler{
		xpra.TypeDamageSequence:  ui(parsed(xpra.ParseDamageSequence, ww.damageSequence)),
		xpra.TypeMapWindow:       ui(parsed(xpra.ParseMapWindow, ww.mapWindow)),
		xpra.TypeUnmapWindow:     ui(parsed(xpra.ParseUnmapWindow, ww.unmapWindow)),
		xpra.TypeConfigureWindow: ui(parsed(xpra.ParseConfigureWindow, ww.configureWindow)),
		xpra.TypeCloseWindow:     ui(parsed(xpra.ParseCloseWindow, ww.closeWindow)),
		xpra.TypeBufferRefresh:   ui(parsed(xpra.ParseBufferRefresh, ww.bufferRefresh)),
		xpra.TypeFocus:           ui(parsed(xpra.ParseFocus, ww.focus)),
		xpra.TypePointerPosition: ui(ww.pointerPosition),
		xpra.TypeButtonAction:    ui(ww.buttonAction),
	}
}

// window is the managed window wid.
func (ws *windowSet) window(wid int64) (wm.Window, bool) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w, ok := ws.wins[wid]
	return w, ok
}

func (ww *windowsSubsystem) damageSequence(_ context.Context, c *clientConn, ack xpra.DamageSequence) error {
	_, wc, err := ww.client(c)
	if err != nil {
		return err
	}
	wc.p.AckDecode(ack.WID, ack.Sequence, ack.Decode())
	return nil
}

func (ww *windowsSubsystem) mapWindow(ctx context.Context, c *clientConn, m xpra.MapWindow) error {
	ws, wc, err := ww.client(c)
	if err != nil {
		return err
	}
	w, ok := ws.window(m.WID)
	if !ok {
		return nil
	}
	if st := clientStates(m.State); len(st) > 0 && !w.OverrideRedirect {
		ws.wm.SetStates(w.ID, st)
	}
	x, y, cw, ch := m.X, m.Y, m.Width, m.Height
	switch {
	case ws.wm.IsDesktop():
		ww.configureDesktop(ctx, ws, m.WID, w, int(cw), int(ch), c.log)
	case !w.OverrideRedirect && (int(x) != w.X || int(y) != w.Y || int(cw) != w.Width || int(ch) != w.Height):
		ws.configure(m.WID, w.ID, int(x), int(y), int(cw), int(ch))
	}
	wc.p.SetScrolling(m.WID, clientScrolls(m.ClientProperties, c.caps))
	wc.p.Map(m.WID)
	return nil
}

func (ww *windowsSubsystem) unmapWindow(_ context.Context, c *clientConn, u xpra.UnmapWindow) error {
	_, wc, err := ww.client(c)
	if err != nil {
		return err
	}
	wc.p.Unmap(u.WID)
	return nil
}

func (ww *windowsSubsystem) configureWindow(ctx context.Context, c *clientConn, cf xpra.ConfigureWindow) error {
	ws, _, err := ww.client(c)
	if err != nil {
		return err
	}
	w, ok := ws.window(cf.WID)
	if !ok || w.OverrideRedirect {
		return nil
	}
	if st := clientStates(cf.State); len(st) > 0 {
		ws.wm.SetStates(w.ID, st)
	}
	if cf.SkipGeometry { // only properties changed
		return nil
	}
	// An absent size reads as 0, which configure ignores.
	if ws.wm.IsDesktop() {
		ww.configureDesktop(ctx, ws, cf.WID, w, int(cf.Width), int(cf.Height), c.log)
		return nil
	}
	ws.configure(cf.WID, w.ID, int(cf.X), int(cf.Y), int(cf.Width), int(cf.Height))
	return nil
}

func (ww *windowsSubsystem) closeWindow(_ context.Context, c *clientConn, cw xpra.CloseWindow) error {
	ws, _, err := ww.client(c)
	if err != nil {
		return err
	}
	if w, ok := ws.window(cw.WID); ok {
		ws.wm.CloseWindow(w.ID)
	}
	return nil
}

func (ww *windowsSubsystem) bufferRefresh(_ context.Context, c *clientConn, br xpra.BufferRefresh) error {
	_, wc, err := ww.client(c)
	if err != nil {
		return err
	}
	wc.p.Refresh(br.WID)
	return nil
}

func (ww *windowsSubsystem) focus(_ context.Context, c *clientConn, f xpra.Focus) error {
	ws, _, err := ww.client(c)
	if err != nil || ww.s.cfg.Readonly {
		return err
	}
	w, ok := ws.window(f.WID)
	ws.mu.Lock()
	if ok {
		ws.focused = w.ID
	} else {
		ws.focused = 0
	}
	ws.mu.Unlock()
	if ok {
		ws.wm.Raise(w.ID)
	}
	ws.wm.Focus(w.ID)
	return nil
}

// pointerPosition moves the pointer. Input keeps the client from idling
// out (see nx.go), whatever becomes of it.
func (ww *windowsSubsystem) pointerPosition(_ context.Context, c *clientConn, pkt wire.Packet) error {
	ww.s.nx.touch(c)
	ws, _, err := ww.client(c)
	if err != nil || ww.s.cfg.Readonly {
		return err
	}
	m, err := xpra.ParsePointerPosition(pkt)
	if err != nil {
		return fmt.Errorf("malformed packet: %w", err)
	}
	if x, y, ok := m.Pointer.XY(); ok {
		ws.wm.MovePointer(int(x), int(y))
	}
	return nil
}

func (ww *windowsSubsystem) buttonAction(_ context.Context, c *clientConn, pkt wire.Packet) error {
	ww.s.nx.touch(c)
	ws, _, err := ww.client(c)
	if err != nil || ww.s.cfg.Readonly {
		return err
	}
	b, err := xpra.ParseButtonAction(pkt)
	if err != nil {
		return fmt.Errorf("malformed packet: %w", err)
	}
	if b.Button < 1 || b.Button > 255 {
		return nil
	}
	if x, y, ok := b.Pointer.XY(); ok {
		ws.wm.MovePointer(int(x), int(y))
	}
	if b.HasModifiers {
		ws.wm.SyncModifiers(b.Modifiers, 0, false)
	}
	ws.wm.Button(int(b.Button), b.Pressed)
	return nil
}

// configureDesktop follows a client's resize of a desktop session's
// window with the screen. Where the window sits on the client means
// nothing to the screen: the size asked for is recorded at 0,0, where
// the root window's own ConfigureNotify reports it, so that a size
// granted as asked is not sent back as the application's resize.
func (ww *windowsSubsystem) configureDesktop(ctx context.Context, ws *windowSet, wid int64, w wm.Window, cw, ch int, log *slog.Logger) {
	if cw <= 0 || ch <= 0 || (cw == w.Width && ch == w.Height) || !ww.s.screen.desktopResizable() || ww.s.cfg.Readonly {
		return
	}
	ws.configure(wid, w.ID, 0, 0, cw, ch)
	// The screen follows the window even when the client leaves.
	_, _, _ = ww.s.screen.resizeDesktop(context.WithoutCancel(ctx), cw, ch, log)
}

// configure applies a geometry a client asked for.
func (ws *windowSet) configure(wid int64, xid uint32, x, y, w, h int) {
	if w <= 0 || h <= 0 {
		return
	}
	ws.mu.Lock()
	const keep = 8
	a := append(ws.asked[wid], geom.Rect{X: x, Y: y, W: w, H: h})
	if len(a) > keep {
		a = a[len(a)-keep:]
	}
	ws.asked[wid] = a
	ws.mu.Unlock()
	ws.wm.Configure(xid, x, y, w, h)
}

// Info describes the managed windows; without a window manager, the
// display's mapped windows.
func (ww *windowsSubsystem) Info(ctx context.Context) map[string]any {
	if ws := ww.current(); ws != nil {
		return ws.info()
	}
	out := map[string]any{}
	di, err := x11.Probe(ctx, fmt.Sprintf(":%d", ww.s.display))
	if err != nil {
		return out
	}
	n := 0
	for _, w := range di.Windows {
		if !w.Mapped {
			continue
		}
		out[fmt.Sprint(n)] = map[string]any{"id": int64(w.ID), "title": wireText(w.Title), "x": int64(w.X), "y": int64(w.Y), "width": int64(w.Width), "height": int64(w.Height)}
		n++
	}
	out["count"] = int64(n)
	return out
}

func (ws *windowSet) info() map[string]any {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	out := map[string]any{}
	wids := make([]int64, 0, len(ws.wins))
	for wid := range ws.wins {
		wids = append(wids, wid)
	}
	sort.Slice(wids, func(i, j int) bool { return wids[i] < wids[j] })
	for i, wid := range wids {
		w := ws.wins[wid]
		out[fmt.Sprint(i)] = map[string]any{
			"wid": wid, "id": int64(w.ID), "title": wireText(w.Title), "x": int64(w.X), "y": int64(w.Y),
			"width": int64(w.Width), "height": int64(w.Height),
			"class-instance": wireTexts([]string{w.Instance, w.Class}), "window-type": wireTexts(w.Types),
			"override-redirect": w.OverrideRedirect, "pid": int64(w.PID),
			"state": w.Extra.States, "urgent": w.Extra.Urgent, "has-icon": w.Extra.Icon != nil,
		}
	}
	out["count"] = int64(len(wids))
	return out
}
