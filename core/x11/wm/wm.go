package wm

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/composite"
	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/x11"
	framebuf "github.com/xroam/xroam/sdk/shm"
)

// This file is the server side of seamless mode: xroam is the window
// manager of its own Xvfb. One X connection (wm.c) selects the root's
// substructure events and runs the one event goroutine; a second one
// (wm.cap) captures pixels and injects input, so that a large capture
// never delays the handling of a MapRequest.

// SizeHints are a managed window's ICCCM WM_NORMAL_HINTS; zero pairs
// are unset.
type SizeHints struct {
	MinW, MinH   int
	MaxW, MaxH   int
	BaseW, BaseH int
	IncW, IncH   int
}

// Window is what the window manager knows of a window.
type Window struct {
	ID                  uint32
	X, Y, Width, Height int
	// BorderWidth is the X border around the window: its contents start
	// at X+BorderWidth, Y+BorderWidth on the screen.
	BorderWidth int
	// OverrideRedirect windows (menus, tooltips) bypass the window manager.
	OverrideRedirect bool
	Title            string
	Instance, Class  string
	// Types are _NET_WM_WINDOW_TYPE names without the prefix ("NORMAL").
	Types        []string
	TransientFor uint32
	PID          int
	Hints        SizeHints
	// Extra holds the EWMH state, icon and WM_HINTS (props.go).
	Extra WindowExtras
}

// EventKind says what happened to a window.
type EventKind int

// Window events.
const (
	WindowAdded EventKind = iota
	WindowChanged
	WindowRemoved
	WindowDamaged
	// CursorChanged: the display shows another cursor (Event.Cursor).
	CursorChanged
	// BellRung: an application rang the bell (Event.Bell).
	BellRung
)

func (k EventKind) String() string {
	return [...]string{"added", "changed", "removed", "damaged", "cursor", "bell"}[k]
}

// Event is one change to the managed set. Window is a snapshot taken
// when the event happened; Damage is set for WindowDamaged.
type Event struct {
	Kind   EventKind
	Window Window
	Damage geom.Rect
	Cursor *Cursor
	Bell   *x11.Bell
}

// Manager is the window manager of a display. Its methods are safe for
// concurrent use.
type Manager struct {
	log    *slog.Logger
	c      *xgb.Conn // events and window management
	cap    *xgb.Conn // capture and input
	root   xproto.Window
	events chan Event
	done   chan struct{}

	atoms map[string]xproto.Atom

	mu   sync.Mutex
	wins map[uint32]*Window // mapped windows, managed or override-redirect
	or   map[uint32]bool    // override-redirect windows seen at creation
	dmg  map[uint32]damage.Damage
	keys *Keymap
	// xfixes says cursor events are selected.
	xfixes bool
	// desktop: the root window is the one window (StartDesktop).
	desktop bool
	// shape: the SHAPE extension is initialised on c.
	shape bool

	closeOnce sync.Once
	pollWG    sync.WaitGroup // the damage poller of displays without DAMAGE, delayed repairs

	// scratch is the region damage is subtracted into (0: raw damage
	// reports); repaired and repairing are per window (see repair.go).
	scratch   xfixes.Region
	repaired  map[uint32]time.Time
	repairing map[uint32]bool
	repairMu  sync.Mutex // the scratch region

	capMu  sync.Mutex
	shm    *x11.SHMSegment // nil when MIT-SHM is not usable: plain GetImage
	shmSeg shm.Seg
	// segs are the frame segments of CaptureIntoSegment, as the X server
	// knows them, until ReleaseSegment; segsRefused: it could not attach
	// one; capClosed: cap is closed, and the server has let go of them.
	segs        map[*framebuf.Segment]shm.Seg
	segsRefused bool
	capClosed   bool
}

func wmAtomNames() []string {
	return []string{
		"WM_PROTOCOLS", "WM_DELETE_WINDOW", "WM_NAME", "_NET_WM_NAME", "UTF8_STRING",
		"WM_CLASS", "_NET_WM_WINDOW_TYPE", "WM_TRANSIENT_FOR", "_NET_WM_PID", "WM_NORMAL_HINTS",
		"WM_STATE",
	}
}

