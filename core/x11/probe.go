package x11

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// knownExtensions are the extensions Probe looks for: what xroam uses or
// will use (capture, damage tracking, resizing, shared memory, input
// injection, cursors, keyboard, window shapes).
func knownExtensions() []string {
	return []string{"Composite", "DAMAGE", "RANDR", "MIT-SHM", "XTEST", "XFIXES", "XKEYBOARD", "SHAPE"}
}

// KnownExtensions returns the names of the extensions Probe reports on.
func KnownExtensions() []string { return knownExtensions() }

// DisplayInfo describes an X display as Probe found it.
type DisplayInfo struct {
	Display string // normalised name, e.g. ":7"
	Number  int    // display number
	Screen  int    // screen that was probed

	Width, Height     int // root window size in pixels
	WidthMM, HeightMM int // physical size the server claims
	Depth             int // root window depth
	Root              uint32

	Vendor        string
	VendorRelease int
	ProtocolMajor int
	ProtocolMinor int

	// Extensions maps each name of KnownExtensions to whether the server
	// has it.
	Extensions map[string]bool

	// Windows are the top-level windows (children of the root), bottom
	// to top in stacking order.
	Windows []WindowInfo
}

// HasExtension reports whether the display has the named extension, which
// must be one of KnownExtensions; the case of the name does not matter.
func (d *DisplayInfo) HasExtension(name string) bool {
	for k, ok := range d.Extensions {
		if strings.EqualFold(k, name) {
			return ok
		}
	}
	return false
}

// MapState is a window's map state as X reports it.
type MapState uint8

// Window map states, as in the X protocol.
const (
	Unmapped   MapState = xproto.MapStateUnmapped
	Unviewable MapState = xproto.MapStateUnviewable
	Viewable   MapState = xproto.MapStateViewable
)

func (m MapState) String() string {
	switch m {
	case Unmapped:
		return "unmapped"
	case Unviewable:
		return "unviewable"
	case Viewable:
		return "viewable"
	}
	return fmt.Sprintf("MapState(%d)", uint8(m))
}

// WindowInfo describes one top-level window.
type WindowInfo struct {
	ID uint32
	// Title is _NET_WM_NAME when the window sets it, WM_NAME otherwise.
	Title     string
	WMName    string // WM_NAME, converted from Latin-1 when typed STRING
	NetWMName string // _NET_WM_NAME (UTF-8)
	// Instance and Class are the two halves of WM_CLASS.
	Instance, Class string

	MapState MapState
	// Mapped is MapState != Unmapped: the window has been mapped.
	Mapped           bool
	OverrideRedirect bool

	X, Y          int // relative to the root
	Width, Height int // inside the border
	BorderWidth   int
}

