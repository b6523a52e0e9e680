package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

func Snapshot(t *testing.T, display int, win uint32) x11test.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := x11test.SnapshotWindow(ctx, fmt.Sprintf(":%d", display), win)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FreeDisplay picks a display number no X server uses.
func FreeDisplay(t *testing.T) int {
	t.Helper()
	for n := 300 + os.Getpid()%200; n < 1000; n++ {
		if used, err := x11.DisplayInUse(n); err == nil && !used {
			return n
		}
	}
	t.Fatal("no free display number")
	return 0
}

// LockedBuffer is an io.Writer safe to read while a process writes it.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// AttachProc is a running `xroam attach`.
type AttachProc struct {
	Cmd  *exec.Cmd
	Out  *LockedBuffer
	Done chan error
}

func (e *Env) Attach(display int, args ...string) *AttachProc {
	e.T.Helper()
	return e.AttachEnv(display, nil, args...)
}

// AttachEnv is attach with extra environment variables.
func (e *Env) AttachEnv(display int, extraEnv []string, args ...string) *AttachProc {
	e.T.Helper()
	cmd := exec.Command(xroamBin, append([]string{"attach"}, args...)...)
	cmd.Env = append(append(e.Environ(), fmt.Sprintf("DISPLAY=:%d", display)), extraEnv...)
	a := &AttachProc{Cmd: cmd, Out: &LockedBuffer{}, Done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = a.Out, a.Out
	if err := cmd.Start(); err != nil {
		e.T.Fatal(err)
	}
	go func() { a.Done <- cmd.Wait() }()
	e.T.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-a.Done
		if e.T.Failed() {
			e.T.Logf("xroam attach output:\n%s", a.Out.String())
		}
	})
	return a
}

func WaitWindowOn(t *testing.T, display int, what string, match func(x11.WindowInfo) bool) x11.WindowInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, err := x11test.WaitForWindow(ctx, fmt.Sprintf(":%d", display), match)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return w
}

// DiffPixels counts the pixels whose colour (the three low bytes of BGRX)
// differs; -1 when the sizes differ. Client pixel (x, y) is compared with
// server pixel (x-shift, y-shift), where both exist: xpra draws a window
// with a border (menus) as the border's outer corner, i.e. shifted by the
// border width against its inside, which is what GetImage returns.
func DiffPixels(server, client x11test.Snapshot, shift int) int {
	if server.Width != client.Width || server.Height != client.Height || len(server.Pix) != len(client.Pix) {
		return -1
	}
	n := 0
	for y := shift; y < client.Height; y++ {
		for x := shift; x < client.Width; x++ {
			i, j := ((y-shift)*server.Width+x-shift)*4, (y*client.Width+x)*4
			if server.Pix[i] != client.Pix[j] || server.Pix[i+1] != client.Pix[j+1] || server.Pix[i+2] != client.Pix[j+2] {
				n++
			}
		}
	}
	return n
}

func Colours(img x11test.Snapshot) int {
	seen := map[[3]byte]bool{}
	for i := 0; i+3 < len(img.Pix) && len(seen) < 16; i += 4 {
		seen[[3]byte{img.Pix[i], img.Pix[i+1], img.Pix[i+2]}] = true
	}
	return len(seen)
}