func (wm *Manager) allAtomNames() []string { return append(wmAtomNames(), wmExtraAtomNames()...) }

// Start connects to display and becomes its window manager: it fails if
// another one runs. Windows already mapped are managed at once. Events
// delivers the changes until ctx ends or Close is called.
func Start(ctx context.Context, display string, log *slog.Logger) (*Manager, error) {
	return startWM(ctx, display, log, "")
}

// StartDesktop watches a whole display as a single window, for desktop
// and shadow sessions: the root window, titled title, whose damage and
// pixels are the screen's. It does not manage the display's windows, so
// a window manager of the session's own (or the shadowed user's) keeps
// doing that.
func StartDesktop(ctx context.Context, display, title string, log *slog.Logger) (*Manager, error) {
	if title == "" {
		title = display
	}
	return startWM(ctx, display, log, title)
}

// startWM starts a window manager, or with a desktop title a desktop watcher.
func startWM(ctx context.Context, display string, log *slog.Logger, desktop string) (*Manager, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("window manager: %w", err)
	}
	a, err := x11.Connect(ctx, display, n)
	if err != nil {
		return nil, fmt.Errorf("window manager on %s: %w", display, err)
	}
	b, err := x11.Connect(ctx, display, n)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("window manager on %s: %w", display, err)
	}
	a.Keep()
	b.Keep()
	wm := &Manager{
		log: log, c: a.X, cap: b.X, root: a.Screen.Root,
		events: make(chan Event, 1024), done: make(chan struct{}),
		atoms: map[string]xproto.Atom{}, wins: map[uint32]*Window{},
		or: map[uint32]bool{}, dmg: map[uint32]damage.Damage{},
		desktop: desktop != "",
	}
	setup := wm.setup
	if wm.desktop {
		setup = func() error {
			return wm.setupDesktop(desktop, int(a.Screen.WidthInPixels), int(a.Screen.HeightInPixels))
		}
	}
	if err := setup(); err != nil {
		wm.Close()
		return nil, fmt.Errorf("window manager on %s: %w", display, err)
	}
	go wm.loop()
	context.AfterFunc(ctx, wm.Close)
	return wm, nil
}

func (wm *Manager) setup() error {
	for _, init := range []struct {
		name string
		f    func(*xgb.Conn) error
	}{{"Composite", composite.Init}, {"DAMAGE", damage.Init}, {"XTEST", xtest.Init}} {
		if err := init.f(wm.c); err != nil {
			return fmt.Errorf("extension %s: %w", init.name, err)
		}
	}
	if err := xtest.Init(wm.cap); err != nil {
		return fmt.Errorf("extension XTEST: %w", err)
	}
	if _, err := damage.QueryVersion(wm.c, 1, 1).Reply(); err != nil {
		return fmt.Errorf("damage version: %w", err)
	}
	if _, err := composite.QueryVersion(wm.c, 0, 4).Reply(); err != nil {
		return fmt.Errorf("composite version: %w", err)
	}
	if err := wm.internAtoms(); err != nil {
		return err
	}
	mask := uint32(xproto.EventMaskSubstructureRedirect | xproto.EventMaskSubstructureNotify | xproto.EventMaskPropertyChange)
	if err := xproto.ChangeWindowAttributesChecked(wm.c, wm.root, xproto.CwEventMask, []uint32{mask}).Check(); err != nil {
		return fmt.Errorf("another window manager is running: %w", err)
	}
	if err := composite.RedirectSubwindowsChecked(wm.c, wm.root, composite.RedirectAutomatic).Check(); err != nil {
		return fmt.Errorf("composite redirect: %w", err)
	}
	if err := wm.setupCapture(); err != nil {
		return err
	}
	wm.announceEWMH()
	wm.setupShape()
	if err := wm.setupBell(); err != nil {
		wm.log.Info("no bell", "err", err)
	}
	wm.setupRepair()
	// Manage what is already there.
	tree, err := xproto.QueryTree(wm.c, wm.root).Reply()
	if err != nil {
		return fmt.Errorf("query tree: %w", err)
	}
	for _, w := range tree.Children {
		attr, err := xproto.GetWindowAttributes(wm.c, w).Reply()
		if err != nil || attr.MapState != xproto.MapStateViewable || attr.Class != xproto.WindowClassInputOutput {
			continue
		}
		wm.or[uint32(w)] = attr.OverrideRedirect
		wm.manage(w, attr.OverrideRedirect)
	}
	return nil
}

