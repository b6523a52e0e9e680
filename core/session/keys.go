package session

import (
	"log/slog"
	"slices"

	"github.com/xroam/xroam/core/x11/keysym"
	"github.com/xroam/xroam/core/xpra"
)

// serverKeycode finds the server keycode for a client's key: with
// --keyboard-raw the client's keycode as it is; otherwise the keysym's
// keycode on the server keyboard, then the key name's, then a spare
// keycode bound to the keysym, and only as a last resort the client's
// keycode. shifted says the keysym sits on the shifted level.
func (kb *keyboardSubsystem) serverKeycode(ws *windowSet, keyval uint32, name string, clientCode int) (code int, shifted, found bool) {
	if kb.s.cfg.KeyboardRaw {
		return clientCode, false, false
	}
	// The key name wins when it names another keysym: the HTML5 client
	// sends the browser's key codes as keyvals (65 for both a and A,
	// 189 for minus), while GTK and xroam clients send matching pairs.
	if ks, ok := keysym.FromName(name); ok && ks != keyval {
		keyval = ks
	}
	if code, shifted, found = ws.wm.Keymap().Lookup(keyval, name); found {
		return code, shifted, true
	}
	ks := keyval
	if ks == 0 {
		ks, _ = keysym.FromName(name)
	}
	if c, ok := ws.wm.BindKeysym(ks); ok {
		return c, false, true
	}
	return clientCode, false, false
}

// unsyncedKey handles a key-action from a client without keyboard
// synchronisation: a press is typed as a press and a release at once,
// and releases are dropped, so that a release lost on the way never
// leaves a key held (and repeating) on the server. Modifier keys stay
// held until their release as usual. It reports whether it handled pkt.
func (kb *keyboardSubsystem) unsyncedKey(ws *windowSet, wc *windowClient, k xpra.KeyAction) bool {
	if wc.keySync.Load() {
		return false
	}
	code, _, _ := kb.serverKeycode(ws, uint32(k.Keyval), k.Name, int(k.Keycode))
	if ws.wm.IsModifierKey(code) {
		return false
	}
	if !k.Pressed {
		return true
	}
	kb.press(ws, k, slog.New(slog.DiscardHandler))
	release := k
	release.Pressed = false
	kb.press(ws, release, slog.New(slog.DiscardHandler))
	return true
}

// press injects a key: the server keycode is found from the keysym,
// then the name, and only then is the client's keycode used as it is.
func (kb *keyboardSubsystem) press(ws *windowSet, k xpra.KeyAction, log *slog.Logger) {
	wid, name, pressed, keyval, clientCode := k.WID, k.Name, k.Pressed, k.Keyval, k.Keycode
	ws.mu.Lock()
	w, ok := ws.wins[wid]
	focus := ok && !w.OverrideRedirect && ws.focused != w.ID
	if focus {
		ws.focused = w.ID
	}
	ws.mu.Unlock()
	if focus {
		ws.wm.Focus(w.ID)
	}
	code, shifted, found := kb.serverKeycode(ws, uint32(keyval), name, int(clientCode))
	mods := k.Modifiers
	ws.wm.SyncModifiers(mods, code, true)
	log.Debug("key", "name", name, "keyval", keyval, "pressed", pressed, "keycode", code)
	// A keysym that sits on the shifted level of the server's keyboard
	// but comes without shift (another layout on the client) is typed
	// with a shift of its own.
	shift := 0
	if found && shifted && pressed && !slices.Contains(mods, "shift") {
		shift = ws.wm.ShiftKeycode()
	}
	if shift != 0 {
		ws.wm.Key(shift, true)
	}
	ws.wm.Key(code, pressed)
	if shift != 0 {
		ws.wm.Key(code, false)
		ws.wm.Key(shift, false)
	}
}