// SamePixels waits until the client window has the server window's size
// and shows exactly its pixels (draws may still be arriving; xpra maps the
// server window only once a client has shown it).
func SamePixels(t *testing.T, serverDisp int, serverWin uint32, clientDisp int, clientWin uint32, shift int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var last string
	for ctx.Err() == nil {
		s, err1 := x11test.SnapshotWindow(ctx, fmt.Sprintf(":%d", serverDisp), serverWin)
		c, err2 := x11test.SnapshotWindow(ctx, fmt.Sprintf(":%d", clientDisp), clientWin)
		switch {
		case err1 != nil || err2 != nil:
			last = fmt.Sprintf("capture: %v / %v", err1, err2)
		case Colours(c) < 2:
			last = "the client window is blank"
		default:
			d := DiffPixels(s, c, shift)
			if d == 0 {
				return
			}
			last = fmt.Sprintf("server %dx%d, client %dx%d, %d pixels differ", s.Width, s.Height, c.Width, c.Height, d)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("the client window never matched the server's: %s", last)
}

func Xdotool(t *testing.T, display int, args ...string) {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", display))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
}

// Wait waits for attach to exit with status 0 after printing reason.
func (a *AttachProc) Wait(t *testing.T, reason string) {
	t.Helper()
	select {
	case err := <-a.Done:
		a.Done <- err
		if err != nil {
			t.Errorf("xroam attach exited with %v, want 0 after %q:\n%s", err, reason, a.Out.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("xroam attach did not exit after %q:\n%s", reason, a.Out.String())
	}
	if !strings.Contains(a.Out.String(), reason) {
		t.Errorf("xroam attach did not print the server's reason %q:\n%s", reason, a.Out.String())
	}
}

// ChildNamed is the pid of a child of parent whose command is name, or 0.
func ChildNamed(parent int, name string) int {
	ents, _ := os.ReadDir("/proc")
	for _, d := range ents {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 3 || f[0] == "Z" || f[2] != strconv.Itoa(parent) {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", d.Name(), "exe")); err == nil && filepath.Base(exe) == name {
			return pid
		}
	}
	return 0
}

func GrepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func Tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// ClientDisplay starts an Xvfb for a client to show its windows on.
func ClientDisplay(t *testing.T) int {
	t.Helper()
	return SizedDisplay(t, "1280x1024x24")
}

func FreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (e *Env) LogOf(n int) string {
	b, _ := os.ReadFile(filepath.Join(e.SockDir, fmt.Sprintf(":%d.log", n)))
	return string(b)
}

// FreeUDPPort is a UDP port on loopback that was free a moment ago.
func FreeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// WaitUntil is waitFor with its own deadline.
func WaitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// SizedDisplay starts an Xvfb with the given screen and options, on a
// display number it picks. -noreset: without it the X server resets
// whenever its last client leaves (a test's probe, say), and a
// connection made during the reset is refused ("connection reset by
// peer"), as a session starting on it then found once in a few runs.
func SizedDisplay(t *testing.T, screen string, extra ...string) int {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", append([]string{"-displayfd", "3", "-screen", "0", screen, "-nolisten", "tcp", "-noreset"}, extra...)...)
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var n int
	if _, err := fmt.Fscan(r, &n); err != nil {
		t.Fatalf("Xvfb %s: %v", screen, err)
	}
	r.Close()
	return n
}

// XdummyDisplay starts Xorg with the dummy driver, a display whose
// screen can take any size up to 4096x2304 (Xvfb cannot grow), and
// returns its number, or skips.
func XdummyDisplay(t *testing.T) int {
	t.Helper()
	xv, err := x11.StartXvfb(context.Background(), x11.XvfbConfig{Display: -1, Command: x11test.XdummyCommand(t)})
	if err != nil {
		t.Skip("Xorg with the dummy driver does not start here: ", err)
	}
	t.Cleanup(func() { xv.Stop(context.Background()) })
	return xv.Display()
}

// AddUser creates a local user for the test (removed after it) and
// returns its uid and gid.
func AddUser(t *testing.T, name string) (uint32, uint32) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a second user")
	}
	for _, c := range []string{"useradd", "userdel"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is missing", c)
		}
	}
	exec.Command("userdel", name).Run()
	if out, err := exec.Command("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uint32(uid), uint32(gid)
}

// RunAs runs xroam as uid:gid, with a home of its own, and returns its
// output and exit code.
func (e *Env) RunAs(uid, gid uint32, args ...string) (string, int) {
	e.T.Helper()
	home, err := os.MkdirTemp("", "xru")
	if err != nil {
		e.T.Fatal(err)
	}
	defer os.RemoveAll(home)
	os.Chown(home, int(uid), int(gid))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, xroamBin, args...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "XROAM_SYSTEM_CONFIG_DIR=/nonexistent"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, NoSetGroups: true}}
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.T.Fatalf("xroam %v as uid %d: %v", args, uid, err)
	}
	return string(out), code
}

// xroamBin is the binary under test; testPlugins holds every plugin binary.
var xroamBin, testPlugins string

type Env struct {
	T       *testing.T
	Home    string
	SockDir string
	// PasswordFile logs the cleanup's stop in to sessions that need it.
	PasswordFile string
}

func NewEnv(t *testing.T) *Env {
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
	e := &Env{T: t, Home: filepath.Join(dir, "home"), SockDir: filepath.Join(dir, "s")}
	os.MkdirAll(e.Home, 0o700)
	return e
}

func (e *Env) Environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DISPLAY", "XROAM_SOCKET_DIR":
			continue
		}
		out = append(out, kv)
	}
	return append(out, "HOME="+e.Home, "XROAM_SYSTEM_CONFIG_DIR=/nonexistent", "XROAM_SOCKET_HOSTNAME=testhost")
}

// Run runs xroam with the session directory options and returns its
// output and exit code.
func (e *Env) Run(args ...string) (string, int) {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	full := append(append([]string{}, args...), "--socket-dir="+e.SockDir)
	cmd := exec.CommandContext(ctx, xroamBin, full...)
	cmd.Env = e.Environ()
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.T.Fatalf("xroam %v: %v", args, err)
	}
	return out.String(), code
}

func (e *Env) MustRun(args ...string) string {
	e.T.Helper()
	out, code := e.Run(args...)
	if code != 0 {
		e.T.Fatalf("xroam %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// Start starts a daemonized session and returns its display number; the
// session is stopped (and every process killed) when the test ends.
func (e *Env) Start(args ...string) int {
	e.T.Helper()
	return e.StartVerb("start", args...)
}

// StartVerb is start with another server verb (start-desktop, shadow).
func (e *Env) StartVerb(verb string, args ...string) int {
	e.T.Helper()
	out := e.MustRun(append([]string{verb}, args...)...)
	m := regexp.MustCompile(`session :(\d+) started \(pid (\d+)\)`).FindStringSubmatch(out)
	if m == nil {
		e.T.Fatalf("unexpected start output: %q", out)
	}
	n, _ := strconv.Atoi(m[1])
	pid, _ := strconv.Atoi(m[2])
	xvfbPid := 0
	if b, err := os.ReadFile(filepath.Join(e.SockDir, strconv.Itoa(n), "xvfb.pid")); err == nil {
		xvfbPid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	e.T.Cleanup(func() {
		stop := []string{"stop", fmt.Sprintf(":%d", n)}
		if e.PasswordFile != "" {
			stop = append(stop, "--password-file="+e.PasswordFile)
		}
		if _, code := e.Run(stop...); code != 0 {
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

func (e *Env) Socket(n int) string { return filepath.Join(e.SockDir, fmt.Sprintf("testhost-%d", n)) }

func PidAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func ReadPid(t *testing.T, path string) int {
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

func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitWindow waits for a mapped top-level window whose title contains title.
func WaitWindow(t *testing.T, display int, title string) x11.WindowInfo {
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