func (wm *Manager) internAtoms() error {
	for _, n := range wm.allAtomNames() {
		r, err := xproto.InternAtom(wm.c, false, uint16(len(n)), n).Reply()
		if err != nil {
			return fmt.Errorf("intern %s: %w", n, err)
		}
		wm.atoms[n] = r.Atom
	}
	return nil
}

// setupCapture prepares what capture and input need: the keymap, the
// shared memory segment and the cursor watch.
func (wm *Manager) setupCapture() error {
	km, err := loadKeymap(wm.cap)
	if err != nil {
		return err
	}
	wm.keys = km
	wm.setupSHM()
	wm.setupCursor()
	return nil
}

// setupDesktop makes the root window the only window: damage on the root
// reports every change to the screen, and captures read the screen.
func (wm *Manager) setupDesktop(title string, w, h int) error {
	// Without DAMAGE (a shadowed display may lack it) the screen is
	// compared with its previous picture instead, see pollDamage.
	hasDamage := damage.Init(wm.c) == nil
	if err := xtest.Init(wm.cap); err != nil {
		return fmt.Errorf("extension XTEST: %w", err)
	}
	if hasDamage {
		if _, err := damage.QueryVersion(wm.c, 1, 1).Reply(); err != nil {
			return fmt.Errorf("damage version: %w", err)
		}
	}
	if err := wm.internAtoms(); err != nil {
		return err
	}
	if err := wm.setupCapture(); err != nil {
		return err
	}
	// The screen's size follows RandR (a resized desktop session, a
	// shadowed display whose user changes resolution): the root's
	// ConfigureNotify reports it as the one window's new size.
	if err := xproto.ChangeWindowAttributesChecked(wm.c, wm.root, xproto.CwEventMask, []uint32{xproto.EventMaskStructureNotify}).Check(); err != nil {
		return fmt.Errorf("watching the screen's size: %w", err)
	}
	p := Window{ID: uint32(wm.root), Width: w, Height: h, Title: title, Types: []string{"NORMAL"}}
	if hasDamage {
		d, err := damage.NewDamageId(wm.c)
		if err != nil {
			return fmt.Errorf("damage: %w", err)
		}
		if err := damage.CreateChecked(wm.c, d, xproto.Drawable(wm.root), damage.ReportLevelRawRectangles).Check(); err != nil {
			return fmt.Errorf("damage on the root window: %w", err)
		}
		wm.mu.Lock()
		wm.dmg[p.ID] = d
		wm.mu.Unlock()
	}
	wm.mu.Lock()
	wm.wins[p.ID] = &p
	wm.mu.Unlock()
	wm.emit(Event{Kind: WindowAdded, Window: p})
	if !hasDamage {
		wm.log.Info("no DAMAGE extension: comparing the screen periodically", "interval", pollInterval)
		wm.pollWG.Add(1)
		go wm.pollDamage(p)
	}
	return nil
}

// IsDesktop reports whether this watches a whole display (StartDesktop).
func (wm *Manager) IsDesktop() bool { return wm.desktop }

// Close disconnects; the display's windows are left as they are.
func (wm *Manager) Close() {
	wm.closeOnce.Do(func() {
		wm.c.Close()
		wm.cap.Close()
		wm.capMu.Lock()
		if wm.shm != nil {
			wm.shm.Detach()
			wm.shm = nil
		}
		wm.segs, wm.capClosed = nil, true
		wm.capMu.Unlock()
	})
}

// Events delivers window changes; it is closed when the connection ends.
func (wm *Manager) Events() <-chan Event { return wm.events }

// Windows returns the windows managed now.
func (wm *Manager) Windows() []Window {
	wm.mu.Lock()
	defer wm.mu.Unlock()
	out := make([]Window, 0, len(wm.wins))
	for _, w := range wm.wins {
		out = append(out, *w)
	}
	return out
}

