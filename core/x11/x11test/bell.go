package x11test

import (
	"context"
	"errors"
	"fmt"

	"github.com/xroam/xroam/core/x11"
)

// WaitForBell waits for the next bell rung on display (any client's
// XBell or XkbBell). Tests use it to see a bell forwarded to a client
// display, where nothing else shows it.
func WaitForBell(ctx context.Context, display string) (x11.Bell, error) {
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return x11.Bell{}, fmt.Errorf("bell: %w", err)
	}
	c, err := x11.Connect(ctx, display, n)
	if err != nil {
		return x11.Bell{}, fmt.Errorf("bell on %s: %w", display, err)
	}
	defer c.Close()
	if err := x11.SelectBells(c.X); err != nil {
		return x11.Bell{}, fmt.Errorf("bell on %s: %w", display, err)
	}
	for {
		ev, xerr := c.X.WaitForEvent()
		if ev == nil && xerr == nil {
			return x11.Bell{}, fmt.Errorf("bell on %s: %w", display, x11.ReplyErr(ctx, errors.New("connection closed")))
		}
		if e, ok := ev.(x11.BellEvent); ok {
			if b, ok := e.Bell(); ok {
				return b, nil
			}
		}
	}
}
