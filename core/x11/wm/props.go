package wm

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/x11"
)

// This file reads and writes the EWMH and ICCCM properties beyond the
// basic ones: _NET_WM_STATE, _NET_WM_ICON and WM_HINTS, and announces
// the window manager's EWMH support on the root window (some
// applications, xterm -fullscreen among them, only ask for a state when
// the window manager says it supports it).

// WindowExtras are a managed window's EWMH state, icon and WM_HINTS.
type WindowExtras struct {
	// States are the xpra names of the window's _NET_WM_STATE flags
	// ("fullscreen", "maximized", "above", ...), sorted.
	States []string
	// Icon is the application's _NET_WM_ICON closest to IconSize; nil
	// when it has none.
	Icon *WindowIcon
	// NoInput is WM_HINTS' input hint set to False: the application takes
	// the focus itself (WM_TAKE_FOCUS) and must not be given it.
	NoInput bool
	// Urgent is WM_HINTS' urgency hint.
	Urgent bool
	// Shape is the window's SHAPE, nil for a rectangle.
	Shape *WindowShape
}

// Equal reports whether e and o describe the same state.
func (e WindowExtras) Equal(o WindowExtras) bool {
	if !slices.Equal(e.States, o.States) || e.NoInput != o.NoInput || e.Urgent != o.Urgent || !e.Shape.Equal(o.Shape) {
		return false
	}
	if (e.Icon == nil) != (o.Icon == nil) {
		return false
	}
	return e.Icon == nil || (e.Icon.Width == o.Icon.Width && e.Icon.Height == o.Icon.Height && bytes.Equal(e.Icon.BGRA, o.Icon.BGRA))
}

// WindowIcon is one image of _NET_WM_ICON: Width*Height pixels, 4 bytes
// each in B, G, R, A order (not premultiplied).
type WindowIcon struct {
	Width, Height int
	BGRA          []byte
}

// IconSize is the icon size clients ask for (xpra 3.1.3's
// encoding.icons.size); the icon picked is the smallest at least this
// big, or else the biggest.
const IconSize = 64

// maxIconSide bounds an icon's sides: larger ones are ignored.
const maxIconSide = 1024

// ParseNetWMIcon decodes a _NET_WM_ICON value (32-bit items as the X
// server returns them, little-endian here): width, height, then
// width*height ARGB pixels, repeated. It stops at the first entry that
// does not fit; an error says nothing usable was found.
func ParseNetWMIcon(b []byte) ([]WindowIcon, error) {
	var out []WindowIcon
	for len(b) >= 8 {
		w, h := int(le32(b)), int(le32(b[4:]))
		b = b[8:]
		if w <= 0 || h <= 0 || w > maxIconSide || h > maxIconSide || w*h*4 > len(b) {
			break
		}
		n := w * h * 4
		out = append(out, WindowIcon{Width: w, Height: h, BGRA: slices.Clone(b[:n])})
		b = b[n:]
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("_NET_WM_ICON: no complete icon in %d bytes", len(b))
	}
	return out, nil
}

// PickIcon returns the icon closest to IconSize (nil for none).
func PickIcon(icons []WindowIcon) *WindowIcon {
	var best *WindowIcon
	for i := range icons {
		ic := &icons[i]
		side := max(ic.Width, ic.Height)
		if best == nil {
			best = ic
			continue
		}
		bs := max(best.Width, best.Height)
		switch {
		case side >= IconSize && (bs < IconSize || side < bs):
			best = ic
		case bs < IconSize && side > bs:
			best = ic
		}
	}
	return best
}

func wmExtraAtomNames() []string {
	names := []string{"_NET_WM_STATE", "_NET_WM_ICON", "WM_HINTS", "WM_TAKE_FOCUS", "CARDINAL", "ATOM", "WINDOW",
		"_NET_SUPPORTED", "_NET_SUPPORTING_WM_CHECK", "_NET_WM_STATE_DEMANDS_ATTENTION"}
	for _, s := range x11.NetWMStates() {
		names = append(names, s.Atoms...)
	}
	return names
}

