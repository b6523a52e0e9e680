package xclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/render"
	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/keysym"
)

// This file is the client side of xroam's X code: the attach client shows
// each remote window as a window on the user's display. It deals in plain
// Go values (Window, events, BGRX pixel buffers) so that core/client
// never needs the X protocol.

// Window is a local X window.
type Window uint32

// Screen is the size of the client's screen.
type Screen struct {
	Name              string // ":N.S"
	Width, Height     int
	WidthMM, HeightMM int
}

// KeyMapping is the keysyms of one keycode of the local keyboard, as the
// server gets them in the hello (xkbmap_x11_keycodes).
type KeyMapping struct {
	Keycode int
	Keysyms []uint32
	Names   []string // "" where a keysym is 0 or has no known name
}

// SizeHints are ICCCM WM_NORMAL_HINTS; a zero pair means "not set".
type SizeHints struct {
	MinW, MinH   int
	MaxW, MaxH   int
	BaseW, BaseH int
	IncW, IncH   int
	// Position says the window's position was asked for (the window is
	// placed where the remote application wants it).
	Position bool
}

// WindowSpec describes a window to create.
type WindowSpec struct {
	X, Y, Width, Height int
	// OverrideRedirect makes the window bypass the window manager (menus,
	// tooltips): it appears exactly at X, Y without decorations.
	OverrideRedirect bool
	Title            string
	Instance, Class  string
	Hints            SizeHints
	TransientFor     Window
	// Type is a list of _NET_WM_WINDOW_TYPE names without the prefix
	// ("NORMAL", "DIALOG", "POPUP_MENU"...).
	Type []string
}

// Modifier bits of X event states.
const (
	KeyMaskShift   = 1 << 0
	KeyMaskLock    = 1 << 1
	KeyMaskControl = 1 << 2
	KeyMask1       = 1 << 3
	KeyMask2       = 1 << 4
	KeyMask3       = 1 << 5
	KeyMask4       = 1 << 6
	KeyMask5       = 1 << 7
)

