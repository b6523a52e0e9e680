package x11test

import (
	"context"
	"fmt"

	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/x11"
)

// Snapshot is a window's pixels: Width x Height, 4 bytes per pixel in the
// display's byte order (BGRX on little-endian 24-bit displays).
type Snapshot struct {
	Width, Height int
	Pix           []byte
}

// SnapshotWindow reads the pixels of a viewable window on display with
// GetImage, in strips that keep every reply well under any limit. Tests
// use it to compare what a client shows with what the server has.
func SnapshotWindow(ctx context.Context, display string, id uint32) (Snapshot, error) {
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return Snapshot{}, fmt.Errorf("capture: %w", err)
	}
	c, err := x11.Connect(ctx, display, n)
	if err != nil {
		return Snapshot{}, fmt.Errorf("capture on %s: %w", display, err)
	}
	defer c.Close()
	g, err := xproto.GetGeometry(c.X, xproto.Drawable(id)).Reply()
	if err != nil {
		return Snapshot{}, fmt.Errorf("capture 0x%x: %w", id, x11.ReplyErr(ctx, err))
	}
	w, h := int(g.Width), int(g.Height)
	img := Snapshot{Width: w, Height: h, Pix: make([]byte, 0, w*h*4)}
	const strip = 256
	for y := 0; y < h; y += strip {
		n := min(strip, h-y)
		r, err := xproto.GetImage(c.X, xproto.ImageFormatZPixmap, xproto.Drawable(id), 0, int16(y), uint16(w), uint16(n), 0xffffffff).Reply()
		if err != nil {
			return Snapshot{}, fmt.Errorf("capture 0x%x: %w", id, x11.ReplyErr(ctx, err))
		}
		if len(r.Data) < w*n*4 {
			return Snapshot{}, fmt.Errorf("capture 0x%x: %d bytes for %dx%d (depth %d)", id, len(r.Data), w, n, r.Depth)
		}
		img.Pix = append(img.Pix, r.Data[:w*n*4]...)
	}
	return img, nil
}

// RequestClose asks a window to close the way a window manager does: a
// WM_DELETE_WINDOW client message (ICCCM). Tests use it to click a
// client window's close button.
func RequestClose(ctx context.Context, display string, id uint32) error {
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return fmt.Errorf("request close: %w", err)
	}
	c, err := x11.Connect(ctx, display, n)
	if err != nil {
		return fmt.Errorf("request close on %s: %w", display, err)
	}
	defer c.Close()
	atoms, err := c.Atoms(ctx, "WM_PROTOCOLS", "WM_DELETE_WINDOW")
	if err != nil {
		return fmt.Errorf("request close: %w", err)
	}
	if atoms[0] == 0 || atoms[1] == 0 {
		return fmt.Errorf("request close: the display has no WM_DELETE_WINDOW atom")
	}
	ev := xproto.ClientMessageEvent{
		Format: 32, Window: xproto.Window(id), Type: atoms[0],
		Data: xproto.ClientMessageDataUnionData32New([]uint32{uint32(atoms[1]), 0, 0, 0, 0}),
	}
	if err := xproto.SendEventChecked(c.X, false, xproto.Window(id), xproto.EventMaskNoEvent, string(ev.Bytes())).Check(); err != nil {
		return fmt.Errorf("request close 0x%x: %w", id, x11.ReplyErr(ctx, err))
	}
	return nil
}