// Window returns a managed window by id.
func (wm *Manager) Window(id uint32) (Window, bool) {
	wm.mu.Lock()
	defer wm.mu.Unlock()
	w, ok := wm.wins[id]
	if !ok {
		return Window{}, false
	}
	return *w, true
}

func (wm *Manager) emit(ev Event) {
	select {
	case wm.events <- ev:
	default:
		// A stalled consumer must not stall the X connection: damage is
		// dropped (a later refresh repairs it), structural events wait.
		if ev.Kind == WindowDamaged {
			return
		}
		select {
		case wm.events <- ev:
		case <-wm.done:
		}
	}
}

func (wm *Manager) loop() {
	defer func() {
		close(wm.done)
		// The damage poller sends events too: it must be gone before
		// the channel closes.
		wm.pollWG.Wait()
		close(wm.events)
	}()
	// An application that floods its window (a terminal printing as fast
	// as it can) makes the X server send a hundred thousand DAMAGE events
	// a second. The ones queued together are merged per window, so that
	// the session handles one damaged area per window and batch instead
	// of each rectangle; any other event first delivers the merged damage,
	// which keeps the order of damage and structural changes.
	var batch damageBatch
	for {
		ev, err := wm.c.PollForEvent()
		if ev == nil && err == nil {
			wm.flushDamage(&batch)
			if ev, err = wm.c.WaitForEvent(); ev == nil && err == nil {
				return
			}
		}
		if err != nil {
			wm.log.Debug("x error", "err", err)
			continue
		}
		if d, ok := ev.(damage.NotifyEvent); ok {
			if d.Level&0x7f == damage.ReportLevelNonEmpty {
				wm.flushDamage(&batch)
				wm.repair(d)
				continue
			}
			if batch.add(d) >= maxDamageBatch {
				wm.flushDamage(&batch)
			}
			continue
		}
		wm.flushDamage(&batch)
		wm.handle(ev)
	}
}

// maxDamageBatch bounds the DAMAGE events merged before they are
// delivered, so that a flood that never lets the queue drain still
// reaches the clients.
const maxDamageBatch = 512

// damageBatch merges queued DAMAGE events: the bounding box per drawable,
// in the order the drawables were first damaged.
type damageBatch struct {
	order []xproto.Drawable
	areas map[xproto.Drawable]geom.Rect
	n     int
}

func (b *damageBatch) add(e damage.NotifyEvent) int {
	if b.areas == nil {
		b.areas = map[xproto.Drawable]geom.Rect{}
	}
	r := geom.Rect{X: int(e.Area.X), Y: int(e.Area.Y), W: int(e.Area.Width), H: int(e.Area.Height)}
	if cur, ok := b.areas[e.Drawable]; ok {
		r = cur.Union(r)
	} else {
		b.order = append(b.order, e.Drawable)
	}
	b.areas[e.Drawable] = r
	b.n++
	return b.n
}

// flushDamage delivers the merged damage and empties the batch.
func (wm *Manager) flushDamage(b *damageBatch) {
	for _, d := range b.order {
		wm.damaged(uint32(d), b.areas[d])
	}
	b.order = b.order[:0]
	clear(b.areas)
	b.n = 0
}

// damaged tells the session that area of a managed window changed.
func (wm *Manager) damaged(xid uint32, area geom.Rect) {
	wm.mu.Lock()
	w, ok := wm.wins[xid]
	var snap Window
	if ok {
		snap = *w
	}
	wm.mu.Unlock()
	if ok {
		wm.emit(Event{Kind: WindowDamaged, Window: snap, Damage: area})
	}
}

