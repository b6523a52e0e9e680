package wm

import (
	"fmt"
	"slices"

	"github.com/jezek/xgb/xproto"
)

// This file keeps the server's keyboard in step with the client's: the
// modifiers a client says are held (xpra's modifiers list, the X state
// before its event) are pressed or released on the server, and a keysym
// the server's keyboard lacks is bound to a spare keycode so that it
// can still be typed.

// modifierNames are X's eight modifiers in mask bit order, as xpra
// names them.
func modifierNames() [8]string {
	return [8]string{"shift", "lock", "control", "mod1", "mod2", "mod3", "mod4", "mod5"}
}

// modMap is the server's modifier mapping: the keycodes of each modifier.
type modMap [8][]int

func loadModMap(c *xproto.GetModifierMappingReply) modMap {
	var m modMap
	per := int(c.KeycodesPerModifier)
	for i := range 8 {
		for j := range per {
			if k := int(c.Keycodes[i*per+j]); k != 0 {
				m[i] = append(m[i], k)
			}
		}
	}
	return m
}

func (wm *Manager) modifierMap() (modMap, error) {
	r, err := xproto.GetModifierMapping(wm.cap).Reply()
	if err != nil {
		return modMap{}, fmt.Errorf("modifier mapping: %w", err)
	}
	return loadModMap(r), nil
}

// modifierOf returns the modifier index of keycode, -1 for none.
func (m modMap) modifierOf(code int) int {
	for i, codes := range m {
		if slices.Contains(codes, code) {
			return i
		}
	}
	return -1
}

// SyncModifiers makes the server's modifier state match want (xpra
// names: "shift", "control", "mod1"...): a modifier held on the server
// but not in want has its keys released, one in want but not held gets
// its first key pressed, and the locks (lock, and mod2 for Num_Lock) are
// toggled. keycode is the key about to be injected: when it is itself a
// modifier key its modifier is left alone, since want is the state
// before it. locks false leaves the lock modifiers alone (pointer
// events, whose clients do not always know them).
func (wm *Manager) SyncModifiers(want []string, keycode int, locks bool) {
	m, err := wm.modifierMap()
	if err != nil {
		wm.log.Debug("modifier sync", "err", err)
		return
	}
	ptr, err := xproto.QueryPointer(wm.cap, wm.root).Reply()
	if err != nil {
		wm.log.Debug("modifier sync", "err", err)
		return
	}
	var down []byte
	skip := m.modifierOf(keycode)
	for i, name := range modifierNames() {
		if i == skip || len(m[i]) == 0 {
			continue
		}
		on := ptr.Mask&(1<<i) != 0
		wanted := slices.Contains(want, name)
		if on == wanted {
			continue
		}
		lock := i == 1 || i == 4
		if lock {
			if locks {
				wm.Key(m[i][0], true)
				wm.Key(m[i][0], false)
			}
			continue
		}
		if wanted {
			wm.Key(m[i][0], true)
			continue
		}
		if down == nil {
			km, err := xproto.QueryKeymap(wm.cap).Reply()
			if err != nil {
				return
			}
			down = km.Keys
		}
		for _, k := range m[i] {
			if k < len(down)*8 && down[k/8]&(1<<(k%8)) != 0 {
				wm.Key(k, false)
			}
		}
	}
}

// BindKeysym gives keysym a keycode on the server's keyboard: a keycode
// that has no keysym at all gets it (on both levels, so that it types
// the same with or without shift). It returns the keycode, or false
// when no keycode is free.
func (wm *Manager) BindKeysym(keysym uint32) (int, bool) {
	if keysym == 0 {
		return 0, false
	}
	wm.keys.mu.Lock()
	defer wm.keys.mu.Unlock()
	if p, ok := wm.keys.codes[keysym]; ok {
		return p.code, true
	}
	setup := xproto.Setup(wm.cap)
	minK, maxK := int(setup.MinKeycode), int(setup.MaxKeycode)
	r, err := xproto.GetKeyboardMapping(wm.cap, xproto.Keycode(minK), byte(maxK-minK+1)).Reply()
	if err != nil || r.KeysymsPerKeycode == 0 {
		return 0, false
	}
	per := int(r.KeysymsPerKeycode)
	// From the top: the low keycodes are the real keys of a keyboard.
	for code := maxK; code >= minK; code-- {
		syms := r.Keysyms[(code-minK)*per : (code-minK+1)*per]
		if slices.ContainsFunc(syms, func(s xproto.Keysym) bool { return s != 0 }) {
			continue
		}
		if wm.keys.spare[code] {
			continue
		}
		vals := make([]xproto.Keysym, per)
		vals[0] = xproto.Keysym(keysym)
		if per > 1 {
			vals[1] = xproto.Keysym(keysym)
		}
		if err := xproto.ChangeKeyboardMappingChecked(wm.cap, 1, xproto.Keycode(code), byte(per), vals).Check(); err != nil {
			wm.log.Debug("binding a keysym", "keysym", fmt.Sprintf("0x%x", keysym), "err", err)
			return 0, false
		}
		if wm.keys.spare == nil {
			wm.keys.spare = map[int]bool{}
		}
		wm.keys.spare[code] = true
		wm.keys.codes[keysym] = keyPos{code, 0}
		wm.log.Debug("keysym bound", "keysym", fmt.Sprintf("0x%x", keysym), "keycode", code)
		return code, true
	}
	return 0, false
}

// IsModifierKey reports whether keycode is one of a modifier's keys
// (Shift_L, Control_R, Alt_L...).
func (wm *Manager) IsModifierKey(keycode int) bool {
	m, err := wm.modifierMap()
	return err == nil && m.modifierOf(keycode) >= 0
}