// ModifierNames returns the X names of the modifiers set in state, in the
// form xpra's key and pointer packets carry ("shift", "control", "mod1"...).
func ModifierNames(state uint16) []string {
	names := [...]string{"shift", "lock", "control", "mod1", "mod2", "mod3", "mod4", "mod5"}
	out := []string{}
	for i, n := range names {
		if state&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// ButtonsFromState returns the pointer buttons (1..5) held in state.
func ButtonsFromState(state uint16) []int {
	out := []int{}
	for b := 1; b <= 5; b++ {
		if state&(1<<(7+b)) != 0 {
			out = append(out, b)
		}
	}
	return out
}

// Events delivered by Display.Events. Coordinates named Root* are
// relative to the root window, the others to the event's window.

// KeyEvent is a key press or release.
type KeyEvent struct {
	Window  Window
	Pressed bool
	Keycode int
	Keysym  uint32
	Name    string // keysym name, "" when unknown
	String  string // the text the key types, "" for function keys
	State   uint16
}

// MotionEvent is pointer motion.
type MotionEvent struct {
	Window       Window
	X, Y         int
	RootX, RootY int
	State        uint16
}

// ButtonEvent is a pointer button press or release (4..7 are the wheel).
type ButtonEvent struct {
	Window       Window
	Button       int
	Pressed      bool
	X, Y         int
	RootX, RootY int
	State        uint16
}

// ConfigureEvent says a window's geometry changed (X, Y in root coordinates).
type ConfigureEvent struct {
	Window              Window
	X, Y, Width, Height int
}

// CloseEvent is the window manager asking to close a window (WM_DELETE_WINDOW).
type CloseEvent struct{ Window Window }

// ExposeEvent asks to repaint an area of a window.
type ExposeEvent struct {
	Window              Window
	X, Y, Width, Height int
}

// FocusEvent says a window gained or lost the keyboard focus.
type FocusEvent struct {
	Window Window
	In     bool
}

// ErrorEvent is an X protocol error caused by an earlier request.
type ErrorEvent struct{ Err error }

// Display is a connection to the display the attach client shows
// remote windows on. Its methods may be called from one goroutine while
// another reads Events.
type Display struct {
	c      *xgb.Conn
	setup  *xproto.SetupInfo
	screen *xproto.ScreenInfo
	name   string
	log    *slog.Logger
	events chan any
	// maxPut is the largest PutImage payload in bytes.
	maxPut int

	atomWMProtocols, atomWMDelete, atomNetWMName, atomUTF8 xproto.Atom
	atomNetWMType, atomNetWMPid                            xproto.Atom

	mu        sync.Mutex
	minKey    int
	perKey    int
	keysyms   []xproto.Keysym
	typeAtoms map[string]xproto.Atom
	paintGC   xproto.Gcontext
	argb      render.Pictformat
	renderErr error
	// shapeOnce initialises SHAPE on first use; shapeErr says it failed.
	shapeOnce sync.Once
	shapeErr  error
	// shm is the paint segment (shm.go), set up on the first
	// large paint; nil when the display cannot share memory.
	shmOnce sync.Once
	shmMu   sync.Mutex
	shm     *clientSHM
	// scr is the screen's size since the last RandR change (zero before).
	scr ScreenEvent
}

// Open connects to display (":N", empty for $DISPLAY). The
// connection is closed when ctx ends or with Close.
func Open(ctx context.Context, display string, log *slog.Logger) (*Display, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := -1
	if display != "" {
		var err error
		if n, err = x11.ParseDisplay(display); err != nil {
			return nil, fmt.Errorf("open display: %w", err)
		}
	}
	var c *xgb.Conn
	var err error
	if n >= 0 {
		x, cerr := x11.Connect(ctx, display, n)
		if cerr != nil {
			return nil, fmt.Errorf("open display %s: %w", display, cerr)
		}
		// The client manages its lifetime itself.
		x.Keep()
		c = x.X
	} else if c, err = xgb.NewConn(); err != nil {
		return nil, fmt.Errorf("open display: %w", err)
	}
	setup := xproto.Setup(c)
	if c.DefaultScreen < 0 || c.DefaultScreen >= len(setup.Roots) {
		c.Close()
		return nil, fmt.Errorf("open display: no screen %d", c.DefaultScreen)
	}
	d := &Display{
		c: c, setup: setup, screen: &setup.Roots[c.DefaultScreen], log: log,
		name:      fmt.Sprintf("%s.%d", display, c.DefaultScreen),
		events:    make(chan any, 256),
		typeAtoms: map[string]xproto.Atom{},
	}
	if display == "" {
		d.name = fmt.Sprintf(":%d.%d", 0, c.DefaultScreen)
	}
	// 4-byte units; PutImage has a 24-byte header.
	d.maxPut = int(setup.MaximumRequestLength)*4 - 64
	atoms, err := d.intern("WM_PROTOCOLS", "WM_DELETE_WINDOW", "_NET_WM_NAME", "UTF8_STRING", "_NET_WM_WINDOW_TYPE", "_NET_WM_PID")
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("open display: %w", err)
	}
	d.atomWMProtocols, d.atomWMDelete, d.atomNetWMName, d.atomUTF8, d.atomNetWMType, d.atomNetWMPid =
		atoms[0], atoms[1], atoms[2], atoms[3], atoms[4], atoms[5]
	if err := d.loadKeyboard(); err != nil {
		c.Close()
		return nil, fmt.Errorf("open display: %w", err)
	}
	d.watchScreen()
	go d.readEvents()
	context.AfterFunc(ctx, c.Close)
	return d, nil
}

func (d *Display) intern(names ...string) ([]xproto.Atom, error) {
	cookies := make([]xproto.InternAtomCookie, len(names))
	for i, n := range names {
		cookies[i] = xproto.InternAtom(d.c, false, uint16(len(n)), n)
	}
	out := make([]xproto.Atom, len(names))
	for i, ck := range cookies {
		r, err := ck.Reply()
		if err != nil {
			return nil, fmt.Errorf("intern atom %s: %w", names[i], err)
		}
		out[i] = r.Atom
	}
	return out, nil
}

// Close closes the connection; Events is closed soon after.
func (d *Display) Close() {
	d.c.Close()
	d.shmMu.Lock()
	if d.shm != nil {
		d.shm.seg.Detach()
		d.shm = nil
	}
	d.shmMu.Unlock()
}

// Events delivers *KeyEvent, *MotionEvent, *ButtonEvent, *ConfigureEvent,
// *CloseEvent, *ExposeEvent, *FocusEvent and *ErrorEvent values. It is
// closed when the connection ends.
func (d *Display) Events() <-chan any { return d.events }

// Screen returns the default screen's size.
func (d *Display) Screen() Screen {
	d.mu.Lock()
	scr := d.scr
	d.mu.Unlock()
	if scr.Width > 0 && scr.Height > 0 {
		return Screen{Name: d.name, Width: scr.Width, Height: scr.Height, WidthMM: scr.WidthMM, HeightMM: scr.HeightMM}
	}
	return Screen{
		Name:  d.name,
		Width: int(d.screen.WidthInPixels), Height: int(d.screen.HeightInPixels),
		WidthMM: int(d.screen.WidthInMillimeters), HeightMM: int(d.screen.HeightInMillimeters),
	}
}

func (d *Display) loadKeyboard() error {
	minK, maxK := int(d.setup.MinKeycode), int(d.setup.MaxKeycode)
	r, err := xproto.GetKeyboardMapping(d.c, xproto.Keycode(minK), byte(maxK-minK+1)).Reply()
	if err != nil {
		return fmt.Errorf("keyboard mapping: %w", err)
	}
	d.mu.Lock()
	d.minKey, d.perKey, d.keysyms = minK, int(r.KeysymsPerKeycode), r.Keysyms
	d.mu.Unlock()
	return nil
}

// Keymap returns the keysyms of every keycode that has any.
func (d *Display) Keymap() []KeyMapping {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []KeyMapping
	if d.perKey == 0 {
		return nil
	}
	for i := 0; i+d.perKey <= len(d.keysyms); i += d.perKey {
		syms := d.keysyms[i : i+d.perKey]
		km := KeyMapping{Keycode: d.minKey + i/d.perKey}
		nonzero := false
		for _, s := range syms {
			km.Keysyms = append(km.Keysyms, uint32(s))
			km.Names = append(km.Names, keysym.Name(uint32(s)))
			nonzero = nonzero || s != 0
		}
		if nonzero {
			out = append(out, km)
		}
	}
	return out
}

// lookupKeysym applies the core protocol's rules (shift and caps lock on
// the first group) to the keysyms of a keycode.
func (d *Display) lookupKeysym(keycode int, state uint16) uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := (keycode - d.minKey) * d.perKey
	if d.perKey == 0 || i < 0 || i+d.perKey > len(d.keysyms) {
		return 0
	}
	syms := d.keysyms[i : i+d.perKey]
	lower, upper := uint32(syms[0]), uint32(0)
	if len(syms) > 1 {
		upper = uint32(syms[1])
	}
	if upper == 0 {
		upper = lower
		if lower >= 'a' && lower <= 'z' {
			upper = lower - 32
		}
	}
	shift := state&KeyMaskShift != 0
	if state&KeyMaskLock != 0 && lower >= 'a' && lower <= 'z' {
		shift = !shift
	}
	if shift {
		return upper
	}
	return lower
}

