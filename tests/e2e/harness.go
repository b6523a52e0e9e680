// Package e2e runs xroam end to end: the real binary and its plugins
// against real X servers (Xvfb), real peers (Debian's xpra 3.1.3,
// vncviewer, noVNC and the HTML5 client in a browser) and real tools
// (xdotool, xclip, xprop). The tests of this directory use it; it is an
// ordinary package so that other test programs can start sessions the
// same way.
//
// A test binary builds xroam and every plugin once, in TestMain
// (NewSuite). Each test then makes an Env, with a home and a socket
// directory of its own, and starts sessions in it; the X servers and
// ports it needs beside them come from FreeDisplay and FreePort, which
// never hand the same number to two tests at once, in this process or
// in another one that uses this package. That is what lets the tests
// run in parallel.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// module is the import path of the main module, whose binaries are built.
const module = "github.com/xroam/xroam"

// Patience is how long the waiting helpers wait for an event before they
// fail the test: long enough for a machine that is busy with other work
// (make test-loaded runs the suite next to two CPU hogs).
const Patience = 90 * time.Second

// Suite is what every test of one test binary shares: the binaries under
// test, the X authority file the sessions add their cookies to, and the
// allocation of displays, ports and users.
type Suite struct {
	// Bin is the xroam binary.
	Bin string
	// PluginDir holds every plugin binary, named as make names them
	// (xroam-<kind>-<name>), for --plugin-dir.
	PluginDir string
	// Xauthority is a fresh X authority file for TestMain to name in
	// XAUTHORITY, as a user's ~/.Xauthority would be.
	Xauthority string

	dir   string
	locks string

	mu          sync.Mutex
	nextDisplay int
	nextPort    int

	// users serialises useradd, userdel and chpasswd, which refuse to run
	// while another one holds the lock on /etc/passwd.
	users sync.Mutex
}

