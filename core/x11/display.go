package x11

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The X server's conventional paths for display N. They are fixed by the
// X server (and by every client library), so they are not configurable.
func lockPath(n int) string   { return "/tmp/.X" + strconv.Itoa(n) + "-lock" }
func socketPath(n int) string { return "/tmp/.X11-unix/X" + strconv.Itoa(n) }

// abstractSocket is the Linux abstract-namespace twin of socketPath that
// Xorg servers also listen on; Go dials it when the name starts with '@'.
func abstractSocket(n int) string { return "@" + socketPath(n) }

// probeDialTimeout bounds one connection attempt to a local X socket. A live
// server accepts at once (the kernel completes the connect for a listening
// socket), so this only matters for a wedged one.
const probeDialTimeout = 2 * time.Second

// ParseDisplay returns the display number of a local display name: ":7",
// "7", ":7.0" and "unix:7" all give 7. Remote displays ("host:7") are
// refused, because xroam only ever serves a display on this machine.
func ParseDisplay(s string) (int, error) {
	orig := s
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "unix")
	s = strings.TrimPrefix(s, ":")
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		screen := s[dot+1:]
		if screen == "" || !allDigits(screen) {
			return 0, fmt.Errorf("parse display %q: bad screen number", orig)
		}
		s = s[:dot]
	}
	if s == "" || !allDigits(s) {
		return 0, fmt.Errorf("parse display %q: want \":N\", \"N\" or \":N.S\"", orig)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("parse display %q: %w", orig, err)
	}
	return n, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// DisplayName formats display number n the way DISPLAY wants it: ":7".
func DisplayName(n int) string { return ":" + strconv.Itoa(n) }

// DisplayInUse reports whether display n is taken: its lock file names a
// process that is alive, or something accepts connections on its socket.
// A stale lock file (dead or unreadable pid) alone does not count, because
// the X server itself replaces such a lock.
func DisplayInUse(n int) (bool, error) {
	if n < 0 {
		return false, fmt.Errorf("display in use: bad display number %d", n)
	}
	why, err := displayUse(n)
	if err != nil {
		return false, fmt.Errorf("display in use: %w", err)
	}
	return why != "", nil
}

// lockPID reads the pid from display n's lock file: 0 when there is no
// lock file or it holds no number.
func lockPID(n int) (int, error) {
	b, err := os.ReadFile(lockPath(n))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read lock of display :%d: %w", n, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, nil
	}
	return pid, nil
}

// processAlive reports whether pid exists; EPERM means it exists but
// belongs to someone else, which still makes the display taken.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// socketAccepts reports whether an X server accepts connections for
// display n, on the filesystem socket or the abstract one.
func socketAccepts(ctx context.Context, n int) bool {
	for _, addr := range []string{socketPath(n), abstractSocket(n)} {
		if c, err := dialUnix(ctx, addr); err == nil {
			_ = c.Close()
			return true
		}
	}
	return false
}

func dialUnix(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: probeDialTimeout}
	return d.DialContext(ctx, "unix", addr)
}

// displayUse says why display n is in use, or "" when it is free.
func displayUse(n int) (string, error) {
	pid, err := lockPID(n)
	if err != nil {
		return "", err
	}
	if pid > 0 && processAlive(pid) {
		return fmt.Sprintf("%s is held by live process %d", lockPath(n), pid), nil
	}
	if socketAccepts(context.Background(), n) {
		return fmt.Sprintf("an X server accepts connections on %s", socketPath(n)), nil
	}
	return "", nil
}
