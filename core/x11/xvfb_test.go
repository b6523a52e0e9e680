package x11

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testCommand enables every extension the tests check, on a small screen.
const testCommand = "Xvfb +extension Composite +extension DAMAGE +extension RANDR +extension MIT-SHM +extension XTEST -screen 0 1024x768x24 -nolisten tcp -noreset"

// Generous bounds: the machine running the tests may be small and loaded.
const (
	testStartTimeout = 60 * time.Second
	testWait         = 60 * time.Second
)

func TestMain(m *testing.M) {
	// xgb prints to standard error about a missing ~/.Xauthority and
	// about connections the tests close; keep the output readable.
	RouteXGBLog(nil)
	os.Exit(m.Run())
}

func requireXvfb(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skipf("skipping: the Xvfb binary is not installed (apt install xvfb): %v", err)
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startTestXvfb starts Xvfb and makes sure it is gone when the test ends.
func startTestXvfb(t *testing.T, cfg XvfbConfig) *Xvfb {
	t.Helper()
	requireXvfb(t)
	if cfg.Command == "" {
		cfg.Command = testCommand
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = testStartTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	x, err := StartXvfb(t.Context(), cfg)
	if err != nil {
		t.Fatalf("StartXvfb: %v", err)
	}
	t.Cleanup(func() { killXvfb(t, x) })
	return x
}

// killXvfb ends x whether or not it was released.
func killXvfb(t *testing.T, x *Xvfb) {
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if err := x.Stop(ctx); errors.Is(err, ErrReleased) {
		_ = syscall.Kill(x.Pid(), syscall.SIGKILL)
		<-x.Done()
		x.removeStale()
	} else if err != nil {
		t.Errorf("cleanup: Stop: %v", err)
	}
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testWait)
	t.Cleanup(cancel)
	return ctx
}

func TestStartAutomaticAndProbe(t *testing.T) {
	t.Parallel()
	x := startTestXvfb(t, XvfbConfig{Display: -1})
	n := x.Display()
	if n < 0 {
		t.Fatalf("Display() = %d", n)
	}
	if x.Pid() <= 0 {
		t.Fatalf("Pid() = %d", x.Pid())
	}
	if pgid, err := syscall.Getpgid(x.Pid()); err != nil || pgid != x.Pid() {
		t.Errorf("Xvfb process group = %d, %v; want its own (%d)", pgid, err, x.Pid())
	}
	if inUse, err := DisplayInUse(n); err != nil || !inUse {
		t.Errorf("DisplayInUse(%d) = %v, %v; want true", n, inUse, err)
	}
	for _, name := range []string{DisplayName(n), fmt.Sprint(n), DisplayName(n) + ".0"} {
		info, err := Probe(waitCtx(t), name)
		if err != nil {
			t.Fatalf("Probe(%q): %v", name, err)
		}
		if info.Number != n || info.Display != DisplayName(n) {
			t.Errorf("Probe(%q): display %q number %d, want %q", name, info.Display, info.Number, DisplayName(n))
		}
		if info.Width != 1024 || info.Height != 768 || info.Depth != 24 {
			t.Errorf("Probe(%q): screen %dx%d depth %d, want 1024x768 depth 24", name, info.Width, info.Height, info.Depth)
		}
		if info.Vendor == "" || info.ProtocolMajor != 11 || info.Root == 0 {
			t.Errorf("Probe(%q): vendor %q protocol %d.%d root %#x", name, info.Vendor, info.ProtocolMajor, info.ProtocolMinor, info.Root)
		}
		if err := RequireExtensions(info, "Composite", "DAMAGE", "RANDR", "MIT-SHM", "XTEST"); err != nil {
			t.Errorf("Probe(%q): %v (extensions %v)", name, err, info.Extensions)
		}
		for _, e := range KnownExtensions() {
			if _, ok := info.Extensions[e]; !ok {
				t.Errorf("Probe(%q): extension %s not reported on", name, e)
			}
		}
		err = RequireExtensions(info, "Composite", "NO-SUCH-EXT", "OTHER-EXT")
		if err == nil || !strings.Contains(err.Error(), "NO-SUCH-EXT, OTHER-EXT") || strings.Contains(err.Error(), "Composite") {
			t.Errorf("RequireExtensions with missing ones: %v", err)
		}
	}
}

func TestProbeNoServer(t *testing.T) {
	t.Parallel()
	n := freeDisplay(t, 4500)
	if _, err := Probe(waitCtx(t), DisplayName(n)); err == nil {
		t.Errorf("Probe of :%d with no server: want an error", n)
	}
	if _, err := Probe(waitCtx(t), "bogus"); err == nil {
		t.Error("Probe(bogus): want an error")
	}
}

// startExplicit starts Xvfb on a free display number of its own, far from
// the low numbers that automatic picks (here and in other packages' tests)
// take, so that checks that the display is free after a stop cannot be
// fooled by another server taking the number over.
func startExplicit(t *testing.T, base int) *Xvfb {
	t.Helper()
	requireXvfb(t)
	start := base + os.Getpid()%200
	for n := start; n < start+50; n++ {
		n = freeDisplay(t, n)
		x, err := StartXvfb(t.Context(), XvfbConfig{Command: testCommand, Display: n, StartTimeout: testStartTimeout, Logger: testLogger(t)})
		if err != nil && strings.Contains(err.Error(), "in use") {
			continue // taken since freeDisplay looked
		}
		if err != nil {
			t.Fatalf("StartXvfb(:%d): %v", n, err)
		}
		t.Cleanup(func() { killXvfb(t, x) })
		if x.Display() != n {
			t.Errorf("Display() = %d, want %d", x.Display(), n)
		}
		return x
	}
	t.Fatalf("no display from :%d could be started", start)
	return nil
}

func TestStartExplicitDisplay(t *testing.T) {
	t.Parallel()
	x := startExplicit(t, 3000)
	if _, err := Probe(waitCtx(t), DisplayName(x.Display())); err != nil {
		t.Error(err)
	}
}

func TestStartDisplayInUse(t *testing.T) {
	t.Parallel()
	x := startTestXvfb(t, XvfbConfig{Display: -1})
	x2, err := StartXvfb(t.Context(), XvfbConfig{Command: testCommand, Display: x.Display(), Logger: testLogger(t)})
	if err == nil {
		killXvfb(t, x2)
		t.Fatalf("StartXvfb on the busy display :%d succeeded", x.Display())
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), DisplayName(x.Display())) {
		t.Errorf("error %q should say that %s is in use", err, DisplayName(x.Display()))
	}
	// The first server is unharmed.
	if _, err := Probe(waitCtx(t), DisplayName(x.Display())); err != nil {
		t.Errorf("the first server after the refused start: %v", err)
	}
}