func (wm *Manager) handle(ev xgb.Event) {
	switch e := ev.(type) {
	case xproto.CreateNotifyEvent:
		wm.mu.Lock()
		wm.or[uint32(e.Window)] = e.OverrideRedirect
		wm.mu.Unlock()
	case xproto.MapRequestEvent:
		xproto.ChangeWindowAttributes(wm.c, e.Window, xproto.CwEventMask,
			[]uint32{xproto.EventMaskPropertyChange | xproto.EventMaskStructureNotify})
		xproto.ChangeProperty(wm.c, xproto.PropModeReplace, e.Window, wm.atoms["WM_STATE"], wm.atoms["WM_STATE"], 32, 2, card32Bytes(1, 0))
		xproto.MapWindow(wm.c, e.Window)
	case xproto.MapNotifyEvent:
		if e.Event != wm.root {
			return
		}
		wm.mu.Lock()
		_, known := wm.wins[uint32(e.Window)]
		wm.mu.Unlock()
		if !known {
			wm.manage(e.Window, e.OverrideRedirect)
		}
	case xproto.ConfigureRequestEvent:
		wm.configureRequest(e)
	case xproto.ClientMessageEvent:
		wm.clientMessage(e)
	case xproto.ConfigureNotifyEvent:
		if e.Event != wm.root {
			return
		}
		wm.mu.Lock()
		w, ok := wm.wins[uint32(e.Window)]
		if ok {
			w.X, w.Y, w.Width, w.Height, w.BorderWidth = int(e.X), int(e.Y), int(e.Width), int(e.Height), int(e.BorderWidth)
		}
		var snap Window
		if ok {
			snap = *w
		}
		wm.mu.Unlock()
		if ok {
			wm.emit(Event{Kind: WindowChanged, Window: snap})
		}
	case xproto.UnmapNotifyEvent:
		if e.Event == wm.root {
			wm.unmanage(uint32(e.Window))
		}
	case xproto.DestroyNotifyEvent:
		if e.Event == wm.root {
			wm.unmanage(uint32(e.Window))
			wm.mu.Lock()
			delete(wm.or, uint32(e.Window))
			wm.mu.Unlock()
		}
	case xproto.PropertyNotifyEvent:
		wm.mu.Lock()
		w, ok := wm.wins[uint32(e.Window)]
		wm.mu.Unlock()
		if !ok {
			return
		}
		switch e.Atom {
		case wm.atoms["WM_NAME"], wm.atoms["_NET_WM_NAME"], wm.atoms["WM_CLASS"], wm.atoms["WM_NORMAL_HINTS"], wm.atoms["_NET_WM_WINDOW_TYPE"], wm.atoms["WM_TRANSIENT_FOR"],
			wm.atoms["_NET_WM_STATE"], wm.atoms["_NET_WM_ICON"], wm.atoms["WM_HINTS"]:
			p := wm.readProps(e.Window)
			wm.mu.Lock()
			p.X, p.Y, p.Width, p.Height, p.BorderWidth, p.OverrideRedirect = w.X, w.Y, w.Width, w.Height, w.BorderWidth, w.OverrideRedirect
			changed := p.Title != w.Title || p.Instance != w.Instance || p.Class != w.Class ||
				p.Hints != w.Hints || p.TransientFor != w.TransientFor || fmt.Sprint(p.Types) != fmt.Sprint(w.Types) ||
				!p.Extra.Equal(w.Extra)
			*w = p
			wm.mu.Unlock()
			if changed {
				wm.emit(Event{Kind: WindowChanged, Window: p})
			}
		}
	case shape.NotifyEvent:
		wm.shapeChanged(e)
	case x11.BellEvent:
		wm.bellEvent(e)
	case xfixes.CursorNotifyEvent:
		if cur, err := wm.CurrentCursor(); err == nil {
			wm.emit(Event{Kind: CursorChanged, Cursor: &cur})
		}
	case damage.NotifyEvent:
		a := e.Area
		wm.damaged(uint32(e.Drawable), geom.Rect{X: int(a.X), Y: int(a.Y), W: int(a.Width), H: int(a.Height)})
	}
}

func (wm *Manager) configureRequest(e xproto.ConfigureRequestEvent) {
	var vals []uint32
	mask := uint16(0)
	add := func(bit uint16, v uint32) {
		if e.ValueMask&bit != 0 {
			mask |= bit
			vals = append(vals, v)
		}
	}
	add(xproto.ConfigWindowX, uint32(int32(e.X)))
	add(xproto.ConfigWindowY, uint32(int32(e.Y)))
	add(xproto.ConfigWindowWidth, uint32(e.Width))
	add(xproto.ConfigWindowHeight, uint32(e.Height))
	add(xproto.ConfigWindowBorderWidth, uint32(e.BorderWidth))
	add(xproto.ConfigWindowSibling, uint32(e.Sibling))
	add(xproto.ConfigWindowStackMode, uint32(e.StackMode))
	xproto.ConfigureWindow(wm.c, e.Window, mask, vals)
}

