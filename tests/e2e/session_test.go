package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// These tests run the real binary against real Xvfb displays: they build
// xroam once, start sessions with their own socket directory and home,
// and check what each verb does to the processes and files.

func TestStartInfoDetachStop(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	pidfile := filepath.Join(e.Home, "server.pid")
	n := e.Start("--start=xterm -T xroam-test-app", "--start-child=sleep 1000", "--pidfile="+pidfile)
	sock := e.Socket(n)
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %s: %v, mode %v", sock, err, fi)
	}
	serverPid := ReadPid(t, pidfile)
	xvfbPid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "xvfb.pid"))
	WaitWindow(t, n, "xroam-test-app")

	if out := e.MustRun("list"); !strings.Contains(out, fmt.Sprintf("LIVE session at :%d", n)) {
		t.Errorf("list: %q", out)
	}
	if out := e.MustRun("version", fmt.Sprintf(":%d", n)); !strings.HasPrefix(out, "xroam ") || !strings.Contains(out, "xpra protocol") {
		t.Errorf("version :N: %q", out)
	}
	info := e.MustRun("info", fmt.Sprintf(":%d", n))
	for _, want := range []string{
		"server.type=xroam",
		fmt.Sprintf("display.name=:%d", n),
		"children.0.command=xterm -T xroam-test-app",
		"children.1.command=sleep 1000",
		"children.1.child=true",
		"windows.0.title=xroam-test-app",
		"display.extensions=(",
		"clients.count=0",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("info lacks %q:\n%s", want, info)
		}
	}
	m := regexp.MustCompile(`children\.0\.pid=(\d+)`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("no child pid in info:\n%s", info)
	}
	appPid, _ := strconv.Atoi(m[1])

	if out := e.MustRun("detach", fmt.Sprintf(":%d", n)); !strings.Contains(out, "0 other clients have been disconnected") {
		t.Errorf("detach: %q", out)
	}
	if !PidAlive(appPid) || !PidAlive(serverPid) {
		t.Fatal("detach ended the application or the server")
	}
	WaitWindow(t, n, "xroam-test-app")

	out := e.MustRun("stop", fmt.Sprintf(":%d", n))
	if !strings.Contains(out, "has exited") {
		t.Errorf("stop: %q", out)
	}
	WaitFor(t, "every process to end", func() bool {
		return !PidAlive(serverPid) && !PidAlive(xvfbPid) && !PidAlive(appPid)
	})
	for _, f := range []string{sock, pidfile, filepath.Join(e.SockDir, strconv.Itoa(n))} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s remains after stop", f)
		}
	}
	if out := e.MustRun("list"); strings.Contains(out, fmt.Sprintf(":%d", n)) {
		t.Errorf("list after stop: %q", out)
	}
}

func TestExitThenUseDisplay(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--start=xterm -T xroam-exit-app")
	disp := fmt.Sprintf(":%d", n)
	xvfbPid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "xvfb.pid"))
	serverPid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "server.pid"))
	w := WaitWindow(t, n, "xroam-exit-app")

	if out := e.MustRun("exit", disp); !strings.Contains(out, "server exit") {
		t.Errorf("exit: %q", out)
	}
	WaitFor(t, "the server to end", func() bool { return !PidAlive(serverPid) })
	if !PidAlive(xvfbPid) {
		t.Fatal("exit ended the X server")
	}
	// The application is still there, same window.
	if got := WaitWindow(t, n, "xroam-exit-app"); got.ID != w.ID {
		t.Errorf("window changed across exit: %v then %v", w.ID, got.ID)
	}
	t.Cleanup(func() { syscall.Kill(xvfbPid, syscall.SIGKILL) })

	// A new server takes the display over.
	out := e.MustRun("start", disp, "--use-display")
	if !strings.Contains(out, fmt.Sprintf("session :%d started", n)) {
		t.Fatalf("start --use-display: %q", out)
	}
	info := e.MustRun("info", disp)
	if !strings.Contains(info, "windows.0.title=xroam-exit-app") || !strings.Contains(info, fmt.Sprintf("display.xvfb-pid=%d", xvfbPid)) {
		t.Errorf("info after take-over:\n%s", info)
	}
	e.MustRun("stop", disp)
	WaitFor(t, "the X server to end after stop", func() bool { return !PidAlive(xvfbPid) })
}

func TestListDeadAndClean(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start()
	serverPid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "server.pid"))
	xvfbPid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "xvfb.pid"))
	t.Cleanup(func() { syscall.Kill(xvfbPid, syscall.SIGKILL) })
	syscall.Kill(serverPid, syscall.SIGKILL)
	WaitFor(t, "the server to die", func() bool { return !PidAlive(serverPid) })

	// The kernel closes a killed process's socket only once its last
	// thread is gone, which can be after /proc shows it as a zombie.
	WaitFor(t, "list to see the session dead", func() bool {
		return strings.Contains(e.MustRun("list"), fmt.Sprintf("DEAD session at :%d", n))
	})
	out := e.MustRun("list", "--clean")
	if !strings.Contains(out, "(cleaned up)") {
		t.Errorf("list --clean: %q", out)
	}
	if _, err := os.Lstat(e.Socket(n)); !os.IsNotExist(err) {
		t.Error("the dead socket is still there")
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	out, code := e.Run("start", "--xvfb=Xvfb -no-such-option", "--daemon=no")
	if code != 1 || !strings.Contains(out, "-no-such-option") {
		t.Errorf("bad --xvfb: exit %d, %q", code, out)
	}
	out, code = e.Run("start", "--bind-tcp=0.0.0.0:14599", "--daemon=no")
	if code != 1 || !strings.Contains(out, "beyond this machine") {
		t.Errorf("non-loopback bind: exit %d, %q", code, out)
	}
	out, code = e.Run("start", "seven")
	if code != 2 {
		t.Errorf("bad display: exit %d, %q", code, out)
	}
	out, code = e.Run("info", ":99")
	if code != 1 || !strings.Contains(out, "no session found for display :99") {
		t.Errorf("info on a missing session: exit %d, %q", code, out)
	}
}

func TestExitWithChildren(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--start-child=sleep 1", "--exit-with-children")
	serverPid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "server.pid"))
	WaitFor(t, "the server to stop with its child", func() bool { return !PidAlive(serverPid) })
	if _, err := os.Lstat(e.Socket(n)); !os.IsNotExist(err) {
		t.Error("socket left behind")
	}
}
