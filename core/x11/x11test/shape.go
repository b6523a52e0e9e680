package x11test

import (
	"context"
	"fmt"

	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/x11"
)

// WindowShapeRects reads the bounding rectangles of a window on display
// (nil, false when it is not shaped). Tests compare shapes with it.
func WindowShapeRects(ctx context.Context, display string, id uint32) ([]geom.Rect, bool, error) {
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return nil, false, fmt.Errorf("window shape: %w", err)
	}
	c, err := x11.Connect(ctx, display, n)
	if err != nil {
		return nil, false, fmt.Errorf("window shape on %s: %w", display, err)
	}
	defer c.Close()
	if err := shape.Init(c.X); err != nil {
		return nil, false, fmt.Errorf("window shape: %w", err)
	}
	ext, err := shape.QueryExtents(c.X, xproto.Window(id)).Reply()
	if err != nil {
		return nil, false, fmt.Errorf("window shape: %w", x11.ReplyErr(ctx, err))
	}
	if !ext.BoundingShaped {
		return nil, false, nil
	}
	r, err := shape.GetRectangles(c.X, xproto.Window(id), shape.SkBounding).Reply()
	if err != nil {
		return nil, false, fmt.Errorf("window shape: %w", x11.ReplyErr(ctx, err))
	}
	out := make([]geom.Rect, len(r.Rectangles))
	for i, rc := range r.Rectangles {
		out[i] = geom.Rect{X: int(rc.X), Y: int(rc.Y), W: int(rc.Width), H: int(rc.Height)}
	}
	return out, true, nil
}
