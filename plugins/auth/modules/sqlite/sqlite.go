package sqlite

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/xroam/xroam/plugins/auth/modules"
	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// The man page's queries.
const (
	DefaultPasswordQuery = "SELECT password FROM users WHERE username=(?)"
	DefaultSessionsQuery = "SELECT uid, gid, displays, env_options, session_options FROM users WHERE username=(?)"
)

// Plugin returns the sqlite module.
func Plugin() plugin.Auth {
	return plugin.Auth{Name: "sqlite", Version: modules.Version,
		Schema: schema.Schema{Attrs: []schema.Attr{
			{Name: "filename", Type: schema.String, Required: true, Help: "the sqlite database"},
			{Name: "password_query", Type: schema.String, Default: DefaultPasswordQuery, Help: "returns the password (or its bcrypt/argon2id hash) of the user"},
			{Name: "sessions_query", Type: schema.String, Default: DefaultSessionsQuery, Help: "returns uid, gid, displays, env_options, session_options; empty to skip"},
		}},
		New: func(ctx context.Context, cfg schema.Values) (auth.Authenticator, error) {
			u := url.URL{Scheme: "file", Path: cfg.String("filename"), RawQuery: "mode=ro"}
			db, err := sql.Open("sqlite", u.String())
			if err != nil {
				return nil, fmt.Errorf("sqlite: %w", err)
			}
			if err := db.PingContext(ctx); err != nil {
				db.Close()
				return nil, fmt.Errorf("sqlite %s: %w", cfg.String("filename"), err)
			}
			return &module{db: db, pwq: cfg.String("password_query"), sessq: cfg.String("sessions_query")}, nil
		}}
}

type module struct {
	db         *sql.DB
	pwq, sessq string
}

// IsHash reports whether a stored password is a bcrypt or argon2id hash.
func IsHash(stored string) bool {
	return strings.HasPrefix(stored, "$2a$") || strings.HasPrefix(stored, "$2b$") || strings.HasPrefix(stored, "$2y$") ||
		strings.HasPrefix(stored, "$argon2id$")
}

// VerifyHash checks password against a bcrypt or argon2id (PHC string
// $argon2id$v=19$m=..,t=..,p=..$salt$hash) hash.
func VerifyHash(stored string, password []byte) (bool, error) {
	if strings.HasPrefix(stored, "$argon2id$") {
		parts := strings.Split(stored, "$")
		if len(parts) != 6 || parts[2] != "v=19" {
			return false, errors.New("malformed argon2id hash")
		}
		var m, t uint32
		var p uint8
		if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
			return false, fmt.Errorf("argon2id parameters: %w", err)
		}
		salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
		want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
		if err := errors.Join(err1, err2); err != nil || len(want) == 0 {
			return false, fmt.Errorf("argon2id encoding: %w", err)
		}
		got := argon2.IDKey(password, salt, t, m, p, uint32(len(want)))
		return subtle.ConstantTimeCompare(got, want) == 1, nil
	}
	err := bcrypt.CompareHashAndPassword([]byte(stored), password)
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return false, nil
	}
	return err == nil, err
}

func (m *module) password(ctx context.Context, user string) (string, bool, error) {
	var pw string
	err := m.db.QueryRowContext(ctx, m.pwq, user).Scan(&pw)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("password query: %w", err)
	}
	return pw, true, nil
}

func (m *module) Prepare(ctx context.Context, req *auth.PrepareRequest) (*auth.PrepareResponse, error) {
	pw, ok, err := m.password(ctx, req.Username)
	if err != nil {
		return nil, err
	}
	if ok && IsHash(pw) {
		return auth.ClearPasswordDigests(), nil
	}
	return auth.PasswordDigests(), nil
}

func (m *module) Authenticate(ctx context.Context, req *auth.Request) (*auth.Response, error) {
	stored, ok, err := m.password(ctx, req.Username)
	if err != nil {
		return nil, err
	}
	if !ok {
		auth.CheckPassword(req, []byte("\x00no such user\x00"))
		return auth.Deny(fmt.Sprintf("unknown user %q", req.Username)), nil
	}
	if IsHash(stored) {
		pw, err := auth.ClearPassword(req)
		if err != nil {
			return auth.Deny("a hashed password needs the xor digest: " + err.Error()), nil
		}
		good, err := VerifyHash(stored, pw)
		if err != nil {
			return auth.Deny(fmt.Sprintf("stored hash of %q: %v", req.Username, err)), nil
		}
		if !good {
			return auth.Deny("wrong password"), nil
		}
	} else if !auth.CheckPassword(req, []byte(stored)) {
		return auth.Deny("wrong password"), nil
	}
	resp := &auth.Response{Allowed: true, Username: req.Username}
	if m.sessq == "" {
		return resp, nil
	}
	var uid, gid, displays, env, opts sql.NullString
	err = m.db.QueryRowContext(ctx, m.sessq, req.Username).Scan(&uid, &gid, &displays, &env, &opts)
	if errors.Is(err, sql.ErrNoRows) {
		return resp, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sessions query: %w", err)
	}
	if uid.String != "" && gid.String != "" {
		u, err1 := strconv.ParseUint(uid.String, 10, 32)
		g, err2 := strconv.ParseUint(gid.String, 10, 32)
		if err1 == nil && err2 == nil {
			resp.HasIDs, resp.UID, resp.GID = true, uint32(u), uint32(g)
		}
	}
	resp.Displays = modules.SplitList(displays.String, ",")
	resp.Env = modules.ParsePairs(env.String)
	resp.SessionOptions = modules.ParsePairs(opts.String)
	return resp, nil
}
