package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xroam/xroam/core/dial"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11/xclient"
	"github.com/xroam/xroam/core/xpra"
)

// runSessions attaches, and with cfg.Reconnect attaches again after an
// established connection drops: the windows of the lost connection are
// destroyed and the server sends them again. A server's disconnect, a
// refused login or the end of ctx ends it.
func runSessions(ctx context.Context, cfg Config, disp *xclient.Display, shortcuts []shortcut) error {
	timeout := cfg.ReconnectTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	established := false
	var lost time.Time // when the last established connection dropped
	attempt := 0
	for {
		err := attachOnce(ctx, cfg, disp, shortcuts, func() {
			established, lost, attempt = true, time.Time{}, 0
		})
		if err == nil || ctx.Err() != nil {
			return nil
		}
		var sd *ServerDisconnect
		var de *dialError
		switch {
		case !cfg.Reconnect || !established:
			return err
		case errors.As(err, &sd):
			// The server ended the session, unless it is an upgrade's:
			// the new server takes the session over and is attached
			// again.
			if sd.Reason != xpra.ReasonServerUpgrade {
				return err
			}
		case !errors.Is(err, ErrConnectionLost) && !errors.As(err, &de):
			return err
		}
		if lost.IsZero() {
			lost = time.Now()
		}
		if time.Since(lost) > timeout {
			return fmt.Errorf("gave up reconnecting after %s: %w", timeout, err)
		}
		delay := min(250*time.Millisecond<<min(attempt, 5), 5*time.Second)
		attempt++
		cfg.Log.Warn("attach: the connection dropped, reconnecting", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
	}
}

// dialError is a failure to reach the server.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// attachOnce dials and runs one connection; established is called once
// the server's hello arrives.
func attachOnce(ctx context.Context, cfg Config, disp *xclient.Display, shortcuts []shortcut, established func()) error {
	// Each connection has its own cipher state (IVs, salts).
	cc, err := dial.NewCipher(cfg.Target.Opts)
	if err != nil {
		return err
	}
	nc, t, err := dial.Connect(ctx, cfg.Paths, cfg.Target)
	if err != nil {
		return &dialError{err}
	}
	defer nc.Close()
	c := &client{
		cfg: cfg, log: cfg.Log, disp: disp, nc: nc, target: t,
		r: wire.NewReader(nc), w: wire.NewWriter(nc),
		windows: map[int64]*window{}, byLocal: map[xclient.Window]*window{},
		shortcuts: shortcuts, start: time.Now(), onHello: established, cipher: cc,
	}
	c.border, _ = parseBorder(cfg.Border) // checked by Run
	// rencode is understood by every xpra from 0.14 to 5 and by xroam.
	c.w.SetEncoding(wire.Rencode)
	if err := c.setupClipboard(); err != nil {
		return err
	}
	defer c.stopClipboard()
	defer c.destroyWindows()
	return c.run(ctx)
}

// destroyWindows removes every local window of this connection.
func (c *client) destroyWindows() {
	for wid, win := range c.windows {
		c.disp.Destroy(win.local)
		delete(c.windows, wid)
		delete(c.byLocal, win.local)
	}
	_ = c.disp.Sync()
}