func (d *Display) send(ev any) {
	select {
	case d.events <- ev:
	default:
		// A stalled consumer must not stall the X connection; motion
		// and exposes are the only events sent in bulk.
		d.log.Debug("x11 client: event dropped", "event", fmt.Sprintf("%T", ev))
	}
}

func (d *Display) readEvents() {
	defer close(d.events)
	for {
		ev, xerr := d.c.WaitForEvent()
		if ev == nil && xerr == nil {
			return
		}
		if xerr != nil {
			d.send(&ErrorEvent{Err: fmt.Errorf("x11: %s", xerr.Error())})
			continue
		}
		switch e := ev.(type) {
		case randr.ScreenChangeNotifyEvent:
			d.screenChanged(e)
		case xproto.KeyPressEvent:
			ks := d.lookupKeysym(int(e.Detail), e.State)
			d.send(&KeyEvent{Window: Window(e.Event), Pressed: true, Keycode: int(e.Detail), Keysym: ks,
				Name: keysym.Name(ks), String: keysym.Text(ks), State: e.State})
		case xproto.KeyReleaseEvent:
			ks := d.lookupKeysym(int(e.Detail), e.State)
			d.send(&KeyEvent{Window: Window(e.Event), Keycode: int(e.Detail), Keysym: ks,
				Name: keysym.Name(ks), String: keysym.Text(ks), State: e.State})
		case xproto.ButtonPressEvent:
			d.send(&ButtonEvent{Window: Window(e.Event), Button: int(e.Detail), Pressed: true,
				X: int(e.EventX), Y: int(e.EventY), RootX: int(e.RootX), RootY: int(e.RootY), State: e.State})
		case xproto.ButtonReleaseEvent:
			d.send(&ButtonEvent{Window: Window(e.Event), Button: int(e.Detail),
				X: int(e.EventX), Y: int(e.EventY), RootX: int(e.RootX), RootY: int(e.RootY), State: e.State})
		case xproto.MotionNotifyEvent:
			d.send(&MotionEvent{Window: Window(e.Event), X: int(e.EventX), Y: int(e.EventY),
				RootX: int(e.RootX), RootY: int(e.RootY), State: e.State})
		case xproto.ConfigureNotifyEvent:
			if e.Event != e.Window {
				continue
			}
			x, y := int(e.X), int(e.Y)
			if r, err := xproto.TranslateCoordinates(d.c, e.Window, d.screen.Root, 0, 0).Reply(); err == nil {
				x, y = int(r.DstX), int(r.DstY)
			}
			d.send(&ConfigureEvent{Window: Window(e.Window), X: x, Y: y, Width: int(e.Width), Height: int(e.Height)})
		case xproto.ClientMessageEvent:
			if e.Type == d.atomWMProtocols && e.Format == 32 && xproto.Atom(e.Data.Data32[0]) == d.atomWMDelete {
				d.send(&CloseEvent{Window: Window(e.Window)})
			}
		case xproto.ExposeEvent:
			d.send(&ExposeEvent{Window: Window(e.Window), X: int(e.X), Y: int(e.Y), Width: int(e.Width), Height: int(e.Height)})
		case xproto.PropertyNotifyEvent:
			d.propertyChanged(e)
		case xproto.FocusInEvent:
			d.send(&FocusEvent{Window: Window(e.Event), In: true})
		case xproto.FocusOutEvent:
			d.send(&FocusEvent{Window: Window(e.Event)})
		case xproto.MappingNotifyEvent:
			if e.Request == xproto.MappingKeyboard {
				if err := d.loadKeyboard(); err != nil {
					d.log.Warn("x11 client: reloading the keyboard mapping", "err", err)
				}
			}
		}
	}
}

