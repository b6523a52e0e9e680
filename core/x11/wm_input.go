package x11

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
)

// Keymap finds the server's keycode for a keysym. It is built from the
// display's core keyboard mapping.
type Keymap struct {
	mu sync.Mutex
	// codes maps a keysym to its keycode and the shift level it sits at
	// (0 plain, 1 shifted); the lowest level wins.
	codes map[uint32]keyPos
	// spare are the keycodes BindKeysym gave a keysym.
	spare map[int]bool
}

type keyPos struct {
	code  int
	level int
}

// NewKeymap builds a Keymap from a core keyboard mapping: perKey keysyms
// for each keycode from minKeycode up.
func NewKeymap(minKeycode, perKey int, keysyms []uint32) *Keymap {
	km := &Keymap{codes: map[uint32]keyPos{}}
	if perKey <= 0 {
		return km
	}
	for i, ks := range keysyms {
		if ks == 0 {
			continue
		}
		code, level := minKeycode+i/perKey, i%perKey
		if level > 1 {
			// Groups beyond the first and odd levels: only if nothing better.
			level += 2
		}
		if old, ok := km.codes[ks]; !ok || level < old.level {
			km.codes[ks] = keyPos{code, level}
		}
	}
	return km
}

func loadKeymap(c *xgb.Conn) (*Keymap, error) {
	setup := xproto.Setup(c)
	minK, maxK := int(setup.MinKeycode), int(setup.MaxKeycode)
	r, err := xproto.GetKeyboardMapping(c, xproto.Keycode(minK), byte(maxK-minK+1)).Reply()
	if err != nil {
		return nil, fmt.Errorf("keyboard mapping: %w", err)
	}
	syms := make([]uint32, len(r.Keysyms))
	for i, s := range r.Keysyms {
		syms[i] = uint32(s)
	}
	return NewKeymap(minK, int(r.KeysymsPerKeycode), syms), nil
}

// Lookup returns the keycode for a key described as xpra's key-action
// does: the keysym (keyval) first, then the key's name; shifted says the
// keysym sits on the shifted level. ok is false when the server's
// keyboard has no such key.
func (km *Keymap) Lookup(keyval uint32, name string) (code int, shifted bool, ok bool) {
	km.mu.Lock()
	defer km.mu.Unlock()
	try := func(ks uint32) bool {
		if p, found := km.codes[ks]; found && ks != 0 {
			code, shifted, ok = p.code, p.level == 1, true
			return true
		}
		return false
	}
	if try(keyval) {
		return
	}
	if ks, found := KeysymFromName(name); found && try(ks) {
		return
	}
	return 0, false, false
}

// KeysymFromName returns the keysym of an X keysym name: a single
// character ("a", "é"), "U<hex>", "0x<hex>" or one of the common
// function-key names ("Return", "BackSpace", "Shift_L"...).
func KeysymFromName(name string) (uint32, bool) {
	if name == "" {
		return 0, false
	}
	if r, size := utf8.DecodeRuneInString(name); size == len(name) && r != utf8.RuneError {
		if r >= 0x20 && r <= 0xff {
			return uint32(r), true
		}
		return 0x01000000 | uint32(r), true
	}
	var v uint32
	if n, err := fmt.Sscanf(name, "U%x", &v); err == nil && n == 1 && len(name) > 1 {
		if v >= 0x20 && v <= 0xff {
			return v, true
		}
		return 0x01000000 | v, true
	}
	if n, err := fmt.Sscanf(name, "0x%x", &v); err == nil && n == 1 {
		return v, true
	}
	if ks, ok := namedKeysym(name); ok {
		return ks, true
	}
	// Latin-1 names ("minus", "greater", "eacute"), which the HTML5
	// client sends with browser key codes rather than keysyms.
	for ks := uint32(0x20); ks <= 0xff; ks++ {
		if clientKeysymTable(ks) == name {
			return ks, true
		}
	}
	return 0, false
}

// namedKeysym maps the names of keysymdef.h's keyboard keys that xpra
// clients send as keynames.
func namedKeysym(name string) (uint32, bool) {
	switch name {
	case "BackSpace":
		return 0xff08, true
	case "Tab":
		return 0xff09, true
	case "ISO_Left_Tab":
		return 0xfe20, true
	case "Return":
		return 0xff0d, true
	case "KP_Enter":
		return 0xff8d, true
	case "Escape":
		return 0xff1b, true
	case "Delete":
		return 0xffff, true
	case "Insert":
		return 0xff63, true
	case "Home":
		return 0xff50, true
	case "Left":
		return 0xff51, true
	case "Up":
		return 0xff52, true
	case "Right":
		return 0xff53, true
	case "Down":
		return 0xff54, true
	case "Page_Up", "Prior":
		return 0xff55, true
	case "Page_Down", "Next":
		return 0xff56, true
	case "End":
		return 0xff57, true
	case "space":
		return 0x20, true
	case "Shift_L":
		return 0xffe1, true
	case "Shift_R":
		return 0xffe2, true
	case "Control_L":
		return 0xffe3, true
	case "Control_R":
		return 0xffe4, true
	case "Caps_Lock":
		return 0xffe5, true
	case "Meta_L":
		return 0xffe7, true
	case "Meta_R":
		return 0xffe8, true
	case "Alt_L":
		return 0xffe9, true
	case "Alt_R":
		return 0xffea, true
	case "Super_L":
		return 0xffeb, true
	case "Super_R":
		return 0xffec, true
	case "ISO_Level3_Shift":
		return 0xfe03, true
	case "Num_Lock":
		return 0xff7f, true
	case "Menu":
		return 0xff67, true
	}
	var f int
	if n, err := fmt.Sscanf(name, "F%d", &f); err == nil && n == 1 && f >= 1 && f <= 35 && name == fmt.Sprintf("F%d", f) {
		return 0xffbe + uint32(f-1), true
	}
	return 0, false
}

// Keymap returns the server keyboard's keycode lookup.
func (wm *WM) Keymap() *Keymap { return wm.keys }

// X event types XTest fakes.
const (
	fakeKeyPress      = 2
	fakeKeyRelease    = 3
	fakeButtonPress   = 4
	fakeButtonRelease = 5
	fakeMotion        = 6
)

// MovePointer moves the pointer to root coordinates x, y.
func (wm *WM) MovePointer(x, y int) {
	xtest.FakeInput(wm.cap, fakeMotion, 0, 0, wm.root, int16(x), int16(y), 0)
}

// Button presses or releases a pointer button (1..3; 4..7 the wheel).
func (wm *WM) Button(button int, pressed bool) {
	t := byte(fakeButtonRelease)
	if pressed {
		t = fakeButtonPress
	}
	xtest.FakeInput(wm.cap, t, byte(button), 0, wm.root, 0, 0, 0)
}

// Key presses or releases a server keycode.
func (wm *WM) Key(keycode int, pressed bool) {
	if keycode < 8 || keycode > 255 {
		return
	}
	t := byte(fakeKeyRelease)
	if pressed {
		t = fakeKeyPress
	}
	xtest.FakeInput(wm.cap, t, byte(keycode), 0, wm.root, 0, 0, 0)
}

// ShiftKeycode returns the keycode of Shift_L (0 when there is none).
func (wm *WM) ShiftKeycode() int {
	code, _, _ := wm.keys.Lookup(0xffe1, "")
	return code
}
