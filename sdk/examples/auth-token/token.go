package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// Plugin describes the token module: its name, version and configuration.
func Plugin() plugin.Auth {
	return plugin.Auth{
		Name:    "token",
		Version: "1.0.0",
		Schema: schema.Schema{Attrs: []schema.Attr{
			{Name: "filename", Type: schema.String, Required: true, Help: "file of `username token` lines"},
		}},
		New: func(_ context.Context, cfg schema.Values) (auth.Authenticator, error) {
			return &tokens{file: cfg.String("filename")}, nil
		},
	}
}

type tokens struct{ file string }

// Prepare asks for a challenge: the tokens are held in clear, so the
// module can verify any HMAC digest and never needs the token itself.
func (m *tokens) Prepare(context.Context, *auth.PrepareRequest) (*auth.PrepareResponse, error) {
	return auth.PasswordDigests(), nil
}

// Authenticate re-reads the file, so revoking a token takes effect at once.
func (m *tokens) Authenticate(_ context.Context, req *auth.Request) (*auth.Response, error) {
	f, err := os.Open(m.file)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		user, token, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok || user != req.Username {
			continue
		}
		if auth.CheckPassword(req, []byte(strings.TrimSpace(token))) {
			return &auth.Response{Allowed: true, Username: user}, nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	return auth.Deny("no matching token"), nil
}
