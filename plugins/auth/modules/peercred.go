package modules

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"

	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// Peercred allows unix-socket peers whose SO_PEERCRED uid or gid is in
// the lists. Values are numbers or user/group names, and may use $UID,
// $GID, $USER or other variables. With neither list, only the server's own
// user is allowed. No password is asked for.
func Peercred() plugin.Auth {
	return plugin.Auth{Name: "peercred", Version: Version,
		Schema: schema.Schema{Attrs: []schema.Attr{
			{Name: "uid", Type: schema.Strings, Help: "users allowed, by number or name"},
			{Name: "gid", Type: schema.Strings, Help: "groups allowed, by number or name"},
		}},
		New: func(_ context.Context, cfg schema.Values) (auth.Authenticator, error) {
			uids, err := resolveIDs(cfg.Strings("uid"), lookupUID)
			if err != nil {
				return nil, fmt.Errorf("peercred uid: %w", err)
			}
			gids, err := resolveIDs(cfg.Strings("gid"), lookupGID)
			if err != nil {
				return nil, fmt.Errorf("peercred gid: %w", err)
			}
			if len(uids) == 0 && len(gids) == 0 {
				uids = []uint32{uint32(os.Getuid())}
			}
			return funcs{auth: func(_ context.Context, req *auth.Request) (*auth.Response, error) {
				p := req.Peer
				if !p.HasCreds {
					return auth.Deny(fmt.Sprintf("no peer credentials for a %s connection", p.Network)), nil
				}
				if !slices.Contains(uids, p.UID) && !slices.Contains(gids, p.GID) {
					return auth.Deny(fmt.Sprintf("peer uid %d gid %d not allowed", p.UID, p.GID)), nil
				}
				name := req.Username
				if u, err := user.LookupId(strconv.FormatUint(uint64(p.UID), 10)); err == nil {
					name = u.Username
				}
				// No HasIDs: the peer's ids are a fact about the connection
				// (in req.Peer), not a user the session should run as; a
				// server of another user would otherwise refuse the peers
				// that the uid and gid lists let in.
				return &auth.Response{Allowed: true, Username: name}, nil
			}}, nil
		}}
}

func lookupUID(name string) (string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return "", err
	}
	return u.Uid, nil
}

func lookupGID(name string) (string, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return "", err
	}
	return g.Gid, nil
}

func expandID(s string) string {
	return os.Expand(s, func(v string) string {
		switch v {
		case "UID":
			return strconv.Itoa(os.Getuid())
		case "GID":
			return strconv.Itoa(os.Getgid())
		case "USER":
			if u, err := user.Current(); err == nil {
				return u.Username
			}
		}
		return os.Getenv(v)
	})
}

func resolveIDs(vals []string, lookup func(string) (string, error)) ([]uint32, error) {
	var out []uint32
	for _, v := range vals {
		v = expandID(v)
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			id, lerr := lookup(v)
			if lerr != nil {
				return nil, fmt.Errorf("%q is neither a number nor a known name: %w", v, lerr)
			}
			if n, err = strconv.ParseUint(id, 10, 32); err != nil {
				return nil, fmt.Errorf("id of %q: %w", v, err)
			}
		}
		out = append(out, uint32(n))
	}
	return out, nil
}