func TestStopFreesDisplay(t *testing.T) {
	t.Parallel()
	x := startExplicit(t, 3300)
	n, pid := x.Display(), x.Pid()
	if err := x.Stop(waitCtx(t)); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-x.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	if x.ProcessState() == nil {
		t.Error("ProcessState nil after Stop")
	}
	_ = x.Wait() // exit status: Xvfb's own choice on SIGTERM; must not block
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill(%d, 0) after Stop: %v, want ESRCH", pid, err)
	}
	if inUse, err := DisplayInUse(n); err != nil || inUse {
		t.Errorf("DisplayInUse(%d) after Stop = %v, %v; want false", n, inUse, err)
	}
	if _, err := os.Stat(lockPath(n)); !os.IsNotExist(err) {
		t.Errorf("lock file after Stop: %v", err)
	}
	if err := x.Stop(waitCtx(t)); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestStopKillsAfterContext(t *testing.T) {
	t.Parallel()
	x := startExplicit(t, 3600)
	// A stopped (SIGSTOP) Xvfb cannot act on SIGTERM, so Stop must fall
	// back to SIGKILL when its context ends, and clean up after it.
	if err := syscall.Kill(x.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	n := x.Display()
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	if err := x.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if st := x.ProcessState(); st == nil || st.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("exit state %v, want killed by SIGKILL", st)
	}
	if inUse, err := DisplayInUse(n); err != nil || inUse {
		t.Errorf("DisplayInUse(%d) after kill = %v, %v; want false", n, inUse, err)
	}
	if _, err := os.Stat(lockPath(n)); !os.IsNotExist(err) {
		t.Errorf("lock file of the killed Xvfb left behind: %v", err)
	}
	if _, err := os.Stat(socketPath(n)); !os.IsNotExist(err) {
		t.Errorf("socket of the killed Xvfb left behind: %v", err)
	}
}

func TestReleaseKeepsRunning(t *testing.T) {
	t.Parallel()
	x := startTestXvfb(t, XvfbConfig{Display: -1})
	x.Release()
	if err := x.Stop(waitCtx(t)); !errors.Is(err, ErrReleased) {
		t.Errorf("Stop after Release: %v, want ErrReleased", err)
	}
	if err := syscall.Kill(x.Pid(), 0); err != nil {
		t.Errorf("Xvfb after Release: %v", err)
	}
	if _, err := Probe(waitCtx(t), DisplayName(x.Display())); err != nil {
		t.Errorf("Probe after Release: %v", err)
	}
}

