package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
)

// testUser creates a user for the test (removed afterwards) and returns
// its credentials.
func testUser(t *testing.T, name string) *syscall.Credential {
	t.Helper()
	uid, gid := suite.AddUser(t, name)
	return &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}
}

// xtool runs an X client on display as cred (nil: this process's user)
// with the given XAUTHORITY ("" for none) and returns its output.
func xtool(t *testing.T, cred *syscall.Credential, display int, xauthority string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", fmt.Sprintf("DISPLAY=:%d", display)}
	if xauthority != "" {
		cmd.Env = append(cmd.Env, "XAUTHORITY="+xauthority)
	}
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestDisplayNeedsCookie: a session's display lets in its owner's X
// clients and its own commands, and refuses another local user's, who
// can read neither the session's authority file nor the owner's.
func TestDisplayNeedsCookie(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"xdpyinfo", "xdotool", "xwininfo", "xterm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	other := testUser(t, "xroamxauthtest")
	e := suite.NewEnv(t)
	// The owner's authority file is the test's own, not the suite's:
	// the end checks that the session's entry leaves it, and a session
	// of another test may get the same display number meanwhile.
	owner := filepath.Join(e.Home, "Xauthority")
	e.Xauthority = owner
	started := filepath.Join(e.Home, "started")
	n := e.Start("--start=xdpyinfo > "+started+" 2>&1", "--start-child=xterm -T cookie-test-app")
	sessionAuth := filepath.Join(e.SockDir, strconv.Itoa(n), "xauthority")

	// The session's commands get in with the session's XAUTHORITY.
	WaitFor(t, "the --start command to open the display", func() bool {
		b, _ := os.ReadFile(started)
		return strings.Contains(string(b), "name of display")
	})
	// The owner's own tools, with the owner's XAUTHORITY.
	WaitFor(t, "the owner's xdotool to see the session's xterm", func() bool {
		out, err := xtool(t, nil, n, owner, "xdotool", "search", "--name", "^cookie-test-app$")
		return err == nil && strings.TrimSpace(out) != ""
	})
	if out, err := xtool(t, nil, n, owner, "xwininfo", "-root", "-tree"); err != nil || !strings.Contains(out, "cookie-test-app") {
		t.Errorf("the owner's xwininfo: %v\n%s", err, out)
	}
	if fi, err := os.Stat(sessionAuth); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the session's authority file: %v, %v", fi, err)
	}

	// Another user: no cookie, and neither authority file can be read.
	for _, xa := range []string{"", owner, sessionAuth} {
		for _, c := range [][]string{
			{"xdpyinfo"},
			{"xwininfo", "-root", "-tree"},
			{"xdotool", "search", "--name", "cookie-test-app"},
			{"xdotool", "type", "id > /tmp/xroam-owned"},
		} {
			out, err := xtool(t, other, n, xa, c[0], c[1:]...)
			if err == nil || strings.Contains(out, "cookie-test-app") {
				t.Errorf("uid %d with XAUTHORITY=%q ran %v on the session's display: %v\n%s", other.Uid, xa, c, err, out)
				continue
			}
			if !strings.Contains(out, "uthoriz") && !strings.Contains(out, "No protocol specified") && !strings.Contains(out, "open display") {
				t.Errorf("uid %d, %v: refused for another reason than authorization:\n%s", other.Uid, c, out)
			}
		}
	}

	// Stopping the session removes its cookie from the owner's file (the
	// server does it once its X server is gone, after stop returns).
	e.MustRun("stop", fmt.Sprintf(":%d", n))
	WaitFor(t, "the session's entry to leave the owner's authority", func() bool {
		entries, err := x11.ReadAuthFile(owner)
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			if en.Number == strconv.Itoa(n) {
				return false
			}
		}
		return true
	})
}