// CreateWindow creates (but does not map) a window.
func (d *Display) CreateWindow(spec WindowSpec) (Window, error) {
	wid, err := xproto.NewWindowId(d.c)
	if err != nil {
		return 0, fmt.Errorf("create window: %w", err)
	}
	w, h := max(spec.Width, 1), max(spec.Height, 1)
	mask := uint32(xproto.EventMaskKeyPress | xproto.EventMaskKeyRelease | xproto.EventMaskButtonPress |
		xproto.EventMaskButtonRelease | xproto.EventMaskPointerMotion | xproto.EventMaskExposure |
		xproto.EventMaskStructureNotify | xproto.EventMaskFocusChange | xproto.EventMaskPropertyChange)
	or := uint32(0)
	if spec.OverrideRedirect {
		or = 1
	}
	// Value order follows the CW bit order: back pixel, bit gravity,
	// override redirect, event mask.
	err = xproto.CreateWindowChecked(d.c, d.screen.RootDepth, wid, d.screen.Root,
		int16(spec.X), int16(spec.Y), uint16(min(w, 32767)), uint16(min(h, 32767)), 0,
		xproto.WindowClassInputOutput, d.screen.RootVisual,
		xproto.CwBackPixel|xproto.CwBitGravity|xproto.CwOverrideRedirect|xproto.CwEventMask,
		[]uint32{d.screen.BlackPixel, xproto.GravityNorthWest, or, mask}).Check()
	if err != nil {
		return 0, fmt.Errorf("create window: %w", err)
	}
	id := Window(wid)
	xproto.ChangeProperty(d.c, xproto.PropModeReplace, wid, d.atomWMProtocols, xproto.AtomAtom, 32, 1, clientAtomBytes(d.atomWMDelete))
	// WM_HINTS: input = True, so that window managers give it the focus.
	xproto.ChangeProperty(d.c, xproto.PropModeReplace, wid, xproto.AtomWmHints, xproto.AtomWmHints, 32, 9,
		clientCard32s(1, 1, 1, 0, 0, 0, 0, 0, 0))
	d.SetTitle(id, spec.Title)
	d.SetClass(id, spec.Instance, spec.Class)
	d.SetSizeHints(id, spec.X, spec.Y, w, h, spec.Hints)
	if spec.TransientFor != 0 {
		xproto.ChangeProperty(d.c, xproto.PropModeReplace, wid, xproto.AtomWmTransientFor, xproto.AtomWindow, 32, 1, clientCard32s(uint32(spec.TransientFor)))
	}
	d.SetType(id, spec.Type)
	return id, nil
}

