package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/xroam/xroam/core/x11"
)

// Displays the harness hands out for servers that must be told their
// display (xpra start :N). Sessions that xroam starts, and SizedDisplay,
// let Xvfb pick with -displayfd, which takes the lowest free display: far
// below these.
const (
	firstDisplay = 300
	lastDisplay  = 1000
)

// Ports the harness hands out: below Linux's ephemeral range (32768 and
// up, /proc/sys/net/ipv4/ip_local_port_range), so that neither a port
// that the kernel picks for an outgoing connection nor one that another
// program asks for with port 0 can take a port between the test's choice
// and the server's bind.
const (
	firstPort = 20000
	lastPort  = 32000
)

// lockDir is the directory of the reservation locks, one per user: a
// display or port is a test's while it holds an flock on its file there,
// which the kernel drops when the test lets go or its process dies.
func lockDir() (string, error) {
	dir := filepath.Join(os.TempDir(), "xroam-e2e-locks-"+strconv.Itoa(os.Getuid()))
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("e2e: lock directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("e2e: lock directory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != os.Getuid() || fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("e2e: lock directory %s is not a private directory of this user", dir)
	}
	return dir, nil
}

// reserve takes the lock on what, for the rest of the test; false when
// someone else holds it.
func (s *Suite) reserve(t *testing.T, what string) bool {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(s.locks, what+".lock"), os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatalf("e2e: reserving %s: %v", what, err)
	}
	// flock, not fcntl: two descriptors of this one process exclude each
	// other too, so parallel tests of a test binary are kept apart as
	// well as test binaries.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false
		}
		t.Fatalf("e2e: reserving %s: %v", what, err)
	}
	t.Cleanup(func() { f.Close() })
	return true
}

// next returns the next candidate from a round-robin counter over
// [first, last).
func next(counter *int, first, last int) int {
	n := *counter
	*counter++
	if *counter >= last {
		*counter = first
	}
	return n
}

// FreeDisplay picks a display number that no X server uses and that no
// other test holds, and holds it until the test ends: for a server that
// must be given its display (xpra start :N). The caller starts its
// server there.
func (s *Suite) FreeDisplay(t *testing.T) int {
	t.Helper()
	for range lastDisplay - firstDisplay {
		s.mu.Lock()
		n := next(&s.nextDisplay, firstDisplay, lastDisplay)
		s.mu.Unlock()
		if used, err := x11.DisplayInUse(n); err != nil || used {
			continue
		}
		if s.reserve(t, "display-"+strconv.Itoa(n)) {
			// Checked again under the lock: a server of a test that
			// has just let go of n may still be on its way out.
			if used, err := x11.DisplayInUse(n); err == nil && !used {
				return n
			}
		}
	}
	t.Fatal("e2e: no free display number")
	return 0
}

// FreePort picks a loopback port free for both TCP and UDP that no other
// test holds, and holds it until the test ends. The caller binds it (or
// has a server bind it) at once.
func (s *Suite) FreePort(t *testing.T) int {
	t.Helper()
	for range lastPort - firstPort {
		s.mu.Lock()
		p := next(&s.nextPort, firstPort, lastPort)
		s.mu.Unlock()
		if !portFree(p) || !s.reserve(t, "port-"+strconv.Itoa(p)) {
			continue
		}
		if portFree(p) {
			return p
		}
	}
	t.Fatal("e2e: no free port")
	return 0
}

// FreeUDPPort is FreePort, for a UDP server (QUIC).
func (s *Suite) FreeUDPPort(t *testing.T) int {
	t.Helper()
	return s.FreePort(t)
}

// portFree reports whether port p on loopback can be bound for TCP and
// for UDP right now.
func portFree(p int) bool {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
