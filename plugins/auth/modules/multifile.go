package modules

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// UserEntry is one user's line of a multifile password file, or one row
// of the sqlite module's tables.
type UserEntry struct {
	Username string
	Password []byte
	HasIDs   bool
	UID, GID uint32
	Displays []string
	Env      map[string]string
	Options  map[string]string
}

// Response is the allowance that carries the entry's session facts.
func (u *UserEntry) Response() *auth.Response {
	return &auth.Response{Allowed: true, Username: u.Username, HasIDs: u.HasIDs, UID: u.UID, GID: u.GID,
		Displays: u.Displays, Env: u.Env, SessionOptions: u.Options}
}

// ParseMultifile reads `username|password|uid|gid|displays|env|options`
// lines. Only the first two fields are required; displays are separated
// by commas, env and options are `k=v` pairs separated by semicolons.
// Empty lines and lines starting with # are skipped.
func ParseMultifile(data []byte) (map[string]*UserEntry, error) {
	out := map[string]*UserEntry{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) < 2 || f[0] == "" {
			return nil, fmt.Errorf("line %d: want username|password[|uid|gid|displays|env|options]", n)
		}
		e := &UserEntry{Username: f[0], Password: []byte(f[1])}
		get := func(i int) string {
			if i < len(f) {
				return strings.TrimSpace(f[i])
			}
			return ""
		}
		if get(2) != "" || get(3) != "" {
			uid, err1 := strconv.ParseUint(get(2), 10, 32)
			gid, err2 := strconv.ParseUint(get(3), 10, 32)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("line %d: uid and gid must be numbers", n)
			}
			e.HasIDs, e.UID, e.GID = true, uint32(uid), uint32(gid)
		}
		e.Displays = SplitList(get(4), ",")
		e.Env = ParsePairs(get(5))
		e.Options = ParsePairs(get(6))
		if _, dup := out[e.Username]; dup {
			return nil, fmt.Errorf("line %d: user %q listed twice", n, e.Username)
		}
		out[e.Username] = e
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	return out, nil
}

// SplitList splits s at sep, dropping empty items.
func SplitList(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParsePairs parses `k=v;k=v`.
func ParsePairs(s string) map[string]string {
	var out map[string]string
	for _, p := range SplitList(s, ";") {
		k, v, _ := strings.Cut(p, "=")
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// dummyPassword is compared against when the user is unknown, so that an
// unknown user takes as long as a wrong password.
var dummyPassword = []byte("\x00xroam-no-such-user\x00")

// Multifile checks the username and password against a file of users,
// re-read at each attempt.
func Multifile() plugin.Auth {
	return plugin.Auth{Name: "multifile", Version: Version,
		Schema: schema.Schema{Attrs: []schema.Attr{{Name: "filename", Type: schema.String, Required: true,
			Help: "the file of username|password|uid|gid|displays|env|options lines"}}},
		New: func(_ context.Context, cfg schema.Values) (auth.Authenticator, error) {
			name := cfg.String("filename")
			return funcs{prepare: passwordPrepare, auth: func(_ context.Context, req *auth.Request) (*auth.Response, error) {
				data, err := os.ReadFile(name)
				if err != nil {
					return auth.Deny(fmt.Sprintf("reading password file: %v", err)), nil
				}
				users, err := ParseMultifile(data)
				if err != nil {
					return auth.Deny(fmt.Sprintf("password file %s: %v", name, err)), nil
				}
				e, ok := users[req.Username]
				if !ok {
					auth.CheckPassword(req, dummyPassword)
					return auth.Deny(fmt.Sprintf("unknown user %q", req.Username)), nil
				}
				if !auth.CheckPassword(req, e.Password) {
					return auth.Deny("wrong password"), nil
				}
				return e.Response(), nil
			}}, nil
		}}
}
