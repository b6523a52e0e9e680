package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

// These tests run the real binary against real Xvfb displays: they build
// xroam once, start sessions with their own socket directory and home,
// and check what each verb does to the processes and files.

// xroamBin is the binary under test; testPlugins holds every plugin binary.
var xroamBin, testPlugins string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xroam-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Readable by all: TestUIDDropsPrivileges re-runs it as nobody.
	os.Chmod(dir, 0o755)
	xroamBin = filepath.Join(dir, "xroam")
	out, err := exec.Command("go", "build", "-o", xroamBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building xroam: %v\n%s", err, out)
		os.Exit(1)
	}
	// The plugins, named as `make` names them, for --plugin-dir.
	testPlugins = filepath.Join(dir, "plugins")
	mains, _ := filepath.Glob("../../plugins/*/*/main.go")
	for _, m := range mains {
		d := filepath.Dir(m)
		kind := strings.TrimSuffix(filepath.Base(filepath.Dir(d)), "s")
		bin := filepath.Join(testPlugins, "xroam-"+kind+"-"+filepath.Base(d))
		if out, err := exec.Command("go", "build", "-tags", "extlib", "-o", bin, "./"+d).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", d, err, out)
			os.Exit(1)
		}
	}
	x11.RouteXGBLog(slog.New(slog.DiscardHandler))
	// The sessions' displays need their cookie: every session of the
	// tests adds it here, where the X tools the tests run (and xgb in
	// this process) look for it, as a user's ~/.Xauthority would be.
	os.Setenv("XAUTHORITY", filepath.Join(dir, "Xauthority"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type env struct {
	t       *testing.T
	home    string
	sockDir string
	// passwordFile logs the cleanup's stop in to sessions that need it.
	passwordFile string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("Xvfb is not installed (apt-get install xvfb)")
	}
	// Socket paths must stay under the 108-byte limit of sun_path, so the
	// directory is short rather than under t.TempDir().
	dir, err := os.MkdirTemp("", "xr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	e := &env{t: t, home: filepath.Join(dir, "home"), sockDir: filepath.Join(dir, "s")}
	os.MkdirAll(e.home, 0o700)
	return e
}

func (e *env) environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DISPLAY", "XROAM_SOCKET_DIR":
			continue
		}
		out = append(out, kv)
	}
	return append(out, "HOME="+e.home, "XROAM_SYSTEM_CONFIG_DIR=/nonexistent", "XROAM_SOCKET_HOSTNAME=testhost")
}

// run runs xroam with the session directory options and returns its
// output and exit code.
func (e *env) run(args ...string) (string, int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	full := append(append([]string{}, args...), "--socket-dir="+e.sockDir)
	cmd := exec.CommandContext(ctx, xroamBin, full...)
	cmd.Env = e.environ()
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("xroam %v: %v", args, err)
	}
	return out.String(), code
}

func (e *env) mustRun(args ...string) string {
	e.t.Helper()
	out, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("xroam %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// start starts a daemonized session and returns its display number; the
// session is stopped (and every process killed) when the test ends.
func (e *env) start(args ...string) int {
	e.t.Helper()
	return e.startVerb("start", args...)
}

// startVerb is start with another server verb (start-desktop, shadow).
func (e *env) startVerb(verb string, args ...string) int {
	e.t.Helper()
	out := e.mustRun(append([]string{verb}, args...)...)
	m := regexp.MustCompile(`session :(\d+) started \(pid (\d+)\)`).FindStringSubmatch(out)
	if m == nil {
		e.t.Fatalf("unexpected start output: %q", out)
	}
	n, _ := strconv.Atoi(m[1])
	pid, _ := strconv.Atoi(m[2])
	xvfbPid := 0
	if b, err := os.ReadFile(filepath.Join(e.sockDir, strconv.Itoa(n), "xvfb.pid")); err == nil {
		xvfbPid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	e.t.Cleanup(func() {
		stop := []string{"stop", fmt.Sprintf(":%d", n)}
		if e.passwordFile != "" {
			stop = append(stop, "--password-file="+e.passwordFile)
		}
		if _, code := e.run(stop...); code != 0 {
			// The server could not be stopped (a test killed it, or it
			// refuses the login): end its X server, and with it the
			// applications, so that nothing outlives the test.
			syscall.Kill(pid, syscall.SIGKILL)
			if xvfbPid > 0 {
				syscall.Kill(xvfbPid, syscall.SIGKILL)
			}
		}
	})
	return n
}

func (e *env) socket(n int) string { return filepath.Join(e.sockDir, fmt.Sprintf("testhost-%d", n)) }

func pidAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitWindow waits for a mapped top-level window whose title contains title.
func waitWindow(t *testing.T, display int, title string) x11.WindowInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := x11test.WaitForWindow(ctx, fmt.Sprintf(":%d", display), func(w x11.WindowInfo) bool {
		return w.Mapped && strings.Contains(w.Title, title)
	})
	if err != nil {
		t.Fatalf("window %q on :%d: %v", title, display, err)
	}
	return w
}

func TestStartInfoDetachStop(t *testing.T) {
	e := newEnv(t)
	pidfile := filepath.Join(e.home, "server.pid")
	n := e.start("--start=xterm -T xroam-test-app", "--start-child=sleep 1000", "--pidfile="+pidfile)
	sock := e.socket(n)
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %s: %v, mode %v", sock, err, fi)
	}
	serverPid := readPid(t, pidfile)
	xvfbPid := readPid(t, filepath.Join(e.sockDir, strconv.Itoa(n), "xvfb.pid"))
	waitWindow(t, n, "xroam-test-app")

	if out := e.mustRun("list"); !strings.Contains(out, fmt.Sprintf("LIVE session at :%d", n)) {
		t.Errorf("list: %q", out)
	}
	if out := e.mustRun("version", fmt.Sprintf(":%d", n)); !strings.HasPrefix(out, "xroam ") || !strings.Contains(out, "xpra protocol") {
		t.Errorf("version :N: %q", out)
	}
	info := e.mustRun("info", fmt.Sprintf(":%d", n))
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

	if out := e.mustRun("detach", fmt.Sprintf(":%d", n)); !strings.Contains(out, "0 other clients have been disconnected") {
		t.Errorf("detach: %q", out)
	}
	if !pidAlive(appPid) || !pidAlive(serverPid) {
		t.Fatal("detach ended the application or the server")
	}
	waitWindow(t, n, "xroam-test-app")

	out := e.mustRun("stop", fmt.Sprintf(":%d", n))
	if !strings.Contains(out, "has exited") {
		t.Errorf("stop: %q", out)
	}
	waitFor(t, "every process to end", func() bool {
		return !pidAlive(serverPid) && !pidAlive(xvfbPid) && !pidAlive(appPid)
	})
	for _, f := range []string{sock, pidfile, filepath.Join(e.sockDir, strconv.Itoa(n))} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s remains after stop", f)
		}
	}
	if out := e.mustRun("list"); strings.Contains(out, fmt.Sprintf(":%d", n)) {
		t.Errorf("list after stop: %q", out)
	}
}

