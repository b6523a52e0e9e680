package modules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// Exec runs a command that decides: exit status 0 allows. Its arguments
// are a description of the request and the timeout in seconds, as in
// xpra; the username, peer and display come in XROAM_AUTH_* environment
// variables and, with password = true, the password on standard input,
// never in the arguments where other users could read it.
func Exec() plugin.Auth {
	return plugin.Auth{Name: "exec", Version: Version,
		Schema: schema.Schema{Attrs: []schema.Attr{
			{Name: "command", Type: schema.String, Required: true, Help: "the program and its arguments, split at spaces (no shell)"},
			{Name: "timeout", Type: schema.Duration, Default: "60s", Help: "how long the command may take; it is killed and the attempt denied after"},
			{Name: "password", Type: schema.Bool, Default: false, Help: "ask the client for its password and write it to the command's standard input"},
		}},
		New: func(_ context.Context, cfg schema.Values) (auth.Authenticator, error) {
			argv := strings.Fields(cfg.String("command"))
			if len(argv) == 0 {
				return nil, errors.New("exec: command is empty")
			}
			timeout := cfg.Duration("timeout")
			wantPW := cfg.Bool("password")
			prep := func(context.Context, *auth.PrepareRequest) (*auth.PrepareResponse, error) {
				if wantPW {
					return auth.ClearPasswordDigests(), nil
				}
				return &auth.PrepareResponse{}, nil
			}
			return funcs{prepare: prep, auth: func(ctx context.Context, req *auth.Request) (*auth.Response, error) {
				// The name reaches the command's argv and environment.
				if err := auth.CheckUsername(req.Username); err != nil {
					return auth.Deny(err.Error()), nil
				}
				var stdin []byte
				if wantPW {
					pw, err := auth.ClearPassword(req)
					if err != nil {
						return auth.Deny(err.Error()), nil
					}
					stdin = pw
				}
				ctx, cancel := context.WithTimeout(ctx, timeout)
				defer cancel()
				desc := fmt.Sprintf("connection request from %s %s for user %q", req.Peer.Network, req.Peer.Addr, req.Username)
				args := append(append([]string{}, argv[1:]...), desc, strconv.Itoa(int(timeout/time.Second)))
				cmd := exec.CommandContext(ctx, argv[0], args...)
				cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin",
					"XROAM_AUTH_USERNAME=" + req.Username, "XROAM_AUTH_PEER=" + req.Peer.Addr,
					"XROAM_AUTH_NETWORK=" + req.Peer.Network, "XROAM_AUTH_DISPLAY=" + req.Display}
				cmd.Stdin = bytes.NewReader(stdin)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				cmd.WaitDelay = time.Second
				err := cmd.Run()
				if ctx.Err() != nil {
					return auth.Deny(fmt.Sprintf("command %s timed out after %s", argv[0], timeout)), nil
				}
				if err != nil {
					return auth.Deny(fmt.Sprintf("command %s: %v: %s", argv[0], err, firstLine(out.String()))), nil
				}
				return &auth.Response{Allowed: true, Username: req.Username}, nil
			}}, nil
		}}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
