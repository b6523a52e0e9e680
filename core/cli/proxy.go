package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/xroam/xroam/core/dial"
)

func proxyVerb() *Verb {
	return &Verb{
		Name:    "proxy",
		Aliases: []string{"_proxy"},
		Args:    "[DISPLAY]",
		Summary: "join standard input and output to a local session (what ssh:// runs remotely)",
		Description: "Connects to the session's unix socket (:N, a socket path, or the only live local session when none is given) " +
			"and copies standard input to it and its answers to standard output until either side closes. " +
			"A client reaching ssh://HOST/N runs it on HOST through ssh (see --remote-xroam); xpra's clients run it as _proxy.",
		Groups:  []string{"general"},
		MaxArgs: 1,
		Run:     runProxy,
	}
}

func runProxy(ctx context.Context, inv *Invocation) error {
	p, err := paths(inv)
	if err != nil {
		return err
	}
	t, err := resolveTarget(ctx, inv, p)
	if err != nil {
		return err
	}
	if t.Network != "unix" {
		return &UsageError{Msg: fmt.Sprintf("proxy joins local sessions only, not %s", t)}
	}
	nc, _, err := dial.Connect(ctx, p, t)
	if err != nil {
		return err
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	// The server's side ends the relay: when it closes, everything was
	// said. The end of standard input only half-closes the socket, so the
	// server still sends its goodbye.
	up := make(chan error, 1)
	go func() {
		_, err := io.Copy(nc, inv.Env.Stdin)
		if uc, ok := nc.(*net.UnixConn); ok {
			_ = uc.CloseWrite()
		}
		up <- err
	}()
	down := make(chan error, 1)
	go func() {
		_, err := io.Copy(inv.Env.Stdout, nc)
		down <- err
	}()
	select {
	case err := <-down:
		if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
			return nil
		}
		return err
	case <-up:
		// The client went; give the server a moment to close its side.
		select {
		case <-down:
		case <-time.After(5 * time.Second):
		}
		return nil
	}
}