// le32 reads a 32-bit property item (little-endian on xroam's connections).
func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func clientCard32s(vs ...uint32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	return b
}

func clientAtomBytes(as ...xproto.Atom) []byte {
	vs := make([]uint32, len(as))
	for i, a := range as {
		vs[i] = uint32(a)
	}
	return clientCard32s(vs...)
}

// SetTitle sets WM_NAME (Latin-1 where possible) and _NET_WM_NAME (UTF-8).
func (d *Display) SetTitle(w Window, title string) {
	u := []byte(title)
	xproto.ChangeProperty(d.c, xproto.PropModeReplace, xproto.Window(w), d.atomNetWMName, d.atomUTF8, 8, uint32(len(u)), u)
	l := make([]byte, 0, len(title))
	ascii := true
	for _, r := range title {
		if r > 0xff {
			ascii = false
			break
		}
		l = append(l, byte(r))
	}
	typ := xproto.Atom(xproto.AtomString)
	if !ascii {
		l, typ = u, d.atomUTF8
	}
	xproto.ChangeProperty(d.c, xproto.PropModeReplace, xproto.Window(w), xproto.AtomWmName, typ, 8, uint32(len(l)), l)
}

// SetClass sets WM_CLASS.
func (d *Display) SetClass(w Window, instance, class string) {
	if instance == "" && class == "" {
		return
	}
	v := []byte(instance + "\x00" + class + "\x00")
	xproto.ChangeProperty(d.c, xproto.PropModeReplace, xproto.Window(w), xproto.AtomWmClass, xproto.AtomString, 8, uint32(len(v)), v)
}