// TestReleaseOutlivesProcess runs a helper process that starts Xvfb,
// releases it and exits: the display must still work afterwards.
func TestReleaseOutlivesProcess(t *testing.T) {
	t.Parallel()
	requireXvfb(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestReleaseHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "XROAM_X11_RELEASE_HELPER="+fmt.Sprint(freeDisplay(t, 3900+os.Getpid()%200)))
	out, err := cmd.Output()
	var n, pid int
	for sc := bufio.NewScanner(strings.NewReader(string(out))); sc.Scan(); {
		if _, e := fmt.Sscanf(sc.Text(), "released display %d pid %d", &n, &pid); e == nil {
			break
		}
	}
	if pid > 0 {
		t.Cleanup(func() { killOrphan(t, n, pid) })
	}
	if err != nil || pid <= 0 {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("released Xvfb %d after its parent exited: %v", pid, err)
	}
	// Once (in a CI run under load) the probe was refused although the
	// Xvfb lived: retry a little, and say what the display looked like.
	for range 10 {
		if _, err = Probe(waitCtx(t), DisplayName(n)); err == nil {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	lock, _ := os.ReadFile(lockPath(n))
	_, serr := os.Lstat(socketPath(n))
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	t.Errorf("Probe of the released display: %v (lock file %q; socket file: %v; pid %d runs %q)",
		err, strings.TrimSpace(string(lock)), serr, pid, strings.ReplaceAll(string(cmdline), "\x00", " "))
}

// killOrphan ends an Xvfb that is not our child (init reaps it) and waits
// until it is gone.
func killOrphan(t *testing.T, n, pid int) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(testWait)
	for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("orphaned Xvfb %d ignored SIGTERM", pid)
	}
	if inUse, _ := DisplayInUse(n); inUse {
		t.Errorf("display :%d still in use after its Xvfb ended", n)
	}
}

// TestReleaseHelper is the helper process of TestReleaseOutlivesProcess.
func TestReleaseHelper(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("XROAM_X11_RELEASE_HELPER"))
	if err != nil {
		t.Skip("helper process for TestReleaseOutlivesProcess")
	}
	x, err := StartXvfb(t.Context(), XvfbConfig{Command: testCommand, Display: n, StartTimeout: testStartTimeout})
	if err != nil {
		t.Fatal(err)
	}
	x.Release()
	fmt.Printf("released display %d pid %d\n", x.Display(), x.Pid())
}

func TestStartBadOption(t *testing.T) {
	t.Parallel()
	requireXvfb(t)
	logPath := filepath.Join(t.TempDir(), "xvfb.log")
	const earlier = "earlier line from another run\n"
	if err := os.WriteFile(logPath, []byte(earlier), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, lp := range []string{"", logPath} {
		_, err := StartXvfb(waitCtx(t), XvfbConfig{Command: "Xvfb -no-such-option", Display: -1, LogPath: lp, StartTimeout: testStartTimeout, Logger: testLogger(t)})
		if err == nil {
			t.Fatalf("LogPath %q: StartXvfb with a bad option succeeded", lp)
		}
		t.Logf("LogPath %q: %v", lp, err)
		var exit *exec.ExitError
		if !errors.Is(err, exit) && !errors.As(err, &exit) {
			t.Errorf("LogPath %q: error %v does not wrap the exit status", lp, err)
		}
		if !strings.Contains(err.Error(), "Unrecognized option: -no-such-option") {
			t.Errorf("LogPath %q: error lacks Xvfb's stderr: %v", lp, err)
		}
		if strings.Contains(err.Error(), "earlier line") {
			t.Errorf("LogPath %q: error quotes what was in the log before: %v", lp, err)
		}
	}
	// The log is appended to, not truncated.
	b, err := os.ReadFile(logPath)
	if err != nil || !strings.HasPrefix(string(b), earlier) || !strings.Contains(string(b), "no-such-option") {
		t.Errorf("log file: %v\n%s", err, b)
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	requireXvfb(t)
	for _, tt := range []struct{ name, command, want string }{
		{"missing binary", "/nonexistent/Xvfb -screen 0 640x480x24", "/nonexistent/Xvfb"},
		{"display in command", "Xvfb :5 -nolisten tcp", ":5"},
		{"displayfd in command", "Xvfb -displayfd 1", "-displayfd"},
		{"bad quoting", `Xvfb "-screen`, "quote"},
	} {
		x, err := StartXvfb(waitCtx(t), XvfbConfig{Command: tt.command, Display: -1, Logger: testLogger(t)})
		if err == nil {
			killXvfb(t, x)
			t.Errorf("%s: StartXvfb(%q) succeeded", tt.name, tt.command)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q lacks %q", tt.name, err, tt.want)
		}
	}
}

func TestStartCanceled(t *testing.T) {
	t.Parallel()
	requireXvfb(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	x, err := StartXvfb(ctx, XvfbConfig{Command: testCommand, Display: -1, Logger: testLogger(t)})
	if err == nil {
		killXvfb(t, x)
		t.Fatal("StartXvfb with a canceled context succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
}
