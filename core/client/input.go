package client

import (
	"fmt"
	"strings"

	"github.com/xroam/xroam/core/x11/xclient"
	"github.com/xroam/xroam/core/xpra"
)

// shortcut is a parsed --key-shortcut: modifiers + key name -> action.
type shortcut struct {
	mods   uint16
	key    string // lower case
	action string
}

// ignoredMods are left out when matching shortcuts (caps and num lock).
const ignoredMods = xclient.KeyMaskLock | xclient.KeyMask2

// parseShortcuts parses "Mod+Mod+Key:action" bindings. Only the quit
// action is implemented; "void" disables a binding.
func parseShortcuts(specs []string) ([]shortcut, error) {
	var out []shortcut
	for _, s := range specs {
		keys, action, ok := strings.Cut(s, ":")
		if !ok || keys == "" {
			return nil, fmt.Errorf("key shortcut %q: want KEYS:ACTION, e.g. Meta+Shift+F4:quit", s)
		}
		action = strings.TrimSpace(action)
		if i := strings.IndexByte(action, '('); i >= 0 {
			action = action[:i]
		}
		switch action {
		case "quit", "void":
		default:
			return nil, fmt.Errorf("key shortcut %q: unsupported action %q (this client handles quit and void)", s, action)
		}
		parts := strings.Split(keys, "+")
		sc := shortcut{key: strings.ToLower(parts[len(parts)-1]), action: action}
		for _, m := range parts[:len(parts)-1] {
			switch strings.ToLower(m) {
			case "shift":
				sc.mods |= xclient.KeyMaskShift
			case "control", "ctrl":
				sc.mods |= xclient.KeyMaskControl
			case "alt", "meta", "mod1":
				sc.mods |= xclient.KeyMask1
			case "super", "hyper", "mod4":
				sc.mods |= xclient.KeyMask4
			case "mod3":
				sc.mods |= xclient.KeyMask3
			case "mod5", "altgr":
				sc.mods |= xclient.KeyMask5
			default:
				return nil, fmt.Errorf("key shortcut %q: unknown modifier %q", s, m)
			}
		}
		if sc.action != "void" {
			out = append(out, sc)
		}
	}
	return out, nil
}

// matchShortcut returns the action bound to a key press, or "".
func matchShortcut(scs []shortcut, name string, state uint16) string {
	state &^= ignoredMods
	for _, sc := range scs {
		if sc.mods == state && sc.key == strings.ToLower(name) {
			return sc.action
		}
	}
	return ""
}

// pointerAt is xpra's pointer position: root coordinates, plus window
// coordinates when the server wants them.
func (c *client) pointerAt(rootX, rootY, x, y int) xpra.Pointer {
	if c.server.Bool("pointer.relative", false) {
		return xpra.Pointer{int64(rootX), int64(rootY), int64(x), int64(y)}
	}
	return xpra.Pointer{int64(rootX), int64(rootY)}
}

func buttons(state uint16) []int64 {
	out := []int64{}
	for _, b := range xclient.ButtonsFromState(state) {
		out = append(out, int64(b))
	}
	return out
}

func modifiers(state uint16) []string {
	return xclient.ModifierNames(state)
}

// focus tells the server which window has the keyboard.
func (c *client) focus(wid int64, state uint16) {
	if c.focused == wid {
		return
	}
	c.focused = wid
	c.sendLog(xpra.Focus{WID: wid, Modifiers: modifiers(state)}.Packet())
}

// handleEvent forwards a local X event; quit reports a quit shortcut.
func (c *client) handleEvent(ev any) (quit bool) {
	switch e := ev.(type) {
	case *xclient.ErrorEvent:
		c.log.Debug("attach: X error", "err", e.Err)
	case *xclient.ScreenEvent:
		c.screenChanged(e)
	case *xclient.StateEvent:
		c.localStates(e)
	case *xclient.ExposeEvent:
		if win := c.byLocal[e.Window]; win != nil {
			win.repaint(c.disp, e.X, e.Y, e.Width, e.Height)
			c.drawBorder(win)
		}
	case *xclient.ConfigureEvent:
		win := c.byLocal[e.Window]
		if win == nil || win.or {
			return false
		}
		if e.X == win.x && e.Y == win.y && e.Width == win.w && e.Height == win.h {
			return false
		}
		win.x, win.y = e.X, e.Y
		win.resize(clampDim(int64(e.Width)), clampDim(int64(e.Height)))
		c.sendLog(xpra.ConfigureWindow{WID: win.wid, X: int64(win.x), Y: int64(win.y), Width: int64(win.w), Height: int64(win.h),
			ResizeCounter: win.resizeCounter}.Packet())
	case *xclient.CloseEvent:
		if win := c.byLocal[e.Window]; win != nil {
			c.sendLog(xpra.CloseWindow{WID: win.wid}.Packet())
		}
	case *xclient.FocusEvent:
		if c.cfg.Readonly {
			return false
		}
		if win := c.byLocal[e.Window]; win != nil && e.In {
			c.focus(win.wid, 0)
		} else if win != nil && c.focused == win.wid {
			c.focus(0, 0)
		}
	case *xclient.KeyEvent:
		if e.Pressed {
			switch matchShortcut(c.shortcuts, e.Name, e.State) {
			case "quit":
				c.log.Info("attach: quit shortcut pressed")
				return true
			}
		}
		win := c.byLocal[e.Window]
		if win == nil || c.cfg.Readonly {
			return false
		}
		c.focus(win.wid, e.State)
		c.sendLog(xpra.KeyAction{WID: win.wid, Name: e.Name, Pressed: e.Pressed, Modifiers: modifiers(e.State), Keyval: int64(e.Keysym),
			String: e.String, Keycode: int64(e.Keycode), HasKeycode: true}.Packet())
	case *xclient.MotionEvent:
		win := c.byLocal[e.Window]
		if win == nil || c.cfg.Readonly {
			return false
		}
		c.sendLog(xpra.PointerPosition{WID: win.wid, Pointer: c.pointerAt(e.RootX, e.RootY, e.X, e.Y), Modifiers: modifiers(e.State), Buttons: buttons(e.State)}.Packet())
	case *xclient.ButtonEvent:
		win := c.byLocal[e.Window]
		if win == nil || c.cfg.Readonly {
			return false
		}
		if e.Pressed && !win.or {
			c.focus(win.wid, e.State)
		}
		c.sendLog(xpra.ButtonAction{WID: win.wid, Button: int64(e.Button), Pressed: e.Pressed, Pointer: c.pointerAt(e.RootX, e.RootY, e.X, e.Y),
			Modifiers: modifiers(e.State), HasModifiers: true, Buttons: buttons(e.State)}.Packet())
	}
	return false
}
