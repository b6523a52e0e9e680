package modules

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// Version is the version of the modules in this package.
const Version = "0.1.0"

// funcs adapts two functions to auth.Authenticator.
type funcs struct {
	prepare func(ctx context.Context, req *auth.PrepareRequest) (*auth.PrepareResponse, error)
	auth    func(ctx context.Context, req *auth.Request) (*auth.Response, error)
}

func (f funcs) Prepare(ctx context.Context, req *auth.PrepareRequest) (*auth.PrepareResponse, error) {
	if f.prepare == nil {
		return &auth.PrepareResponse{}, nil
	}
	return f.prepare(ctx, req)
}

func (f funcs) Authenticate(ctx context.Context, req *auth.Request) (*auth.Response, error) {
	return f.auth(ctx, req)
}

func passwordPrepare(context.Context, *auth.PrepareRequest) (*auth.PrepareResponse, error) {
	return auth.PasswordDigests(), nil
}

// Allow always allows: for testing, and for sockets only the owner can
// reach.
func Allow() plugin.Auth {
	return plugin.Auth{Name: "allow", Version: Version, New: func(context.Context, schema.Values) (auth.Authenticator, error) {
		return funcs{auth: func(_ context.Context, req *auth.Request) (*auth.Response, error) {
			return &auth.Response{Allowed: true, Username: req.Username}, nil
		}}, nil
	}}
}

// Fail always denies.
func Fail() plugin.Auth {
	return plugin.Auth{Name: "fail", Version: Version, New: func(context.Context, schema.Values) (auth.Authenticator, error) {
		return funcs{auth: func(context.Context, *auth.Request) (*auth.Response, error) {
			return auth.Deny("the fail module denies every attempt"), nil
		}}, nil
	}}
}

// DefaultPasswordEnv is the variable the env module reads by default.
const DefaultPasswordEnv = "XROAM_PASSWORD"

// Env compares with the password held in an environment variable of the
// server, read when the module starts.
func Env() plugin.Auth {
	return plugin.Auth{Name: "env", Version: Version,
		Schema: schema.Schema{Attrs: []schema.Attr{{Name: "name", Type: schema.String, Default: DefaultPasswordEnv, PassEnv: true,
			Help: "the environment variable that holds the password"}}},
		New: func(_ context.Context, cfg schema.Values) (auth.Authenticator, error) {
			name := cfg.String("name")
			pw, ok := os.LookupEnv(name)
			return funcs{prepare: passwordPrepare, auth: func(_ context.Context, req *auth.Request) (*auth.Response, error) {
				if !ok || pw == "" {
					return auth.Deny(fmt.Sprintf("environment variable %s is not set", name)), nil
				}
				if !auth.CheckPassword(req, []byte(pw)) {
					return auth.Deny("wrong password"), nil
				}
				return &auth.Response{Allowed: true, Username: req.Username}, nil
			}}, nil
		}}
}

// Password compares with the password given in its configuration.
func Password() plugin.Auth {
	return plugin.Auth{Name: "password", Version: Version,
		Schema: schema.Schema{Attrs: []schema.Attr{{Name: "value", Type: schema.String, Required: true, Secret: true, Help: "the password"}}},
		New: func(_ context.Context, cfg schema.Values) (auth.Authenticator, error) {
			pw := []byte(cfg.String("value"))
			return funcs{prepare: passwordPrepare, auth: func(_ context.Context, req *auth.Request) (*auth.Response, error) {
				if !auth.CheckPassword(req, pw) {
					return auth.Deny("wrong password"), nil
				}
				return &auth.Response{Allowed: true, Username: req.Username}, nil
			}}, nil
		}}
}

// File compares with the contents of a file, read at each attempt so that
// a changed password applies at once. xpra's clients send a password
// file's bytes as they are, trailing newline included, while a typed
// password has none: both the exact contents and the contents less one
// trailing newline (LF or CRLF) are accepted.
func File() plugin.Auth {
	return plugin.Auth{Name: "file", Version: Version,
		Schema: schema.Schema{Attrs: []schema.Attr{{Name: "filename", Type: schema.String, Required: true, Help: "the file holding the password"}}},
		New: func(_ context.Context, cfg schema.Values) (auth.Authenticator, error) {
			name := cfg.String("filename")
			return funcs{prepare: passwordPrepare, auth: func(_ context.Context, req *auth.Request) (*auth.Response, error) {
				data, err := os.ReadFile(name)
				if err != nil {
					return auth.Deny(fmt.Sprintf("reading password file: %v", err)), nil
				}
				pw := trimNewline(data)
				if len(pw) == 0 {
					return auth.Deny("password file " + name + " is empty"), nil
				}
				if !auth.CheckPassword(req, pw) && !auth.CheckPassword(req, data) {
					return auth.Deny("wrong password"), nil
				}
				return &auth.Response{Allowed: true, Username: req.Username}, nil
			}}, nil
		}}
}

func trimNewline(b []byte) []byte {
	if b, ok := bytes.CutSuffix(b, []byte("\r\n")); ok {
		return b
	}
	b, _ = bytes.CutSuffix(b, []byte("\n"))
	return b
}
