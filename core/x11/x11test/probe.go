package x11test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xroam/xroam/core/x11"
)

// WaitForWindow polls display until a top-level window satisfies match and
// returns it. It keeps trying while the display cannot be reached yet, so it
// can be called right after starting the server and the application; it
// gives up when ctx ends, with the last error seen.
func WaitForWindow(ctx context.Context, display string, match func(x11.WindowInfo) bool) (x11.WindowInfo, error) {
	if match == nil {
		return x11.WindowInfo{}, errors.New("wait for window: nil match function")
	}
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return x11.WindowInfo{}, fmt.Errorf("wait for window: %w", err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var (
		c    *x11.Conn
		last error
	)
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for {
		if c == nil {
			c, last = x11.Connect(ctx, display, n)
		}
		if c != nil {
			var ws []x11.WindowInfo
			ws, last = c.Windows(ctx)
			if last == nil {
				for _, w := range ws {
					if match(w) {
						return w, nil
					}
				}
			} else {
				// The connection may be broken (server restarted): start over.
				c.Close()
				c = nil
			}
		}
		select {
		case <-ctx.Done():
			err := context.Cause(ctx)
			if last != nil {
				err = fmt.Errorf("%w (last error: %w)", err, last)
			}
			return x11.WindowInfo{}, fmt.Errorf("wait for window on %s: %w", x11.DisplayName(n), err)
		case <-tick.C:
		}
	}
}
