package x11

import (
	"encoding/binary"
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

// BellEvent is an XKB event as xgb delivers it once SelectBells ran on
// its connection: a BellNotify, or another XKB event (never selected).
type BellEvent struct {
	raw  []byte
	bell Bell
}

func (e BellEvent) Bytes() []byte  { return e.raw }
func (e BellEvent) String() string { return fmt.Sprintf("XkbBellNotify %+v", e.bell) }

// Bell returns the bell a BellNotify reports; ok is false for the other
// XKB events.
func (e BellEvent) Bell() (b Bell, ok bool) {
	if len(e.raw) < 32 || e.raw[1] != xkbBellNotify {
		return Bell{}, false
	}
	return e.bell, true
}

// ReadName fills in Name from the atom the event carried, with a round
// trip on c; it is left empty when there is none or c cannot say.
func (b *Bell) ReadName(c *xgb.Conn) {
	if b.nameAtom == 0 {
		return
	}
	if r, err := xproto.GetAtomName(c, xproto.Atom(b.nameAtom)).Reply(); err == nil {
		b.Name = r.Name
	}
}

// parseXkbEvent decodes an XKB event: BellNotify, or nil-bodied for the
// other XKB event types (never selected).
func parseXkbEvent(buf []byte) xgb.Event {
	ev := BellEvent{raw: buf}
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

// SelectBells asks for XKB BellNotify events on c and teaches xgb to
// decode them (as BellEvent values).
func SelectBells(c *xgb.Conn) error {
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