// SetSizeHints sets WM_NORMAL_HINTS.
func (d *Display) SetSizeHints(w Window, x, y, width, height int, h SizeHints) {
	const (
		usPosition = 1 << 0
		pPosition  = 1 << 2
		pSize      = 1 << 3
		pMinSize   = 1 << 4
		pMaxSize   = 1 << 5
		pResizeInc = 1 << 6
		pBaseSize  = 1 << 8
	)
	flags := uint32(pSize)
	if h.Position {
		flags |= usPosition | pPosition
	}
	if h.MinW > 0 || h.MinH > 0 {
		flags |= pMinSize
	}
	if h.MaxW > 0 || h.MaxH > 0 {
		flags |= pMaxSize
	}
	if h.IncW > 0 || h.IncH > 0 {
		flags |= pResizeInc
	}
	if h.BaseW > 0 || h.BaseH > 0 {
		flags |= pBaseSize
	}
	u := func(v int) uint32 { return uint32(int32(v)) }
	xproto.ChangeProperty(d.c, xproto.PropModeReplace, xproto.Window(w), xproto.AtomWmNormalHints, xproto.AtomWmSizeHints, 32, 18,
		clientCard32s(flags, u(x), u(y), u(width), u(height), u(h.MinW), u(h.MinH), u(h.MaxW), u(h.MaxH),
			u(h.IncW), u(h.IncH), 0, 0, 0, 0, u(h.BaseW), u(h.BaseH), xproto.GravityNorthWest))
}

// SetType sets _NET_WM_WINDOW_TYPE from names without the prefix.
func (d *Display) SetType(w Window, names []string) {
	if len(names) == 0 {
		return
	}
	var atoms []xproto.Atom
	for _, n := range names {
		d.mu.Lock()
		a, ok := d.typeAtoms[n]
		d.mu.Unlock()
		if !ok {
			r, err := d.intern("_NET_WM_WINDOW_TYPE_" + n)
			if err != nil {
				continue
			}
			a = r[0]
			d.mu.Lock()
			d.typeAtoms[n] = a
			d.mu.Unlock()
		}
		atoms = append(atoms, a)
	}
	xproto.ChangeProperty(d.c, xproto.PropModeReplace, xproto.Window(w), d.atomNetWMType, xproto.AtomAtom, 32, uint32(len(atoms)), clientAtomBytes(atoms...))
}

// Map shows a window.
func (d *Display) Map(w Window) { xproto.MapWindow(d.c, xproto.Window(w)) }

// Unmap hides a window.
func (d *Display) Unmap(w Window) { xproto.UnmapWindow(d.c, xproto.Window(w)) }

// Raise puts a window on top of its siblings.
func (d *Display) Raise(w Window) {
	xproto.ConfigureWindow(d.c, xproto.Window(w), xproto.ConfigWindowStackMode, []uint32{xproto.StackModeAbove})
}

// Destroy destroys a window.
func (d *Display) Destroy(w Window) { xproto.DestroyWindow(d.c, xproto.Window(w)) }

// MoveResize sets a window's geometry.
func (d *Display) MoveResize(w Window, x, y, width, height int) {
	xproto.ConfigureWindow(d.c, xproto.Window(w),
		xproto.ConfigWindowX|xproto.ConfigWindowY|xproto.ConfigWindowWidth|xproto.ConfigWindowHeight,
		[]uint32{uint32(int32(x)), uint32(int32(y)), uint32(max(width, 1)), uint32(max(height, 1))})
}

// Bell rings the bell.
func (d *Display) Bell(percent int) { xproto.Bell(d.c, int8(min(max(percent, -100), 100))) }

// Sync waits until the X server has processed every request sent so far.
func (d *Display) Sync() error {
	_, err := xproto.GetInputFocus(d.c).Reply()
	return err
}