// manage starts tracking a mapped top-level window.
func (wm *Manager) manage(w xproto.Window, overrideRedirect bool) {
	g, err := xproto.GetGeometry(wm.c, xproto.Drawable(w)).Reply()
	if err != nil {
		return
	}
	var p Window
	if overrideRedirect {
		p = Window{ID: uint32(w), Types: []string{"POPUP_MENU"}}
		if tp := wm.readProps(w); len(tp.Types) > 0 {
			p.Types = tp.Types
			p.TransientFor = tp.TransientFor
		}
	} else {
		p = wm.readProps(w)
	}
	p.X, p.Y, p.Width, p.Height, p.OverrideRedirect = int(g.X), int(g.Y), int(g.Width), int(g.Height), overrideRedirect
	p.BorderWidth = int(g.BorderWidth)
	wm.watchShape(w)
	p.Extra.Shape = wm.readShape(w)
	d, err := damage.NewDamageId(wm.c)
	if err == nil {
		damage.Create(wm.c, d, xproto.Drawable(w), wm.damageLevel())
	}
	if !overrideRedirect {
		xproto.ChangeWindowAttributes(wm.c, w, xproto.CwEventMask,
			[]uint32{xproto.EventMaskPropertyChange | xproto.EventMaskStructureNotify})
	}
	wm.mu.Lock()
	wm.wins[uint32(w)] = &p
	if err == nil {
		wm.dmg[uint32(w)] = d
	}
	wm.mu.Unlock()
	wm.log.Debug("window managed", "id", fmt.Sprintf("0x%x", p.ID), "title", p.Title, "or", overrideRedirect)
	wm.emit(Event{Kind: WindowAdded, Window: p})
}

func (wm *Manager) unmanage(id uint32) {
	wm.mu.Lock()
	w, ok := wm.wins[id]
	d, hasD := wm.dmg[id]
	delete(wm.wins, id)
	delete(wm.dmg, id)
	delete(wm.repaired, id) // a repair still due finds the window gone
	wm.mu.Unlock()
	if !ok {
		return
	}
	if hasD {
		damage.Destroy(wm.c, d)
	}
	wm.emit(Event{Kind: WindowRemoved, Window: *w})
}

func (wm *Manager) prop(w xproto.Window, name string) *xproto.GetPropertyReply {
	r, err := xproto.GetProperty(wm.c, false, w, wm.atoms[name], xproto.GetPropertyTypeAny, 0, 1<<16).Reply()
	if err != nil || r.Format == 0 {
		return nil
	}
	return r
}

