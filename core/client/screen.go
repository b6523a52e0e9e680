package client

import (
	"slices"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11/xclient"
	"github.com/xroam/xroam/core/xpra"
)

// screenChanged tells the server that the local screen changed size, as
// xpra's client does. Servers that did not say desktop_size in their
// hello do not want it.
func (c *client) screenChanged(e *xclient.ScreenEvent) {
	if c.server == nil || !c.server.Has("desktop_size") {
		return
	}
	scr := c.disp.Screen()
	monitor := []any{"screen", 0, 0, e.Width, e.Height, e.WidthMM, e.HeightMM}
	sizes := []any{[]any{scr.Name, e.Width, e.Height, e.WidthMM, e.HeightMM, []any{monitor}, 0, 0, e.Width, e.Height}}
	c.log.Debug("attach: the local screen changed", "width", e.Width, "height", e.Height)
	c.sendLog(xpra.ClientDesktopSize{Width: int64(e.Width), Height: int64(e.Height), ScreenSizes: sizes}.Packet())
}

// localStates tells the server about states the local window manager
// (or user) gave a window: a configure-window with only its
// window_state, for the states that differ from what the client knows.
func (c *client) localStates(e *xclient.StateEvent) {
	win := c.byLocal[e.Window]
	if win == nil || win.or {
		return
	}
	changed := wire.Dict{}
	for _, s := range stateNames() {
		on := slices.Contains(e.States, s)
		if win.meta.Bool(s, false) != on {
			changed[xpraStateName(s)] = on
			win.meta[s] = on
		}
	}
	if len(changed) == 0 {
		return
	}
	c.sendLog(xpra.ConfigureWindow{WID: win.wid, X: int64(win.x), Y: int64(win.y), Width: int64(win.w), Height: int64(win.h),
		ResizeCounter: win.resizeCounter, State: changed, SkipGeometry: true}.Packet())
}

// xpraStateName is the window_state key of a metadata state name.
func xpraStateName(s string) string {
	if s == "iconic" {
		return "iconified"
	}
	return s
}