// NewSuite builds xroam and every plugin into a new temporary directory.
// The go command runs in the current directory, which must be inside the
// main module (a test's directory is).
func NewSuite(ctx context.Context) (*Suite, error) {
	dir, err := os.MkdirTemp("", "xroam-bin-")
	if err != nil {
		return nil, fmt.Errorf("e2e: %w", err)
	}
	// Readable by all: TestUIDDropsPrivileges runs the binary as nobody.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("e2e: %w", err)
	}
	locks, err := lockDir()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Suite{
		Bin:        filepath.Join(dir, "xroam"),
		PluginDir:  filepath.Join(dir, "plugins"),
		Xauthority: filepath.Join(dir, "Xauthority"),
		dir:        dir,
		locks:      locks,
	}
	// Different processes start at different places, so that two test
	// binaries running at once rarely try the same numbers.
	spread := os.Getpid() * 7919
	s.nextDisplay = firstDisplay + spread%(lastDisplay-firstDisplay)
	s.nextPort = firstPort + spread%(lastPort-firstPort)
	if err := s.build(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// Close removes the binaries.
func (s *Suite) Close() error {
	return os.RemoveAll(s.dir)
}

// build builds xroam and the plugins: one go command per kind of plugin
// (the names within a kind are unique, being sibling directories), all
// at once.
func (s *Suite) build(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "go", "list", "-f", `{{if eq .Name "main"}}{{.ImportPath}}{{end}}`, module+"/plugins/...").Output()
	if err != nil {
		return fmt.Errorf("e2e: listing the plugins: %w", err)
	}
	kinds := map[string][]string{}
	for _, p := range strings.Fields(string(out)) {
		// module/plugins/<kinds>/<name>
		parts := strings.Split(strings.TrimPrefix(p, module+"/plugins/"), "/")
		if len(parts) != 2 {
			return fmt.Errorf("e2e: plugin %s is not plugins/<kinds>/<name>", p)
		}
		kinds[parts[0]] = append(kinds[parts[0]], p)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(kinds)+1)
	goBuild := func(out string, pkgs ...string) {
		defer wg.Done()
		// -s -w: no symbol table and no DWARF, which halves the link
		// time of each of the binaries; tracebacks do not need them.
		args := append([]string{"build", "-tags=extlib", "-ldflags=-s -w", "-o", out}, pkgs...)
		if b, err := exec.CommandContext(ctx, "go", args...).CombinedOutput(); err != nil {
			errs <- fmt.Errorf("e2e: go %s: %w\n%s", strings.Join(args, " "), err, b)
		}
	}
	wg.Add(1 + len(kinds))
	go goBuild(s.Bin, module+"/cmd/xroam")
	for kinds, pkgs := range kinds {
		go goBuild(filepath.Join(s.dir, "build-"+kinds)+"/", pkgs...)
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	if err := errors.Join(all...); err != nil {
		return err
	}
	if err := os.MkdirAll(s.PluginDir, 0o755); err != nil {
		return fmt.Errorf("e2e: %w", err)
	}
	for kinds, pkgs := range kinds {
		kind := strings.TrimSuffix(kinds, "s")
		for _, p := range pkgs {
			name := path.Base(p)
			if err := os.Rename(filepath.Join(s.dir, "build-"+kinds, name), filepath.Join(s.PluginDir, "xroam-"+kind+"-"+name)); err != nil {
				return fmt.Errorf("e2e: %w", err)
			}
		}
		os.Remove(filepath.Join(s.dir, "build-"+kinds))
	}
	return nil
}

// Env is one test's place: a home and a socket directory that its
// sessions and commands use, removed when the test ends.
type Env struct {
	T     *testing.T
	Suite *Suite
	// Home is the HOME of every command the Env runs.
	Home string
	// SockDir is the --socket-dir of every xroam command the Env runs.
	SockDir string
	// PasswordFile logs the cleanup's stop in to sessions that need it.
	PasswordFile string
	// Xauthority, when set, is the XAUTHORITY of the commands the Env
	// runs instead of this process's (the suite's shared file): for a
	// test that reads what its sessions write there, which no other
	// test's session may touch.
	Xauthority string
	// Vars are more KEY=value variables for the commands the Env runs
	// (t.Setenv would change them for every test running at the time).
	Vars []string
}

// NewEnv makes a test's Env, or skips the test where there is no Xvfb.
func (s *Suite) NewEnv(t *testing.T) *Env {
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
	e := &Env{T: t, Suite: s, Home: filepath.Join(dir, "home"), SockDir: filepath.Join(dir, "s")}
	if err := os.MkdirAll(e.Home, 0o700); err != nil {
		t.Fatal(err)
	}
	return e
}

// Environ is the environment of the commands the Env runs: this
// process's, with the Env's HOME (and Xauthority if set), no DISPLAY, no
// system configuration, a fixed host name in socket names, and Vars.
func (e *Env) Environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DISPLAY", "XROAM_SOCKET_DIR":
			continue
		case "XAUTHORITY":
			if e.Xauthority != "" {
				continue
			}
		}
		out = append(out, kv)
	}
	if e.Xauthority != "" {
		out = append(out, "XAUTHORITY="+e.Xauthority)
	}
	out = append(out, "HOME="+e.Home, "XROAM_SYSTEM_CONFIG_DIR=/nonexistent", "XROAM_SOCKET_HOSTNAME=testhost")
	return append(out, e.Vars...)
}