// announceEWMH sets _NET_SUPPORTED and _NET_SUPPORTING_WM_CHECK on the
// root window. Failures only cost the applications that check them.
func (wm *Manager) announceEWMH() {
	var supported []uint32
	for _, n := range []string{"_NET_WM_STATE", "_NET_WM_ICON", "_NET_WM_NAME", "_NET_WM_PID", "_NET_WM_WINDOW_TYPE", "_NET_SUPPORTING_WM_CHECK"} {
		supported = append(supported, uint32(wm.atoms[n]))
	}
	for _, s := range x11.NetWMStates() {
		for _, a := range s.Atoms {
			supported = append(supported, uint32(wm.atoms[a]))
		}
	}
	xproto.ChangeProperty(wm.c, xproto.PropModeReplace, wm.root, wm.atoms["_NET_SUPPORTED"], wm.atoms["ATOM"], 32, uint32(len(supported)), card32Bytes(supported...))
	check, err := xproto.NewWindowId(wm.c)
	if err != nil {
		return
	}
	if err := xproto.CreateWindowChecked(wm.c, 0, check, wm.root, -1, -1, 1, 1, 0, xproto.WindowClassInputOnly, 0, 0, nil).Check(); err != nil {
		wm.log.Debug("EWMH check window", "err", err)
		return
	}
	for _, w := range []xproto.Window{wm.root, check} {
		xproto.ChangeProperty(wm.c, xproto.PropModeReplace, w, wm.atoms["_NET_SUPPORTING_WM_CHECK"], wm.atoms["WINDOW"], 32, 1, card32Bytes(uint32(check)))
	}
	name := "xroam"
	xproto.ChangeProperty(wm.c, xproto.PropModeReplace, check, wm.atoms["_NET_WM_NAME"], wm.atoms["UTF8_STRING"], 8, uint32(len(name)), []byte(name))
}

// readExtras reads a window's state, icon and WM_HINTS.
func (wm *Manager) readExtras(w xproto.Window) WindowExtras {
	var e WindowExtras
	e.States = wm.statesOf(wm.stateAtoms(w))
	e.Shape = wm.readShape(w)
	if r := wm.prop(w, "_NET_WM_ICON"); r != nil && r.Format == 32 {
		if icons, err := ParseNetWMIcon(r.Value); err == nil {
			e.Icon = PickIcon(icons)
		} else {
			wm.log.Debug("window icon", "id", fmt.Sprintf("0x%x", uint32(w)), "err", err)
		}
	}
	if r := wm.prop(w, "WM_HINTS"); r != nil && r.Format == 32 && len(r.Value) >= 8 {
		flags := le32(r.Value)
		const inputHint, urgencyHint = 1 << 0, 1 << 8
		e.NoInput = flags&inputHint != 0 && le32(r.Value[4:]) == 0
		e.Urgent = flags&urgencyHint != 0
	}
	return e
}

func (wm *Manager) stateAtoms(w xproto.Window) []xproto.Atom {
	r := wm.prop(w, "_NET_WM_STATE")
	if r == nil || r.Format != 32 {
		return nil
	}
	out := make([]xproto.Atom, 0, len(r.Value)/4)
	for i := 0; i+4 <= len(r.Value); i += 4 {
		out = append(out, xproto.Atom(le32(r.Value[i:])))
	}
	return out
}

// statesOf turns _NET_WM_STATE atoms into sorted xpra state names.
func (wm *Manager) statesOf(atoms []xproto.Atom) []string {
	var out []string
	for _, s := range x11.NetWMStates() {
		all := true
		for _, a := range s.Atoms {
			all = all && slices.Contains(atoms, wm.atoms[a])
		}
		if all {
			out = append(out, s.Name)
		}
	}
	return out
}