// Paint draws the width x height area of a BGRX buffer (stride bytes per
// row, 4 bytes per pixel) at x, y in a window, in strips that each fit
// in one request (xgb never uses BIG-REQUESTS).
func (d *Display) Paint(w Window, x, y, width, height int, pix []byte, stride int) error {
	if width <= 0 || height <= 0 {
		return nil
	}
	row := width * 4
	if stride < row || len(pix) < stride*(height-1)+row {
		return fmt.Errorf("paint: %d bytes for %dx%d with stride %d", len(pix), width, height, stride)
	}
	if d.screen.RootDepth != 24 && d.screen.RootDepth != 32 {
		return fmt.Errorf("paint: unsupported screen depth %d", d.screen.RootDepth)
	}
	if d.paintSHM(w, x, y, width, height, pix, stride) {
		return nil
	}
	return d.paintStrips(w, x, y, width, height, pix, stride)
}

// paintStrips is Paint with plain PutImage requests.
func (d *Display) paintStrips(w Window, x, y, width, height int, pix []byte, stride int) error {
	row := width * 4
	rows := d.maxPut / row
	if rows < 1 {
		return errors.New("paint: a row is larger than the maximum request")
	}
	var scratch []byte
	for y0 := 0; y0 < height; y0 += rows {
		n := min(rows, height-y0)
		var data []byte
		if stride == row {
			data = pix[y0*stride : (y0+n)*stride]
		} else {
			if scratch == nil {
				scratch = make([]byte, rows*row)
			}
			data = scratch[:n*row]
			for i := range n {
				copy(data[i*row:(i+1)*row], pix[(y0+i)*stride:])
			}
		}
		xproto.PutImage(d.c, xproto.ImageFormatZPixmap, xproto.Drawable(w), d.gc(),
			uint16(width), uint16(n), int16(x), int16(y+y0), 0, d.screen.RootDepth, data)
	}
	return nil
}

// gc returns the graphics context used for painting, created on first use.
func (d *Display) gc() xproto.Gcontext {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.paintGC == 0 {
		id, err := xproto.NewGcontextId(d.c)
		if err != nil {
			return 0
		}
		xproto.CreateGC(d.c, id, xproto.Drawable(d.screen.Root), xproto.GcGraphicsExposures, []uint32{0})
		d.paintGC = id
	}
	return d.paintGC
}

// KeyboardNames reads _XKB_RULES_NAMES.
func (d *Display) KeyboardNames() x11.KeyboardNames {
	a, err := d.intern("_XKB_RULES_NAMES")
	if err != nil {
		return x11.KeyboardNames{}
	}
	r, err := xproto.GetProperty(d.c, false, d.screen.Root, a[0], xproto.AtomString, 0, 1024).Reply()
	if err != nil || r.Format != 8 {
		return x11.KeyboardNames{}
	}
	parts := strings.Split(string(r.Value), "\x00")
	for len(parts) < 5 {
		parts = append(parts, "")
	}
	return x11.KeyboardNames{Rules: parts[0], Model: parts[1], Layout: parts[2], Variant: parts[3], Options: parts[4]}
}

// ModifierMeanings maps the keysym names of the keys bound to modifiers
// to the modifier's name ("Shift_L" -> "shift", "Alt_L" -> "mod1"), as
// xpra's xkbmap_mod_meanings.
func (d *Display) ModifierMeanings() map[string]string {
	r, err := xproto.GetModifierMapping(d.c).Reply()
	if err != nil || r.KeycodesPerModifier == 0 {
		return map[string]string{}
	}
	names := [...]string{"shift", "lock", "control", "mod1", "mod2", "mod3", "mod4", "mod5"}
	out := map[string]string{}
	per := int(r.KeycodesPerModifier)
	for i, kc := range r.Keycodes {
		if kc == 0 || i/per >= len(names) {
			continue
		}
		for _, st := range []uint16{0, KeyMaskShift} {
			if n := keysym.Name(d.lookupKeysym(int(kc), st)); n != "" {
				if _, ok := out[n]; !ok {
					out[n] = names[i/per]
				}
			}
		}
	}
	return out
}
