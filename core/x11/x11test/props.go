package x11test

import (
	"context"
	"fmt"
	"slices"

	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/x11"
)

// WindowProperty reads property name of window id on display: its
// format (8, 16 or 32; 0 when the window does not have it) and its
// bytes (32-bit items little-endian). Tests and diagnostics use it to
// see what a window shows (icons, EWMH state).
func WindowProperty(ctx context.Context, display string, id uint32, name string) (int, []byte, error) {
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return 0, nil, fmt.Errorf("window property: %w", err)
	}
	c, err := x11.Connect(ctx, display, n)
	if err != nil {
		return 0, nil, fmt.Errorf("window property on %s: %w", display, err)
	}
	defer c.Close()
	a, err := xproto.InternAtom(c.X, true, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, nil, fmt.Errorf("window property %s: %w", name, x11.ReplyErr(ctx, err))
	}
	if a.Atom == 0 {
		return 0, nil, nil
	}
	r, err := xproto.GetProperty(c.X, false, xproto.Window(id), a.Atom, xproto.GetPropertyTypeAny, 0, 1<<20).Reply()
	if err != nil {
		return 0, nil, fmt.Errorf("window property %s: %w", name, x11.ReplyErr(ctx, err))
	}
	return int(r.Format), r.Value, nil
}

// WindowStates reads a window's _NET_WM_STATE as xpra state names
// ("fullscreen", "above"...), sorted.
func WindowStates(ctx context.Context, display string, id uint32) ([]string, error) {
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("window states: %w", err)
	}
	c, err := x11.Connect(ctx, display, n)
	if err != nil {
		return nil, fmt.Errorf("window states on %s: %w", display, err)
	}
	defer c.Close()
	r, err := xproto.GetProperty(c.X, false, xproto.Window(id), internOnly(c, "_NET_WM_STATE"), xproto.AtomAtom, 0, 64).Reply()
	if err != nil {
		return nil, fmt.Errorf("window states: %w", x11.ReplyErr(ctx, err))
	}
	var have []string
	for i := 0; i+4 <= len(r.Value); i += 4 {
		if an, err := xproto.GetAtomName(c.X, xproto.Atom(le32(r.Value[i:]))).Reply(); err == nil {
			have = append(have, an.Name)
		}
	}
	var out []string
	for _, s := range x11.NetWMStates() {
		all := true
		for _, a := range s.Atoms {
			all = all && slices.Contains(have, a)
		}
		if all {
			out = append(out, s.Name)
		}
	}
	return out, nil
}

func internOnly(c *x11.Conn, name string) xproto.Atom {
	a, err := xproto.InternAtom(c.X, true, uint16(len(name)), name).Reply()
	if err != nil {
		return 0
	}
	return a.Atom
}

// SetWindowProperty replaces property name of window id on display with
// data, of type typ ("CARDINAL", "ATOM"...) and format 8, 16 or 32 (data
// holds 32-bit items little-endian). Tests use it as an application
// would, for properties too long for xprop.
func SetWindowProperty(ctx context.Context, display string, id uint32, name, typ string, format int, data []byte) error {
	if format != 8 && format != 16 && format != 32 {
		return fmt.Errorf("set property %s: format %d", name, format)
	}
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return fmt.Errorf("set property: %w", err)
	}
	c, err := x11.Connect(ctx, display, n)
	if err != nil {
		return fmt.Errorf("set property on %s: %w", display, err)
	}
	defer c.Close()
	var atoms [2]xproto.Atom
	for i, an := range []string{name, typ} {
		r, err := xproto.InternAtom(c.X, false, uint16(len(an)), an).Reply()
		if err != nil {
			return fmt.Errorf("set property %s: intern %s: %w", name, an, x11.ReplyErr(ctx, err))
		}
		atoms[i] = r.Atom
	}
	units := len(data) / (format / 8)
	if err := xproto.ChangePropertyChecked(c.X, xproto.PropModeReplace, xproto.Window(id), atoms[0], atoms[1], byte(format), uint32(units), data).Check(); err != nil {
		return fmt.Errorf("set property %s on 0x%x: %w", name, id, x11.ReplyErr(ctx, err))
	}
	return nil
}

// le32 reads a 32-bit property item (little-endian on these connections).
func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
