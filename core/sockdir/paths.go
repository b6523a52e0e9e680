package sockdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Paths resolves where sessions keep their sockets. The layout follows
// xpra's so that xpra's own `list`, `info` and `stop` find xroam sessions:
// the socket of display :N is <socket-dir>/<hostname>-<N>.
type Paths struct {
	// SocketDir is where a new server creates its socket; empty means the
	// first usable entry of SocketDirs.
	SocketDir string
	// SocketDirs are searched, in order, for existing sessions.
	SocketDirs []string
	// Hostname is the prefix of socket names (XROAM_SOCKET_HOSTNAME or the
	// host's name).
	Hostname string
	Getenv   func(string) string
}

// NewPaths builds Paths from the configuration values and the environment.
func NewPaths(socketDir string, socketDirs []string, getenv func(string) string) (Paths, error) {
	p := Paths{SocketDir: socketDir, SocketDirs: socketDirs, Getenv: getenv}
	p.Hostname = getenv("XROAM_SOCKET_HOSTNAME")
	if p.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return p, fmt.Errorf("host name for socket names: %w", err)
		}
		p.Hostname = h
	}
	return p, nil
}

// Expand replaces ~, $UID, $USER, $HOME, $XDG_RUNTIME_DIR and other
// variables in a configured path. It reports false when the path needs a
// variable that is not set (such an entry is skipped, as xpra skips
// /run/user/$UID without a runtime directory).
func (p Paths) Expand(s string) (string, bool) {
	ok := true
	out := os.Expand(s, func(k string) string {
		switch k {
		case "UID":
			return strconv.Itoa(os.Getuid())
		case "GID":
			return strconv.Itoa(os.Getgid())
		}
		v := p.Getenv(k)
		if v == "" {
			ok = false
		}
		return v
	})
	if out == "~" || strings.HasPrefix(out, "~/") {
		home := p.Getenv("HOME")
		if home == "" {
			return "", false
		}
		out = filepath.Join(home, strings.TrimPrefix(out, "~"))
	}
	return out, ok && out != ""
}

// Dirs returns the expanded directories searched for sessions: the socket
// directory first when one is set, then the socket-dirs.
func (p Paths) Dirs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if d, ok := p.Expand(s); ok && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	if p.SocketDir != "" {
		add(p.SocketDir)
	}
	for _, d := range p.SocketDirs {
		add(d)
	}
	return out
}

// ServerDir returns the directory a new server puts its socket in,
// creating it (mode 0700) when needed: the socket-dir, or else the first
// socket-dirs entry that can be created.
func (p Paths) ServerDir() (string, error) {
	var errs []error
	cands := p.SocketDirs
	if p.SocketDir != "" {
		cands = []string{p.SocketDir}
	}
	for _, c := range cands {
		d, ok := p.Expand(c)
		if !ok {
			continue
		}
		if err := os.MkdirAll(d, 0o700); err != nil {
			errs = append(errs, err)
			continue
		}
		return d, nil
	}
	if len(errs) > 0 {
		return "", fmt.Errorf("no usable socket directory: %w", errors.Join(errs...))
	}
	return "", fmt.Errorf("no usable socket directory among %q (set --socket-dir)", cands)
}

// SocketName is the file name of display n's socket.
func (p Paths) SocketName(display int) string {
	return fmt.Sprintf("%s-%d", p.Hostname, display)
}

// SessionDir is the directory holding a session's state (pid files and
// the like) beside its socket. xpra lists only sockets named
// <hostname>-<N>, so this directory does not confuse it.
func SessionDir(socketDir string, display int) string {
	return filepath.Join(socketDir, strconv.Itoa(display))
}

// FindSocket returns the socket of display n in the searched directories.
func (p Paths) FindSocket(display int) (string, error) {
	name := p.SocketName(display)
	for _, d := range p.Dirs() {
		s := filepath.Join(d, name)
		if fi, err := os.Lstat(s); err == nil && fi.Mode().Type() == fs.ModeSocket {
			return s, nil
		}
	}
	return "", fmt.Errorf("no session found for display :%d (looked for %s in %s)", display, name, strings.Join(p.Dirs(), ", "))
}
