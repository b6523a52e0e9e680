package wm

import (
	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/x11"
)

// setupBell selects the XKB bell events on the event connection. Without
// XKEYBOARD the session simply has no bell.
func (wm *Manager) setupBell() error { return x11.SelectBells(wm.c) }

// bellEvent turns a BellNotify into an Event, finding the managed
// top-level window of the window it was rung for.
func (wm *Manager) bellEvent(e x11.BellEvent) {
	b, ok := e.Bell()
	if !ok {
		return
	}
	b.ReadName(wm.c)
	b.Top = wm.topLevel(xproto.Window(b.Window))
	wm.emit(Event{Kind: BellRung, Bell: &b})
}

// topLevel returns the managed window that is w or holds w, 0 for none.
func (wm *Manager) topLevel(w xproto.Window) uint32 {
	for range 32 {
		if w == 0 || w == wm.root {
			return 0
		}
		wm.mu.Lock()
		_, ok := wm.wins[uint32(w)]
		wm.mu.Unlock()
		if ok {
			return uint32(w)
		}
		t, err := xproto.QueryTree(wm.c, w).Reply()
		if err != nil {
			return 0
		}
		w = t.Parent
	}
	return 0
}
