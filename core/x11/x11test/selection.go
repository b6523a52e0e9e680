package x11test

import (
	"context"
	"fmt"

	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/x11"
)

// SelectionOwner returns the window owning selection name ("PRIMARY") on
// display, 0 when none does. Tests use it to see that clicks reached an
// application (xterm takes PRIMARY when text is selected).
func SelectionOwner(ctx context.Context, display, name string) (uint32, error) {
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return 0, fmt.Errorf("selection owner: %w", err)
	}
	c, err := x11.Connect(ctx, display, n)
	if err != nil {
		return 0, fmt.Errorf("selection owner on %s: %w", display, err)
	}
	defer c.Close()
	a, err := xproto.InternAtom(c.X, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("selection owner: %w", x11.ReplyErr(ctx, err))
	}
	r, err := xproto.GetSelectionOwner(c.X, a.Atom).Reply()
	if err != nil {
		return 0, fmt.Errorf("selection owner: %w", x11.ReplyErr(ctx, err))
	}
	return uint32(r.Owner), nil
}
