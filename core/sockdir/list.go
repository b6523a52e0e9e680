package sockdir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// State is a session's state as `list` reports it, with xpra's names.
type State string

// The states of a session socket.
const (
	Live         State = "LIVE"         // the server accepts connections
	Dead         State = "DEAD"         // nothing serves the socket any more
	Unknown      State = "UNKNOWN"      // refused or timed out while the server seems alive
	Inaccessible State = "INACCESSIBLE" // no permission to connect
)

// Entry is one session found in the socket directories.
type Entry struct {
	Display int
	Socket  string
	State   State
	// PID is the server's process id from its session directory, 0 if unknown.
	PID int
	// Cleaned is set when list removed a dead session's files.
	Cleaned bool
}

// ServerPID reads the pid a server recorded in its session directory.
func ServerPID(socketDir string, display int) int {
	b, err := os.ReadFile(filepath.Join(SessionDir(socketDir, display), "server.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// ProcessAlive reports whether pid is a running (not zombie) process.
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// A zombie answers kill(0); /proc tells them apart.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// Probe connects to a session socket and says what state it is in. Only
// connect() is done, as xpra does, so no packet is exchanged.
func Probe(ctx context.Context, socket string, pid int) State {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "unix", socket)
	if err == nil {
		c.Close()
		return Live
	}
	switch {
	case errors.Is(err, syscall.ENOENT):
		return Dead
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return Inaccessible
	case errors.Is(err, syscall.ECONNREFUSED):
		// Refused with a live server process: it may be starting or busy.
		// Refused with none: the server died and left its socket.
		if ProcessAlive(pid) {
			return Unknown
		}
		return Dead
	}
	return Unknown
}

// List finds the sessions of this host in every socket directory. With
// clean, the files of dead sessions owned by the caller are removed.
func (p Paths) List(ctx context.Context, clean bool) ([]Entry, error) {
	var out []Entry
	prefix := p.Hostname + "-"
	for _, dir := range p.Dirs() {
		ents, err := os.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				continue
			}
			return nil, fmt.Errorf("listing %s: %w", dir, err)
		}
		for _, e := range ents {
			n, ok := strings.CutPrefix(e.Name(), prefix)
			if !ok || e.Type() != fs.ModeSocket {
				continue
			}
			disp, err := strconv.Atoi(n)
			if err != nil {
				continue
			}
			sock := filepath.Join(dir, e.Name())
			pid := ServerPID(dir, disp)
			ent := Entry{Display: disp, Socket: sock, PID: pid, State: Probe(ctx, sock, pid)}
			if clean && ent.State == Dead && ownedByMe(sock) {
				os.Remove(sock)
				os.RemoveAll(SessionDir(dir, disp))
				ent.Cleaned = true
			}
			out = append(out, ent)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Display < out[j].Display })
	return out, nil
}

func ownedByMe(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
