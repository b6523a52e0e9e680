package xclient

import (
	"slices"

	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/x11"
)

// This file gives the attach client's local windows their icon and
// EWMH state.

// atom interns name once per display; 0 when the server refuses.
func (d *Display) atom(name string) xproto.Atom {
	d.mu.Lock()
	a, ok := d.typeAtoms["\x00"+name]
	d.mu.Unlock()
	if ok {
		return a
	}
	as, err := d.intern(name)
	if err != nil {
		return 0
	}
	d.mu.Lock()
	d.typeAtoms["\x00"+name] = as[0]
	d.mu.Unlock()
	return as[0]
}

// SetIcon sets _NET_WM_ICON from a width x height B, G, R, A image (not
// premultiplied); an icon too large for one request is left out.
func (d *Display) SetIcon(w Window, width, height int, bgra []byte) {
	n := width * height * 4
	if width <= 0 || height <= 0 || len(bgra) < n || n+8 > d.maxPut {
		return
	}
	// The ARGB card32s of _NET_WM_ICON are, little-endian, B, G, R, A bytes.
	data := make([]byte, 8, 8+n)
	copy(data, clientCard32s(uint32(width), uint32(height)))
	data = append(data, bgra[:n]...)
	xproto.ChangeProperty(d.c, xproto.PropModeReplace, xproto.Window(w), d.atom("_NET_WM_ICON"), xproto.AtomCardinal, 32, uint32(len(data)/4), data)
}

// clientStateAtoms maps xpra's state names to _NET_WM_STATE atoms.
func clientStateAtoms(name string) []string {
	for _, s := range x11.NetWMStates() {
		if s.Name == name {
			return s.Atoms
		}
	}
	return nil
}

// SetStates sets a window's EWMH states (xpra names: "fullscreen",
// "maximized", "above"...): on a window not mapped yet through its
// _NET_WM_STATE property, which the window manager reads when it maps
// it; on a mapped one by asking the window manager, as EWMH says, and
// writing the property directly when no window manager runs.
func (d *Display) SetStates(w Window, set map[string]bool, mapped bool) {
	prop := d.atom("_NET_WM_STATE")
	var cur []xproto.Atom
	if r, err := xproto.GetProperty(d.c, false, xproto.Window(w), prop, xproto.AtomAtom, 0, 64).Reply(); err == nil && r.Format == 32 {
		for i := 0; i+4 <= len(r.Value); i += 4 {
			cur = append(cur, xproto.Atom(le32(r.Value[i:])))
		}
	}
	direct := !mapped || !d.hasWM()
	for name, on := range set {
		for _, an := range clientStateAtoms(name) {
			a := d.atom(an)
			if a == 0 {
				continue
			}
			i := slices.Index(cur, a)
			if on && i < 0 {
				cur = append(cur, a)
			} else if !on && i >= 0 {
				cur = slices.Delete(cur, i, i+1)
			}
			if !direct {
				action := uint32(0)
				if on {
					action = 1
				}
				ev := xproto.ClientMessageEvent{Format: 32, Window: xproto.Window(w), Type: prop,
					Data: xproto.ClientMessageDataUnionData32New([]uint32{action, uint32(a), 0, 1, 0})}
				xproto.SendEvent(d.c, false, d.screen.Root,
					xproto.EventMaskSubstructureRedirect|xproto.EventMaskSubstructureNotify, string(ev.Bytes()))
			}
		}
	}
	if direct {
		xproto.ChangeProperty(d.c, xproto.PropModeReplace, xproto.Window(w), prop, xproto.AtomAtom, 32, uint32(len(cur)), clientAtomBytes(cur...))
	}
}

// hasWM reports whether an EWMH window manager runs on the display.
func (d *Display) hasWM() bool {
	r, err := xproto.GetProperty(d.c, false, d.screen.Root, d.atom("_NET_SUPPORTING_WM_CHECK"), xproto.AtomWindow, 0, 1).Reply()
	return err == nil && r.Format == 32 && len(r.Value) >= 4
}

// SetShape gives a window the shape of a remote one: for each kind
// (bounding, clip, input) the rectangles given, nil leaving the kind
// alone; reset puts every kind back to the plain rectangle. Without
// SHAPE on the display windows stay rectangles.
func (d *Display) SetShape(w Window, bounding, clip, input []geom.Rect, reset bool) {
	d.shapeOnce.Do(func() { d.shapeErr = shape.Init(d.c) })
	if d.shapeErr != nil {
		return
	}
	win := xproto.Window(w)
	if reset {
		for _, k := range []shape.Kind{shape.SkBounding, shape.SkClip, shape.SkInput} {
			shape.Mask(d.c, shape.SoSet, k, win, 0, 0, 0)
		}
		return
	}
	for _, k := range []struct {
		kind  shape.Kind
		rects []geom.Rect
	}{{shape.SkBounding, bounding}, {shape.SkClip, clip}, {shape.SkInput, input}} {
		if k.rects == nil {
			continue
		}
		rs := make([]xproto.Rectangle, 0, len(k.rects))
		for _, r := range k.rects {
			if r.W <= 0 || r.H <= 0 {
				continue
			}
			rs = append(rs, xproto.Rectangle{X: int16(r.X), Y: int16(r.Y), Width: uint16(min(r.W, 32767)), Height: uint16(min(r.H, 32767))})
		}
		shape.Rectangles(d.c, shape.SoSet, k.kind, xproto.ClipOrderingUnsorted, win, 0, 0, rs)
	}
}

// Fill paints rectangles of a window in one colour (0xRRGGBB, the
// TrueColor pixel value of the depths Paint supports).
func (d *Display) Fill(w Window, rgb uint32, rects []geom.Rect) {
	if len(rects) == 0 {
		return
	}
	gc := d.gc()
	xproto.ChangeGC(d.c, gc, xproto.GcForeground, []uint32{rgb & 0xffffff})
	rs := make([]xproto.Rectangle, 0, len(rects))
	for _, r := range rects {
		if r.W > 0 && r.H > 0 {
			rs = append(rs, xproto.Rectangle{X: int16(r.X), Y: int16(r.Y), Width: uint16(min(r.W, 32767)), Height: uint16(min(r.H, 32767))})
		}
	}
	xproto.PolyFillRectangle(d.c, xproto.Drawable(w), gc, rs)
}

// StateEvent says a window's EWMH states changed (the local window
// manager maximized it, made it fullscreen...): States are the xpra
// names set now, sorted.
type StateEvent struct {
	Window Window
	States []string
}

// propertyChanged reports _NET_WM_STATE changes of the client's windows.
func (d *Display) propertyChanged(e xproto.PropertyNotifyEvent) {
	prop := d.atom("_NET_WM_STATE")
	if prop == 0 || e.Atom != prop {
		return
	}
	r, err := xproto.GetProperty(d.c, false, e.Window, prop, xproto.AtomAtom, 0, 64).Reply()
	if err != nil {
		return
	}
	var have []xproto.Atom
	for i := 0; i+4 <= len(r.Value); i += 4 {
		have = append(have, xproto.Atom(le32(r.Value[i:])))
	}
	var states []string
	for _, s := range x11.NetWMStates() {
		all := true
		for _, an := range s.Atoms {
			all = all && slices.Contains(have, d.atom(an))
		}
		if all {
			states = append(states, s.Name)
		}
	}
	d.send(&StateEvent{Window: Window(e.Window), States: states})
}
