package xpra

import "github.com/xroam/xroam/core/wire"

// Pointer is a pointer position: [x, y] in root coordinates, or [x, y,
// win_x, win_y] when the server said pointer.relative.
type Pointer []int64

// XY is the root position; ok is false when the list has no two
// integers.
func (p Pointer) XY() (x, y int64, ok bool) {
	if len(p) < 2 {
		return 0, 0, false
	}
	return p[0], p[1], true
}

// pointerOf reads the leading integers of a pointer list (at most four).
func pointerOf(l []any) Pointer {
	var out Pointer
	for _, v := range l[:min(len(l), 4)] {
		n, ok := wire.AsInt(v)
		if !ok {
			break
		}
		out = append(out, n)
	}
	return out
}

// PointerPosition is the client's ["pointer-position", wid, pointer,
// modifiers, buttons]: the pointer moved. Absent fields are zero.
type PointerPosition struct {
	WID       int64
	Pointer   Pointer
	Modifiers []string
	Buttons   []int64
}

// Packet encodes the motion.
func (m PointerPosition) Packet() wire.Packet {
	return wire.Packet{TypePointerPosition, m.WID, anyInts(m.Pointer), anyStrings(m.Modifiers), anyInts(m.Buttons)}
}

// ParsePointerPosition reads a pointer-position packet.
func ParsePointerPosition(p wire.Packet) (PointerPosition, error) {
	if err := expect(p, 1, TypePointerPosition); err != nil {
		return PointerPosition{}, err
	}
	return PointerPosition{WID: intOr(p, 1), Pointer: pointerOf(p.List(2)), Modifiers: stringsOf(p.List(3)), Buttons: intsOf(p.List(4))}, nil
}

// ButtonAction is the client's ["button-action", wid, button, pressed,
// pointer, modifiers, buttons]: X button numbers, 4 to 7 for the wheel.
// Absent fields are zero.
type ButtonAction struct {
	WID       int64
	Button    int64
	Pressed   bool
	Pointer   Pointer
	Modifiers []string
	// HasModifiers says the packet carried a modifier list (when it has
	// none, the server leaves its modifiers as they are).
	HasModifiers bool
	Buttons      []int64
}

// Packet encodes the click (always with the modifier list).
func (b ButtonAction) Packet() wire.Packet {
	return wire.Packet{TypeButtonAction, b.WID, b.Button, b.Pressed, anyInts(b.Pointer), anyStrings(b.Modifiers), anyInts(b.Buttons)}
}

// ParseButtonAction reads a button-action packet.
func ParseButtonAction(p wire.Packet) (ButtonAction, error) {
	if err := expect(p, 1, TypeButtonAction); err != nil {
		return ButtonAction{}, err
	}
	return ButtonAction{WID: intOr(p, 1), Button: intOr(p, 2), Pressed: wire.Truthy(item(p, 3)), Pointer: pointerOf(p.List(4)),
		Modifiers: stringsOf(p.List(5)), HasModifiers: len(p) > 5, Buttons: intsOf(p.List(6))}, nil
}

// KeyAction is the client's ["key-action", wid, keyname, pressed,
// modifiers, keyval, string, keycode, group]: Keyval is the X keysym,
// Keycode the client's own keycode (browser-derived for HTML5 clients),
// Group the XKB group. The HTML5 client sends no window (WID 0) when
// none has the focus; absent fields are zero.
type KeyAction struct {
	WID       int64
	Name      string
	Pressed   bool
	Modifiers []string
	Keyval    int64
	String    string
	Keycode   int64
	// HasKeycode says the packet carried a keycode.
	HasKeycode bool
	Group      int64
}

// Packet encodes the key (always with a keycode).
func (k KeyAction) Packet() wire.Packet {
	return wire.Packet{TypeKeyAction, k.WID, k.Name, k.Pressed, anyStrings(k.Modifiers), k.Keyval, k.String, k.Keycode, k.Group}
}

// ParseKeyAction reads a key-action packet.
func ParseKeyAction(p wire.Packet) (KeyAction, error) {
	if err := expect(p, 1, TypeKeyAction); err != nil {
		return KeyAction{}, err
	}
	k := KeyAction{WID: intOr(p, 1), Name: p.Str(2), Pressed: wire.Truthy(item(p, 3)), Modifiers: stringsOf(p.List(4)),
		Keyval: intOr(p, 5), String: p.Str(6), Group: intOr(p, 8)}
	k.Keycode, k.HasKeycode = p.Int(7)
	return k, nil
}