// Run runs xroam with the Env's socket directory and returns its output
// and exit code.
func (e *Env) Run(args ...string) (string, int) {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	full := append(append([]string{}, args...), "--socket-dir="+e.SockDir)
	cmd := exec.CommandContext(ctx, e.Suite.Bin, full...)
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

// MustRun is Run that fails the test unless xroam exits 0.
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

// StartVerb is Start with another server verb (start-desktop, shadow).
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

// Socket is the path of display n's session socket.
func (e *Env) Socket(n int) string {
	return filepath.Join(e.SockDir, fmt.Sprintf("testhost-%d", n))
}

// ServerPid is the pid of display n's server, from its pid file.
func (e *Env) ServerPid(n int) int {
	e.T.Helper()
	return ReadPid(e.T, filepath.Join(e.SockDir, strconv.Itoa(n), "server.pid"))
}

// LogOf is display n's server log so far.
func (e *Env) LogOf(n int) string {
	b, _ := os.ReadFile(filepath.Join(e.SockDir, fmt.Sprintf(":%d.log", n)))
	return string(b)
}

// RunAs runs xroam as uid:gid, with a home of its own and a minimal
// environment, and returns its output and exit code.
func (e *Env) RunAs(uid, gid uint32, args ...string) (string, int) {
	e.T.Helper()
	home, err := os.MkdirTemp("", "xru")
	if err != nil {
		e.T.Fatal(err)
	}
	defer os.RemoveAll(home)
	os.Chown(home, int(uid), int(gid))
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.Suite.Bin, args...)
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

// AttachProc is a running `xroam attach`.
type AttachProc struct {
	Cmd *exec.Cmd
	// Out is its output so far, stdout and stderr together.
	Out *LockedBuffer
	// Done receives its exit once; Wait puts it back.
	Done chan error
}

// Attach starts `xroam attach args…` showing its windows on display; it
// is killed when the test ends.
func (e *Env) Attach(display int, args ...string) *AttachProc {
	e.T.Helper()
	return e.AttachEnv(display, nil, args...)
}

// AttachEnv is Attach with extra environment variables.
func (e *Env) AttachEnv(display int, extraEnv []string, args ...string) *AttachProc {
	e.T.Helper()
	cmd := exec.Command(e.Suite.Bin, append([]string{"attach"}, args...)...)
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

// Wait waits for attach to exit with status 0 after printing reason.
func (a *AttachProc) Wait(t *testing.T, reason string) {
	t.Helper()
	select {
	case err := <-a.Done:
		a.Done <- err
		if err != nil {
			t.Errorf("xroam attach exited with %v, want 0 after %q:\n%s", err, reason, a.Out.String())
		}
	case <-time.After(Patience):
		t.Fatalf("xroam attach did not exit after %q:\n%s", reason, a.Out.String())
	}
	if !strings.Contains(a.Out.String(), reason) {
		t.Errorf("xroam attach did not print the server's reason %q:\n%s", reason, a.Out.String())
	}
}

// AddUser creates a local user for the test, removed after it, and
// returns its uid and gid; it skips the test unless it runs as root.
// Each test names its own user, so that tests that run at once do not
// share one.
func (s *Suite) AddUser(t *testing.T, name string) (uid, gid uint32) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a second user")
	}
	for _, c := range []string{"useradd", "userdel"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is missing", c)
		}
	}
	s.users.Lock()
	defer s.users.Unlock()
	exec.Command("userdel", name).Run()
	if out, err := exec.Command("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v %s", err, out)
	}
	t.Cleanup(func() {
		s.users.Lock()
		defer s.users.Unlock()
		exec.Command("userdel", name).Run()
	})
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.Atoi(u.Uid)
	g, _ := strconv.Atoi(u.Gid)
	return uint32(id), uint32(g)
}

// SetPassword sets the password of a user AddUser made.
func (s *Suite) SetPassword(t *testing.T, name, password string) {
	t.Helper()
	s.users.Lock()
	defer s.users.Unlock()
	chp := exec.Command("chpasswd")
	chp.Stdin = strings.NewReader(name + ":" + password + "\n")
	if out, err := chp.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v %s", err, out)
	}
}

// PluginPid is the pid of display n's plugin binary named plugin
// (xroam-auth-file), a child of its server, or 0.
func (e *Env) PluginPid(n int, plugin string) int {
	e.T.Helper()
	return ChildNamed(e.ServerPid(n), plugin)
}