func (wm *Manager) readProps(w xproto.Window) Window {
	p := Window{ID: uint32(w)}
	if r := wm.prop(w, "_NET_WM_NAME"); r != nil {
		p.Title = string(r.Value)
	} else if r := wm.prop(w, "WM_NAME"); r != nil {
		p.Title = x11.TextProperty(r, wm.atoms["UTF8_STRING"])
	}
	if r := wm.prop(w, "WM_CLASS"); r != nil {
		parts := splitNul(r.Value)
		if len(parts) > 0 {
			p.Instance = parts[0]
		}
		if len(parts) > 1 {
			p.Class = parts[1]
		}
	}
	if r := wm.prop(w, "_NET_WM_WINDOW_TYPE"); r != nil && r.Format == 32 {
		for i := 0; i+4 <= len(r.Value); i += 4 {
			a := xproto.Atom(le32(r.Value[i:]))
			if n, err := xproto.GetAtomName(wm.c, a).Reply(); err == nil {
				const prefix = "_NET_WM_WINDOW_TYPE_"
				name := n.Name
				if len(name) > len(prefix) && name[:len(prefix)] == prefix {
					name = name[len(prefix):]
				}
				p.Types = append(p.Types, name)
			}
		}
	}
	if len(p.Types) == 0 {
		p.Types = []string{"NORMAL"}
	}
	if r := wm.prop(w, "WM_TRANSIENT_FOR"); r != nil && r.Format == 32 && len(r.Value) >= 4 {
		p.TransientFor = le32(r.Value)
	}
	if r := wm.prop(w, "_NET_WM_PID"); r != nil && r.Format == 32 && len(r.Value) >= 4 {
		p.PID = int(le32(r.Value))
	}
	if r := wm.prop(w, "WM_NORMAL_HINTS"); r != nil && r.Format == 32 && len(r.Value) >= 18*4 {
		v := func(i int) int { return int(int32(le32(r.Value[i*4:]))) }
		flags := v(0)
		if flags&(1<<4) != 0 {
			p.Hints.MinW, p.Hints.MinH = v(5), v(6)
		}
		if flags&(1<<5) != 0 {
			p.Hints.MaxW, p.Hints.MaxH = v(7), v(8)
		}
		if flags&(1<<6) != 0 {
			p.Hints.IncW, p.Hints.IncH = v(9), v(10)
		}
		if flags&(1<<8) != 0 {
			p.Hints.BaseW, p.Hints.BaseH = v(15), v(16)
		}
	}
	p.Extra = wm.readExtras(w)
	return p
}

func splitNul(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	if start < len(b) {
		out = append(out, string(b[start:]))
	}
	return out
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func card32Bytes(vs ...uint32) []byte {
	out := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		out = append(out, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	return out
}

// Configure moves and resizes a managed window (root coordinates).
func (wm *Manager) Configure(id uint32, x, y, w, h int) {
	// The root window cannot be moved or resized.
	if w <= 0 || h <= 0 || id == uint32(wm.root) {
		return
	}
	xproto.ConfigureWindow(wm.c, xproto.Window(id),
		xproto.ConfigWindowX|xproto.ConfigWindowY|xproto.ConfigWindowWidth|xproto.ConfigWindowHeight,
		[]uint32{uint32(int32(x)), uint32(int32(y)), uint32(w), uint32(h)})
}

// Raise puts a window above its siblings.
func (wm *Manager) Raise(id uint32) {
	xproto.ConfigureWindow(wm.c, xproto.Window(id), xproto.ConfigWindowStackMode, []uint32{xproto.StackModeAbove})
}

// Focus gives a window the keyboard focus; 0 gives it to the root.
func (wm *Manager) Focus(id uint32) {
	w := xproto.Window(id)
	if id == 0 {
		w = wm.root
	} else if wm.focusByMessage(w) {
		return
	}
	// On the input connection, so that keys injected next go to w.
	xproto.SetInputFocus(wm.cap, xproto.InputFocusPointerRoot, w, xproto.TimeCurrentTime)
}

// CloseWindow asks a window to close with WM_DELETE_WINDOW when it supports it,
// and otherwise disconnects its client.
func (wm *Manager) CloseWindow(id uint32) {
	if id == uint32(wm.root) {
		return // a desktop session ends with stop, not with its window
	}
	w := xproto.Window(id)
	del := wm.atoms["WM_DELETE_WINDOW"]
	if r := wm.prop(w, "WM_PROTOCOLS"); r != nil && r.Format == 32 {
		for i := 0; i+4 <= len(r.Value); i += 4 {
			if xproto.Atom(le32(r.Value[i:])) == del {
				ev := xproto.ClientMessageEvent{
					Format: 32, Window: w, Type: wm.atoms["WM_PROTOCOLS"],
					Data: xproto.ClientMessageDataUnionData32New([]uint32{uint32(del), uint32(xproto.TimeCurrentTime), 0, 0, 0}),
				}
				xproto.SendEvent(wm.c, false, w, xproto.EventMaskNoEvent, string(ev.Bytes()))
				return
			}
		}
	}
	xproto.KillClient(wm.c, uint32(w))
}

// Sync waits until the X server has handled every request sent so far.
func (wm *Manager) Sync() error {
	if _, err := xproto.GetInputFocus(wm.c).Reply(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if _, err := xproto.GetInputFocus(wm.cap).Reply(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}