// RequireExtensions returns an error naming every one of names that info
// says the display lacks, or nil when it has them all. Only the names of
// KnownExtensions are probed; any other name counts as missing.
func RequireExtensions(info *DisplayInfo, names ...string) error {
	if info == nil {
		return errors.New("require extensions: no display info")
	}
	var missing []string
	for _, n := range names {
		if !info.HasExtension(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("display %s lacks the X extension(s) %s (enable them on the X server's command line, e.g. +extension %s)",
		info.Display, strings.Join(missing, ", "), missing[0])
}

// Probe connects to display (":7", "7" or ":7.0") and reports its screen,
// server, extensions and top-level windows. ctx bounds the whole probe.
func Probe(ctx context.Context, display string) (*DisplayInfo, error) {
	n, err := ParseDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	c, err := connect(ctx, display, n)
	if err != nil {
		return nil, fmt.Errorf("probe %s: %w", DisplayName(n), err)
	}
	defer c.close()
	info, err := c.info(ctx)
	if err != nil {
		return nil, fmt.Errorf("probe %s: %w", DisplayName(n), err)
	}
	return info, nil
}

// xconn is an xgb connection that is closed when the context it was made
// for ends, which is what makes xgb's blocking replies respect contexts.
type xconn struct {
	c      *xgb.Conn
	number int
	screen *xproto.ScreenInfo
	setup  *xproto.SetupInfo
	stop   func() bool
}

// connect opens a connection to display number n. xgb's handshake takes no
// context, so it runs aside and is abandoned (and closed when it ends) if
// ctx ends first.
func connect(ctx context.Context, display string, n int) (*xconn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// xgb parses the name itself; give it the canonical local form, keeping
	// the screen.
	name := DisplayName(n)
	if i := strings.LastIndexByte(display, '.'); i >= 0 {
		name += display[i:]
	}
	type result struct {
		c   *xgb.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := xgb.NewConnDisplay(name)
		ch <- result{c, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, fmt.Errorf("connect: %w", context.Cause(ctx))
	}
	if r.err != nil {
		return nil, fmt.Errorf("connect: %w", r.err)
	}
	setup := xproto.Setup(r.c)
	if r.c.DefaultScreen < 0 || r.c.DefaultScreen >= len(setup.Roots) {
		r.c.Close()
		return nil, fmt.Errorf("connect: display has no screen %d", r.c.DefaultScreen)
	}
	x := &xconn{c: r.c, number: n, setup: setup, screen: &setup.Roots[r.c.DefaultScreen]}
	x.stop = context.AfterFunc(ctx, r.c.Close)
	return x, nil
}

func (x *xconn) close() {
	if x.stop() {
		x.c.Close()
	}
}

// info gathers a DisplayInfo. Requests are all sent before any reply is
// awaited, so the probe costs a few round trips whatever the window count.
func (x *xconn) info(ctx context.Context) (*DisplayInfo, error) {
	s := x.screen
	info := &DisplayInfo{
		Display:       DisplayName(x.number),
		Number:        x.number,
		Screen:        x.c.DefaultScreen,
		Width:         int(s.WidthInPixels),
		Height:        int(s.HeightInPixels),
		WidthMM:       int(s.WidthInMillimeters),
		HeightMM:      int(s.HeightInMillimeters),
		Depth:         int(s.RootDepth),
		Root:          uint32(s.Root),
		Vendor:        x.setup.Vendor,
		VendorRelease: int(x.setup.ReleaseNumber),
		ProtocolMajor: int(x.setup.ProtocolMajorVersion),
		ProtocolMinor: int(x.setup.ProtocolMinorVersion),
		Extensions:    map[string]bool{},
	}
	names := knownExtensions()
	cookies := make([]xproto.QueryExtensionCookie, len(names))
	for i, name := range names {
		cookies[i] = xproto.QueryExtension(x.c, uint16(len(name)), name)
	}
	for i, ck := range cookies {
		r, err := ck.Reply()
		if err != nil {
			return nil, fmt.Errorf("query extension %s: %w", names[i], replyErr(ctx, err))
		}
		info.Extensions[names[i]] = r.Present
	}
	ws, err := x.windows(ctx)
	if err != nil {
		return nil, err
	}
	info.Windows = ws
	return info, nil
}

// windows lists the root's children with their names, state and geometry.
// Windows that vanish while being queried are left out.
func (x *xconn) windows(ctx context.Context) ([]WindowInfo, error) {
	atoms, err := x.atoms(ctx, "_NET_WM_NAME", "UTF8_STRING")
	if err != nil {
		return nil, err
	}
	netWMName, utf8String := atoms[0], atoms[1]
	tree, err := xproto.QueryTree(x.c, x.screen.Root).Reply()
	if err != nil {
		return nil, fmt.Errorf("query tree: %w", replyErr(ctx, err))
	}
	type pending struct {
		attr    xproto.GetWindowAttributesCookie
		geom    xproto.GetGeometryCookie
		name    xproto.GetPropertyCookie
		netName xproto.GetPropertyCookie
		class   xproto.GetPropertyCookie
	}
	// 256 longs (1 KiB) of a name is plenty for matching and display.
	const maxLongs = 256
	ps := make([]pending, len(tree.Children))
	for i, w := range tree.Children {
		ps[i].attr = xproto.GetWindowAttributes(x.c, w)
		ps[i].geom = xproto.GetGeometry(x.c, xproto.Drawable(w))
		ps[i].name = xproto.GetProperty(x.c, false, w, xproto.AtomWmName, xproto.GetPropertyTypeAny, 0, maxLongs)
		if netWMName != 0 {
			ps[i].netName = xproto.GetProperty(x.c, false, w, netWMName, xproto.GetPropertyTypeAny, 0, maxLongs)
		}
		ps[i].class = xproto.GetProperty(x.c, false, w, xproto.AtomWmClass, xproto.AtomString, 0, maxLongs)
	}
	out := make([]WindowInfo, 0, len(tree.Children))
	for i, w := range tree.Children {
		// Every cookie is read, even for a vanished window, so none is
		// left behind on the connection.
		attr, errA := ps[i].attr.Reply()
		geom, errG := ps[i].geom.Reply()
		name, errN := ps[i].name.Reply()
		var net *xproto.GetPropertyReply
		var errT error
		if netWMName != 0 {
			net, errT = ps[i].netName.Reply()
		}
		class, errC := ps[i].class.Reply()
		if err := firstConnErr(ctx, errA, errG, errN, errT, errC); err != nil {
			return nil, err
		}
		if errA != nil || errG != nil || attr == nil || geom == nil {
			continue // destroyed since QueryTree
		}
		wi := WindowInfo{
			ID:               uint32(w),
			MapState:         MapState(attr.MapState),
			Mapped:           attr.MapState != xproto.MapStateUnmapped,
			OverrideRedirect: attr.OverrideRedirect,
			X:                int(geom.X),
			Y:                int(geom.Y),
			Width:            int(geom.Width),
			Height:           int(geom.Height),
			BorderWidth:      int(geom.BorderWidth),
		}
		if errN == nil && name != nil {
			wi.WMName = textProperty(name, utf8String)
		}
		if errT == nil && net != nil {
			wi.NetWMName = textProperty(net, utf8String)
		}
		wi.Title = wi.NetWMName
		if wi.Title == "" {
			wi.Title = wi.WMName
		}
		if errC == nil && class != nil && class.Format == 8 {
			parts := bytes.SplitN(class.Value, []byte{0}, 3)
			wi.Instance = latin1(parts[0])
			if len(parts) > 1 {
				wi.Class = latin1(parts[1])
			}
		}
		out = append(out, wi)
	}
	return out, nil
}

// atoms looks up existing atoms without creating them; a name the server
// has never seen gives 0, which means no window can have that property.
func (x *xconn) atoms(ctx context.Context, names ...string) ([]xproto.Atom, error) {
	cookies := make([]xproto.InternAtomCookie, len(names))
	for i, n := range names {
		cookies[i] = xproto.InternAtom(x.c, true, uint16(len(n)), n)
	}
	out := make([]xproto.Atom, len(names))
	for i, ck := range cookies {
		r, err := ck.Reply()
		if err != nil {
			return nil, fmt.Errorf("intern atom %s: %w", names[i], replyErr(ctx, err))
		}
		out[i] = r.Atom
	}
	return out, nil
}

// textProperty decodes an 8-bit text property: UTF8_STRING as is, STRING
// (and anything else, e.g. COMPOUND_TEXT in its ASCII subset) as Latin-1
// unless it happens to be valid UTF-8.
func textProperty(r *xproto.GetPropertyReply, utf8String xproto.Atom) string {
	if r.Format != 8 || len(r.Value) == 0 {
		return ""
	}
	v := bytes.TrimRight(r.Value, "\x00")
	if (utf8String != 0 && r.Type == utf8String) || (r.Type != xproto.AtomString && utf8.Valid(v)) {
		return strings.ToValidUTF8(string(v), "\uFFFD")
	}
	return latin1(v)
}

func latin1(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

// replyErr turns the io.EOF that xgb returns for a closed connection into
// the context's error when the context is what closed it.
func replyErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	}
	return err
}

// firstConnErr returns the first error that is not an X protocol error
// (BadWindow and friends are per-window and expected for windows that went
// away), i.e. one that means the connection is gone.
func firstConnErr(ctx context.Context, errs ...error) error {
	for _, err := range errs {
		if err == nil {
			continue
		}
		if _, ok := err.(xgb.Error); ok {
			continue
		}
		return fmt.Errorf("window query: %w", replyErr(ctx, err))
	}
	return nil
}

// RouteXGBLog sends the messages that the xgb library prints on its own
// (for instance "Could not get authority info" when there is no
// ~/.Xauthority, harmless with Xvfb's default access control) to log at
// debug level instead of standard error. xgb has one logger per process, so
// call this once at start-up; it is safe to call concurrently with probes.
func RouteXGBLog(log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	xgb.Logger.SetFlags(0)
	xgb.Logger.SetPrefix("")
	xgb.Logger.SetOutput(slogWriter{log})
}

type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Debug("xgb: " + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
