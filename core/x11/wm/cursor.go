package wm

import (
	"fmt"

	"github.com/jezek/xgb/xfixes"
)

// Cursor is the display's current pointer image, as XFixes reports it.
type Cursor struct {
	Serial     uint32
	Name       string // "xterm", "left_ptr"... ("" when unnamed)
	Width      int
	Height     int
	XHot, YHot int
	X, Y       int    // pointer position
	Pix        []byte // BGRA (premultiplied), Width*Height*4 bytes
}

// setupCursor asks for cursor change events; without XFixes the clients
// keep their default cursor.
func (wm *Manager) setupCursor() {
	if err := xfixes.Init(wm.c); err != nil {
		wm.log.Info("XFIXES unavailable: no cursor forwarding", "err", err)
		return
	}
	if _, err := xfixes.QueryVersion(wm.c, 4, 0).Reply(); err != nil {
		wm.log.Info("XFIXES version query failed: no cursor forwarding", "err", err)
		return
	}
	xfixes.SelectCursorInput(wm.c, wm.root, xfixes.CursorNotifyMaskDisplayCursor)
	wm.mu.Lock()
	wm.xfixes = true
	wm.mu.Unlock()
}

// CurrentCursor reads the cursor the display shows now.
func (wm *Manager) CurrentCursor() (Cursor, error) {
	wm.mu.Lock()
	ok := wm.xfixes
	wm.mu.Unlock()
	if !ok {
		return Cursor{}, fmt.Errorf("cursor: XFIXES is not available")
	}
	r, err := xfixes.GetCursorImageAndName(wm.c).Reply()
	if err != nil {
		return Cursor{}, fmt.Errorf("cursor: %w", err)
	}
	return cursorFromReply(r), nil
}

func cursorFromReply(r *xfixes.GetCursorImageAndNameReply) Cursor {
	cur := Cursor{
		Serial: r.CursorSerial, Name: r.Name, Width: int(r.Width), Height: int(r.Height),
		XHot: int(r.Xhot), YHot: int(r.Yhot), X: int(r.X), Y: int(r.Y),
		Pix: make([]byte, 0, len(r.CursorImage)*4),
	}
	for _, p := range r.CursorImage {
		cur.Pix = append(cur.Pix, byte(p), byte(p>>8), byte(p>>16), byte(p>>24))
	}
	return cur
}
