package x11

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// xgb has no XKEYBOARD extension, so the two requests and the one event
// the bell needs are built here by hand from the XKB protocol: UseExtension
// (minor 0), SelectEvents (minor 1) and the BellNotify event (xkbType 8).

// Bell is an application ringing the bell (XkbBell / XBell).
type Bell struct {
	// Window is the window the bell was rung for (0 for none); Top is its
	// managed top-level window, 0 when it has none.
	Window, Top uint32
	Percent     int
	Pitch       int
	Duration    int
	Class, ID   int
	Name        string
	DeviceID    int
	nameAtom    uint32
}

const (
	xkbBellNotify     = 8
	xkbBellNotifyMask = 1 << xkbBellNotify
	xkbUseCoreKbd     = 0x100
)

// xkbBellEvent is the BellNotify event as xgb delivers it.
type xkbBellEvent struct {
	raw  []byte
	bell Bell
}

func (e xkbBellEvent) Bytes() []byte  { return e.raw }
func (e xkbBellEvent) String() string { return fmt.Sprintf("XkbBellNotify %+v", e.bell) }

// parseXkbEvent decodes an XKB event: BellNotify, or nil-bodied for the
// other XKB event types (never selected).
func parseXkbEvent(buf []byte) xgb.Event {
	ev := xkbBellEvent{raw: buf}
	if len(buf) < 32 || buf[1] != xkbBellNotify {
		return ev
	}
	ev.bell = Bell{
		DeviceID: int(buf[8]), Class: int(buf[9]), ID: int(buf[10]), Percent: int(int8(buf[11])),
		Pitch: int(binary.LittleEndian.Uint16(buf[12:])), Duration: int(binary.LittleEndian.Uint16(buf[14:])),
		Window: binary.LittleEndian.Uint32(buf[20:]), nameAtom: binary.LittleEndian.Uint32(buf[16:]),
	}
	return ev
}

// setupBell selects the XKB bell events on the event connection. Without
// XKEYBOARD the session simply has no bell.
func (wm *WM) setupBell() error { return selectBells(wm.c) }

// selectBells asks for XKB BellNotify events on c and teaches xgb to
// decode them.
func selectBells(c *xgb.Conn) error {
	q, err := xproto.QueryExtension(c, 9, "XKEYBOARD").Reply()
	if err != nil {
		return fmt.Errorf("XKEYBOARD: %w", err)
	}
	if !q.Present {
		return fmt.Errorf("the display has no XKEYBOARD extension")
	}
	major := q.MajorOpcode
	// UseExtension 1.0.
	use := make([]byte, 8)
	use[0], use[1] = major, 0
	binary.LittleEndian.PutUint16(use[2:], 2)
	binary.LittleEndian.PutUint16(use[4:], 1)
	binary.LittleEndian.PutUint16(use[6:], 0)
	ck := c.NewCookie(true, true)
	c.NewRequest(use, ck)
	rep, err := ck.Reply()
	if err != nil {
		return fmt.Errorf("XKEYBOARD UseExtension: %w", err)
	}
	if len(rep) < 2 || rep[1] == 0 {
		return fmt.Errorf("XKEYBOARD 1.0 is not supported")
	}
	// The event decoder goes into xgb's table as its own extensions'
	// Init functions put theirs.
	c.ExtLock.Lock()
	xgb.NewEventFuncs[int(q.FirstEvent)] = parseXkbEvent
	c.ExtLock.Unlock()
	// SelectEvents: BellNotify, all of its details.
	sel := make([]byte, 16)
	sel[0], sel[1] = major, 1
	binary.LittleEndian.PutUint16(sel[2:], 4)
	binary.LittleEndian.PutUint16(sel[4:], xkbUseCoreKbd)
	binary.LittleEndian.PutUint16(sel[6:], xkbBellNotifyMask)  // affectWhich
	binary.LittleEndian.PutUint16(sel[8:], 0)                  // clear
	binary.LittleEndian.PutUint16(sel[10:], xkbBellNotifyMask) // selectAll
	sck := c.NewCookie(true, false)
	c.NewRequest(sel, sck)
	if err := sck.Check(); err != nil {
		return fmt.Errorf("XKEYBOARD SelectEvents: %w", err)
	}
	return nil
}

// bellEvent turns a BellNotify into a WMEvent, finding the managed
// top-level window of the window it was rung for.
func (wm *WM) bellEvent(e xkbBellEvent) {
	if len(e.raw) < 32 || e.raw[1] != xkbBellNotify {
		return
	}
	b := e.bell
	if b.nameAtom != 0 {
		if r, err := xproto.GetAtomName(wm.c, xproto.Atom(b.nameAtom)).Reply(); err == nil {
			b.Name = r.Name
		}
	}
	b.Top = wm.topLevel(xproto.Window(b.Window))
	wm.emit(WMEvent{Kind: BellRung, Bell: &b})
}

// topLevel returns the managed window that is w or holds w, 0 for none.
func (wm *WM) topLevel(w xproto.Window) uint32 {
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

// WaitForBell waits for the next bell rung on display (any client's
// XBell or XkbBell). Tests use it to see a bell forwarded to a client
// display, where nothing else shows it.
func WaitForBell(ctx context.Context, display string) (Bell, error) {
	n, err := ParseDisplay(display)
	if err != nil {
		return Bell{}, fmt.Errorf("bell: %w", err)
	}
	c, err := connect(ctx, display, n)
	if err != nil {
		return Bell{}, fmt.Errorf("bell on %s: %w", display, err)
	}
	defer c.close()
	if err := selectBells(c.c); err != nil {
		return Bell{}, fmt.Errorf("bell on %s: %w", display, err)
	}
	for {
		ev, xerr := c.c.WaitForEvent()
		if ev == nil && xerr == nil {
			return Bell{}, fmt.Errorf("bell on %s: %w", display, replyErr(ctx, errors.New("connection closed")))
		}
		if b, ok := ev.(xkbBellEvent); ok && len(b.raw) >= 32 && b.raw[1] == xkbBellNotify {
			return b.bell, nil
		}
	}
}
