package xclient

import (
	"errors"
	"fmt"

	"github.com/jezek/xgb/render"
	"github.com/jezek/xgb/xproto"
)

// Cursor is a cursor created on the client display (0: the default).
type Cursor uint32

// argbFormat finds the RENDER picture format of 32-bit ARGB pixels,
// initialising RENDER on first use.
func (d *Display) argbFormat() (render.Pictformat, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.argb != 0 || d.renderErr != nil {
		return d.argb, d.renderErr
	}
	if err := render.Init(d.c); err != nil {
		d.renderErr = fmt.Errorf("the display has no RENDER extension: %w", err)
		return 0, d.renderErr
	}
	r, err := render.QueryPictFormats(d.c).Reply()
	if err != nil {
		return 0, fmt.Errorf("query picture formats: %w", err)
	}
	for _, f := range r.Formats {
		df := f.Direct
		if f.Type == render.PictTypeDirect && f.Depth == 32 && df.AlphaMask == 0xff && df.AlphaShift == 24 &&
			df.RedMask == 0xff && df.RedShift == 16 && df.GreenMask == 0xff && df.GreenShift == 8 && df.BlueMask == 0xff && df.BlueShift == 0 {
			d.argb = f.Id
			return d.argb, nil
		}
	}
	d.renderErr = errors.New("the display has no 32-bit ARGB picture format")
	return 0, d.renderErr
}

// NewCursor creates a cursor from width x height premultiplied ARGB
// pixels (BGRA byte order) with its hotspot at xhot, yhot.
func (d *Display) NewCursor(width, height, xhot, yhot int, bgra []byte) (Cursor, error) {
	if width <= 0 || height <= 0 || width > 1024 || height > 1024 || len(bgra) < width*height*4 {
		return 0, fmt.Errorf("cursor: %d bytes for %dx%d", len(bgra), width, height)
	}
	if width*height*4 > d.maxPut {
		return 0, fmt.Errorf("cursor: %dx%d is larger than one request", width, height)
	}
	format, err := d.argbFormat()
	if err != nil {
		return 0, fmt.Errorf("cursor: %w", err)
	}
	pix, err := xproto.NewPixmapId(d.c)
	if err != nil {
		return 0, fmt.Errorf("cursor: %w", err)
	}
	gc, err := xproto.NewGcontextId(d.c)
	if err != nil {
		return 0, fmt.Errorf("cursor: %w", err)
	}
	pic, err := render.NewPictureId(d.c)
	if err != nil {
		return 0, fmt.Errorf("cursor: %w", err)
	}
	cid, err := xproto.NewCursorId(d.c)
	if err != nil {
		return 0, fmt.Errorf("cursor: %w", err)
	}
	xproto.CreatePixmap(d.c, 32, pix, xproto.Drawable(d.screen.Root), uint16(width), uint16(height))
	xproto.CreateGC(d.c, gc, xproto.Drawable(pix), 0, nil)
	xproto.PutImage(d.c, xproto.ImageFormatZPixmap, xproto.Drawable(pix), gc, uint16(width), uint16(height), 0, 0, 0, 32, bgra[:width*height*4])
	xproto.FreeGC(d.c, gc)
	render.CreatePicture(d.c, pic, xproto.Drawable(pix), format, 0, nil)
	// RENDER takes a hot spot up to the width and height themselves (a
	// blank cursor, as xterm's while typing, may put it there).
	err = render.CreateCursorChecked(d.c, cid, pic, uint16(min(max(xhot, 0), width)), uint16(min(max(yhot, 0), height))).Check()
	render.FreePicture(d.c, pic)
	xproto.FreePixmap(d.c, pix)
	if err != nil {
		return 0, fmt.Errorf("cursor: %w", err)
	}
	return Cursor(cid), nil
}

// SetWindowCursor shows cur over a window (0: the parent's cursor).
func (d *Display) SetWindowCursor(w Window, cur Cursor) {
	xproto.ChangeWindowAttributes(d.c, xproto.Window(w), xproto.CwCursor, []uint32{uint32(cur)})
}

// FreeCursor releases a cursor made by NewCursor.
func (d *Display) FreeCursor(cur Cursor) {
	if cur != 0 {
		xproto.FreeCursor(d.c, xproto.Cursor(cur))
	}
}