// SetStates changes a managed window's _NET_WM_STATE: each named state
// is added (true) or removed (false); unknown names are ignored. The
// property change is reported back as a WindowChanged event.
func (wm *Manager) SetStates(id uint32, set map[string]bool) {
	w := xproto.Window(id)
	if id == uint32(wm.root) {
		return
	}
	atoms := wm.stateAtoms(w)
	changed := false
	for _, s := range x11.NetWMStates() {
		on, ok := set[s.Name]
		if !ok {
			continue
		}
		for _, n := range s.Atoms {
			atoms, changed = toggleAtom(atoms, wm.atoms[n], on, changed)
		}
	}
	if changed {
		wm.writeStates(w, atoms)
	}
}

func toggleAtom(atoms []xproto.Atom, a xproto.Atom, on, changed bool) ([]xproto.Atom, bool) {
	i := slices.Index(atoms, a)
	switch {
	case on && i < 0:
		return append(atoms, a), true
	case !on && i >= 0:
		return slices.Delete(atoms, i, i+1), true
	}
	return atoms, changed
}

func (wm *Manager) writeStates(w xproto.Window, atoms []xproto.Atom) {
	vals := make([]uint32, len(atoms))
	for i, a := range atoms {
		vals[i] = uint32(a)
	}
	xproto.ChangeProperty(wm.c, xproto.PropModeReplace, w, wm.atoms["_NET_WM_STATE"], wm.atoms["ATOM"], 32, uint32(len(vals)), card32Bytes(vals...))
}

// clientMessage handles an application's EWMH requests sent to the root
// window: _NET_WM_STATE changes (remove 0, add 1, toggle 2).
func (wm *Manager) clientMessage(e xproto.ClientMessageEvent) {
	if e.Type != wm.atoms["_NET_WM_STATE"] || e.Format != 32 {
		return
	}
	// A window not managed yet (xterm -fullscreen may ask before its
	// MapRequest is handled) gets the state in its property all the
	// same: managing it reads the property.
	d := e.Data.Data32
	action := d[0]
	atoms := wm.stateAtoms(e.Window)
	changed := false
	for _, a := range []xproto.Atom{xproto.Atom(d[1]), xproto.Atom(d[2])} {
		if a == 0 {
			continue
		}
		on := action == 1 || (action == 2 && !slices.Contains(atoms, a))
		atoms, changed = toggleAtom(atoms, a, on, changed)
	}
	if changed {
		wm.writeStates(e.Window, atoms)
	}
}

// takesFocus reports whether a window asks for WM_TAKE_FOCUS.
func (wm *Manager) takesFocus(w xproto.Window) bool {
	r := wm.prop(w, "WM_PROTOCOLS")
	if r == nil || r.Format != 32 {
		return false
	}
	for i := 0; i+4 <= len(r.Value); i += 4 {
		if xproto.Atom(le32(r.Value[i:])) == wm.atoms["WM_TAKE_FOCUS"] {
			return true
		}
	}
	return false
}

// focusByMessage handles the focus of a window whose input hint is
// False (ICCCM's "locally active" or "no input" models): it gets
// WM_TAKE_FOCUS when it asks for it and never SetInputFocus. It reports
// whether the window was such a one.
func (wm *Manager) focusByMessage(w xproto.Window) bool {
	wm.mu.Lock()
	mw, ok := wm.wins[uint32(w)]
	noInput := ok && mw.Extra.NoInput
	wm.mu.Unlock()
	if !noInput {
		return false
	}
	if wm.takesFocus(w) {
		ev := xproto.ClientMessageEvent{
			Format: 32, Window: w, Type: wm.atoms["WM_PROTOCOLS"],
			Data: xproto.ClientMessageDataUnionData32New([]uint32{uint32(wm.atoms["WM_TAKE_FOCUS"]), uint32(xproto.TimeCurrentTime), 0, 0, 0}),
		}
		xproto.SendEvent(wm.cap, false, w, xproto.EventMaskNoEvent, string(ev.Bytes()))
	}
	return true
}
