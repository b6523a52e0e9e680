package wm

import (
	"fmt"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"

	"github.com/xroam/xroam/core/x11/keysym"
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
	if ks, found := keysym.FromName(name); found && try(ks) {
		return
	}
	return 0, false, false
}

// Keymap returns the server keyboard's keycode lookup.
func (wm *Manager) Keymap() *Keymap { return wm.keys }

// X event types XTest fakes.
const (
	fakeKeyPress      = 2
	fakeKeyRelease    = 3
	fakeButtonPress   = 4
	fakeButtonRelease = 5
	fakeMotion        = 6
)

// MovePointer moves the pointer to root coordinates x, y.
func (wm *Manager) MovePointer(x, y int) {
	xtest.FakeInput(wm.cap, fakeMotion, 0, 0, wm.root, int16(x), int16(y), 0)
}

// Button presses or releases a pointer button (1..3; 4..7 the wheel).
func (wm *Manager) Button(button int, pressed bool) {
	t := byte(fakeButtonRelease)
	if pressed {
		t = fakeButtonPress
	}
	xtest.FakeInput(wm.cap, t, byte(button), 0, wm.root, 0, 0, 0)
}

// Key presses or releases a server keycode.
func (wm *Manager) Key(keycode int, pressed bool) {
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
func (wm *Manager) ShiftKeycode() int {
	code, _, _ := wm.keys.Lookup(0xffe1, "")
	return code
}

// ReloadKeymap re-reads the display's keyboard mapping after a layout
// change, so that keysyms are typed with the keycodes that now carry them.
func (wm *Manager) ReloadKeymap() error {
	km, err := loadKeymap(wm.cap)
	if err != nil {
		return err
	}
	km.mu.Lock()
	codes := km.codes
	km.mu.Unlock()
	wm.keys.mu.Lock()
	wm.keys.codes = codes
	wm.keys.mu.Unlock()
	return nil
}