func TestExitThenUseDisplay(t *testing.T) {
	e := newEnv(t)
	n := e.start("--start=xterm -T xroam-exit-app")
	disp := fmt.Sprintf(":%d", n)
	xvfbPid := readPid(t, filepath.Join(e.sockDir, strconv.Itoa(n), "xvfb.pid"))
	serverPid := readPid(t, filepath.Join(e.sockDir, strconv.Itoa(n), "server.pid"))
	w := waitWindow(t, n, "xroam-exit-app")

	if out := e.mustRun("exit", disp); !strings.Contains(out, "server exit") {
		t.Errorf("exit: %q", out)
	}
	waitFor(t, "the server to end", func() bool { return !pidAlive(serverPid) })
	if !pidAlive(xvfbPid) {
		t.Fatal("exit ended the X server")
	}
	// The application is still there, same window.
	if got := waitWindow(t, n, "xroam-exit-app"); got.ID != w.ID {
		t.Errorf("window changed across exit: %v then %v", w.ID, got.ID)
	}
	t.Cleanup(func() { syscall.Kill(xvfbPid, syscall.SIGKILL) })

	// A new server takes the display over.
	out := e.mustRun("start", disp, "--use-display")
	if !strings.Contains(out, fmt.Sprintf("session :%d started", n)) {
		t.Fatalf("start --use-display: %q", out)
	}
	info := e.mustRun("info", disp)
	if !strings.Contains(info, "windows.0.title=xroam-exit-app") || !strings.Contains(info, fmt.Sprintf("display.xvfb-pid=%d", xvfbPid)) {
		t.Errorf("info after take-over:\n%s", info)
	}
	e.mustRun("stop", disp)
	waitFor(t, "the X server to end after stop", func() bool { return !pidAlive(xvfbPid) })
}

func TestListDeadAndClean(t *testing.T) {
	e := newEnv(t)
	n := e.start()
	serverPid := readPid(t, filepath.Join(e.sockDir, strconv.Itoa(n), "server.pid"))
	xvfbPid := readPid(t, filepath.Join(e.sockDir, strconv.Itoa(n), "xvfb.pid"))
	t.Cleanup(func() { syscall.Kill(xvfbPid, syscall.SIGKILL) })
	syscall.Kill(serverPid, syscall.SIGKILL)
	waitFor(t, "the server to die", func() bool { return !pidAlive(serverPid) })

	// The kernel closes a killed process's socket only once its last
	// thread is gone, which can be after /proc shows it as a zombie.
	waitFor(t, "list to see the session dead", func() bool {
		return strings.Contains(e.mustRun("list"), fmt.Sprintf("DEAD session at :%d", n))
	})
	out := e.mustRun("list", "--clean")
	if !strings.Contains(out, "(cleaned up)") {
		t.Errorf("list --clean: %q", out)
	}
	if _, err := os.Lstat(e.socket(n)); !os.IsNotExist(err) {
		t.Error("the dead socket is still there")
	}
}

func TestStartErrors(t *testing.T) {
	e := newEnv(t)
	out, code := e.run("start", "--xvfb=Xvfb -no-such-option", "--daemon=no")
	if code != 1 || !strings.Contains(out, "-no-such-option") {
		t.Errorf("bad --xvfb: exit %d, %q", code, out)
	}
	out, code = e.run("start", "--bind-tcp=0.0.0.0:14599", "--daemon=no")
	if code != 1 || !strings.Contains(out, "beyond this machine") {
		t.Errorf("non-loopback bind: exit %d, %q", code, out)
	}
	out, code = e.run("start", "seven")
	if code != 2 {
		t.Errorf("bad display: exit %d, %q", code, out)
	}
	out, code = e.run("info", ":99")
	if code != 1 || !strings.Contains(out, "no session found for display :99") {
		t.Errorf("info on a missing session: exit %d, %q", code, out)
	}
}

func TestExitWithChildren(t *testing.T) {
	e := newEnv(t)
	n := e.start("--start-child=sleep 1", "--exit-with-children")
	serverPid := readPid(t, filepath.Join(e.sockDir, strconv.Itoa(n), "server.pid"))
	waitFor(t, "the server to stop with its child", func() bool { return !pidAlive(serverPid) })
	if _, err := os.Lstat(e.socket(n)); !os.IsNotExist(err) {
		t.Error("socket left behind")
	}
}
