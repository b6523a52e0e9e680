package x11test

import (
	"context"
	"fmt"

	"github.com/jezek/xgb/xfixes"

	"github.com/xroam/xroam/core/x11"
)

// CursorImage is the cursor a display shows: premultiplied ARGB pixels
// (one uint32 each) and the hotspot.
type CursorImage struct {
	Width, Height int
	XHot, YHot    int
	Pix           []uint32
}

// CurrentCursor reads the cursor a display shows now (XFixes). Tests use
// it to compare the client's cursor with the server's.
func CurrentCursor(ctx context.Context, display string) (CursorImage, error) {
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return CursorImage{}, fmt.Errorf("cursor: %w", err)
	}
	c, err := x11.Connect(ctx, display, n)
	if err != nil {
		return CursorImage{}, fmt.Errorf("cursor on %s: %w", display, err)
	}
	defer c.Close()
	if err := xfixes.Init(c.X); err != nil {
		return CursorImage{}, fmt.Errorf("cursor: %w", err)
	}
	if _, err := xfixes.QueryVersion(c.X, 4, 0).Reply(); err != nil {
		return CursorImage{}, fmt.Errorf("cursor: %w", x11.ReplyErr(ctx, err))
	}
	r, err := xfixes.GetCursorImageAndName(c.X).Reply()
	if err != nil {
		return CursorImage{}, fmt.Errorf("cursor: %w", x11.ReplyErr(ctx, err))
	}
	return CursorImage{Width: int(r.Width), Height: int(r.Height), XHot: int(r.Xhot), YHot: int(r.Yhot), Pix: r.CursorImage}, nil
}
