package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xroam/xroam/core/dial"
	"github.com/xroam/xroam/core/session"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
)

// looksLikeTarget tells a connection string from a control command word.
func looksLikeTarget(s string) bool {
	return strings.HasPrefix(s, ":") || strings.HasPrefix(s, "/") || strings.Contains(s, "://") ||
		strings.HasPrefix(s, "socket:") || slices.ContainsFunc([]string{"tcp:", "ssl:", "ws:", "wss:", "ssh:"}, func(p string) bool { return strings.HasPrefix(s, p) })
}

func controlVerb() *Verb {
	return &Verb{
		Name:    "control",
		Args:    "[DISPLAY|URI] COMMAND [ARG...]",
		Summary: "run a control command in a session (help lists them)",
		Description: "Sends a command to the session's server, as xpra's control does: help, start CMD, start-child CMD, " +
			"name NAME, debug enable|disable|status, disconnect [UUID...]. Prints the server's answer; a refused command exits with 1.",
		Groups:  []string{"general"},
		MaxArgs: -1,
		Run: func(ctx context.Context, inv *Invocation) error {
			args := inv.Args
			var targetArgs []string
			if len(args) > 0 && looksLikeTarget(args[0]) {
				targetArgs, args = args[:1], args[1:]
			}
			if len(args) == 0 {
				return &UsageError{Msg: "missing command (try: xroam control :N help)"}
			}
			p, err := paths(inv)
			if err != nil {
				return err
			}
			sub := *inv
			sub.Args = targetArgs
			t, err := resolveTarget(ctx, &sub, p)
			if err != nil {
				return err
			}
			req := make([]any, len(args))
			for i, a := range args {
				req[i] = a
			}
			pw, err := password(inv)
			if err != nil {
				return err
			}
			extra := wire.Dict{"command_request": req}
			for k, v := range loginCaps(inv) {
				extra[k] = v
			}
			rc, err := dial.RequestWithPassword(ctx, p, t, "command", extra, pw)
			if err != nil {
				return err
			}
			defer rc.Close()
			resp := rc.Server.List("command_response")
			if len(resp) < 2 {
				return errors.New("the server sent no command response")
			}
			code, _ := wire.AsInt(resp[0])
			msg, _ := wire.AsString(resp[1])
			if code != 0 {
				return fmt.Errorf("%s (code %d)", msg, code)
			}
			_, err = fmt.Fprintln(inv.Env.Stdout, msg)
			return err
		},
	}
}

func upgradeVerb() *Verb {
	return &Verb{
		Name:    "upgrade",
		Args:    ":DISPLAY",
		Summary: "replace a session's server by this one, keeping its display and applications",
		Description: "Asks the server of :DISPLAY to exit (its X server and applications keep running), then starts this " +
			"binary's server on the same display with --use-display, taking the windows and applications over. " +
			"A desktop or shadow session is taken over as one again. Attached clients are told \"server upgrade\" and xroam's " +
			"client (with --reconnect) attaches again. Accepts the options of start.",
		Groups:  sessionGroups(),
		MaxArgs: 1,
		Run: func(ctx context.Context, inv *Invocation) error {
			if len(inv.Args) != 1 {
				return &UsageError{Msg: "upgrade needs the display to take over, e.g. xroam upgrade :7"}
			}
			t, err := dial.ParseTarget(inv.Args[0])
			if err != nil || t.Display < 0 {
				return &UsageError{Msg: fmt.Sprintf("%q is not a display such as :7", inv.Args[0])}
			}
			p, err := paths(inv)
			if err != nil {
				return err
			}
			pw, err := password(inv)
			if err != nil {
				return err
			}
			rc, err := dial.RequestWithPassword(ctx, p, t, "exit", loginCaps(inv), pw)
			if err != nil {
				return fmt.Errorf("reaching the running server: %w", err)
			}
			// The new server runs in the old one's mode (xroam servers say it
			// in their hello; others are taken for seamless ones).
			mode := rc.Server.Str("server.mode", "seamless")
			verb, ok := map[string]string{"seamless": "start", "desktop": "start-desktop", "shadow": "shadow"}[mode]
			if !ok {
				rc.Close()
				return fmt.Errorf("the server of %s runs in an unknown mode %q", inv.Args[0], mode)
			}
			if err := rc.W.WritePacket(xpra.ExitServer{Reason: xpra.ExitUpgrade}.Packet()); err != nil {
				rc.Close()
				return fmt.Errorf("asking the server to exit: %w", err)
			}
			reason, err := rc.WaitDisconnect(10 * time.Second)
			rc.Close()
			if err != nil {
				return err
			}
			sock, _ := p.FindSocket(t.Display)
			if sock != "" && !session.WaitGone(ctx, sock, 10*time.Second) {
				return fmt.Errorf("the old server answered %q but its socket %s is still there", reason, sock)
			}
			// Start as `start :N --use-display` would (start-desktop for a
			// desktop, shadow :N for a shadow, which never owns its
			// display), with the same options; a daemon re-runs this
			// binary with that verb.
			start := *inv
			env := *inv.Env
			env.Args = upgradeArgsToStart(inv.Env.Args, verb)
			start.Env = &env
			start.Config.Config.UseDisplay = mode != "shadow"
			return runServer(ctx, &start, mode)
		},
	}
}

// upgradeArgsToStart rewrites an upgrade command line into the command
// line of verb that takes the display over.
func upgradeArgsToStart(args []string, verb string) []string {
	out := make([]string, 0, len(args)+1)
	replaced := false
	for _, a := range args {
		if !replaced && a == "upgrade" {
			out = append(out, verb)
			replaced = true
			continue
		}
		out = append(out, a)
	}
	if verb == "shadow" {
		return out
	}
	return append(out, "--use-display")
}
