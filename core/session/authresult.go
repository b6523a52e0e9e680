package session

import (
	"fmt"
	"maps"
	"os"
	"os/user"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// authResult is what the auth modules of a connection said about its
// user, beyond allowing it: xpra's uid, gid, displays, env and session
// options (multifile lines, sqlite rows). xpra's proxy server uses them to
// pick or start a session; a server that already runs applies what fits
// it: displays restrict which sessions the user reaches, env and the ids
// apply to the commands started through the connection, and a login that
// asks for what the server cannot do is refused rather than half-served.
type authResult struct {
	username string
	hasIDs   bool
	uid, gid uint32
	env      map[string]string
	options  map[string]string
	// secret: the client answered a module's challenge (it proved a
	// password), not only passed a check of its address or uid.
	secret bool
}

// normDisplay turns ":10", "10" and "host:10" into ":10".
func normDisplay(d string) string {
	d = strings.TrimSpace(d)
	if i := strings.LastIndexByte(d, ':'); i >= 0 {
		d = d[i+1:]
	}
	if i := strings.IndexByte(d, '.'); i >= 0 { // a screen number
		d = d[:i]
	}
	return ":" + d
}

// mayReach reports whether a module's display list lets the user reach
// display; an empty list means any display.
func mayReach(displays []string, display string) bool {
	if len(displays) == 0 {
		return true
	}
	want := normDisplay(display)
	return slices.ContainsFunc(displays, func(d string) bool { return normDisplay(d) == want })
}

// add merges one module's result; chained modules must agree on the ids.
func (r *authResult) add(username string, hasIDs bool, uid, gid uint32, env, options map[string]string) error {
	if username != "" {
		r.username = username
	}
	if hasIDs {
		if r.hasIDs && (r.uid != uid || r.gid != gid) {
			return fmt.Errorf("the auth modules disagree on the user's ids: uid %d gid %d, then uid %d gid %d", r.uid, r.gid, uid, gid)
		}
		r.hasIDs, r.uid, r.gid = true, uid, gid
	}
	if len(env) > 0 {
		if r.env == nil {
			r.env = map[string]string{}
		}
		maps.Copy(r.env, env)
	}
	if len(options) > 0 {
		if r.options == nil {
			r.options = map[string]string{}
		}
		maps.Copy(r.options, options)
	}
	return nil
}

// serverIDs is who the server runs as; a variable of the Server so that
// nothing global is read in the checks below.
type serverIDs struct {
	uid, gid int
	groups   []int
}

func currentIDs() serverIDs {
	groups, _ := os.Getgroups() // an error leaves none: stricter
	return serverIDs{uid: os.Geteuid(), gid: os.Getegid(), groups: groups}
}

// check refuses what the server cannot honour: ids other than its own
// when it cannot switch user (only root can), and session options, which
// only apply when a session starts. The message is for the client as well
// as the log: the user has already proved who they are.
func (r *authResult) check(ids serverIDs) error {
	if r.hasIDs && ids.uid != 0 {
		sameGroup := int(r.gid) == ids.gid || slices.Contains(ids.groups, int(r.gid))
		if int(r.uid) != ids.uid || !sameGroup {
			return fmt.Errorf("user %q is mapped to uid %d gid %d, but this session runs as uid %d gid %d and cannot start commands as another user",
				r.username, r.uid, r.gid, ids.uid, ids.gid)
		}
	}
	if len(r.options) > 0 {
		keys := slices.Collect(maps.Keys(r.options))
		sort.Strings(keys)
		return fmt.Errorf("user %q comes with session options (%s), which apply only to a new session: this one already runs",
			r.username, strings.Join(keys, ", "))
	}
	return nil
}

// startAs is how commands started through the connection run: with the
// user's env over the session's, and as the user when the server is root
// and the user maps to other ids.
func (r *authResult) startAs(ids serverIDs) StartAs {
	if r == nil {
		return StartAs{}
	}
	var as StartAs
	if r.hasIDs && ids.uid == 0 && (int(r.uid) != ids.uid || int(r.gid) != ids.gid) {
		as.Credential = &syscall.Credential{Uid: r.uid, Gid: r.gid, Groups: []uint32{}}
		// The user's own home and names, as a login would set them; the
		// auth's env below still wins.
		as.Dir = "/"
		if u, err := user.LookupId(strconv.FormatUint(uint64(r.uid), 10)); err == nil {
			if st, err := os.Stat(u.HomeDir); err == nil && st.IsDir() {
				as.Dir = u.HomeDir
			}
			as.Env = append(as.Env, "HOME="+as.Dir, "USER="+u.Username, "LOGNAME="+u.Username)
		}
	}
	keys := slices.Collect(maps.Keys(r.env))
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(r.env[k], 0) {
			continue // not a variable exec can pass
		}
		as.Env = append(as.Env, k+"="+r.env[k])
	}
	return as
}
