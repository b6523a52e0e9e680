package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
)

// uiConnect attaches as a minimal UI client would: a hello without a
// request, answered by the server's hello. Closing the connection detaches.
func uiConnect(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	w := wire.NewWriter(nc)
	if err := w.WritePacket(xpra.NewHello(wire.Dict{"version": "3.1.3", "rencode": true, "ui_client": true, "client_type": "test"})); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	pkt, err := wire.NewReader(nc).ReadPacket()
	if err != nil || pkt.Type() != "hello" {
		t.Fatalf("no hello from the server: %v %v", pkt.Type(), err)
	}
	nc.SetReadDeadline(time.Time{})
	return nc
}

func lines(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

func TestStartOnConnectOptions(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	on, after, last := filepath.Join(e.Home, "on"), filepath.Join(e.Home, "after"), filepath.Join(e.Home, "last")
	n := e.Start("--start-on-connect=echo x >> "+on, "--start-after-connect=echo x >> "+after,
		"--start-child-on-last-client-exit=echo x >> "+last, "--env=XROAM_TEST_VAR=42",
		"--start=echo $XROAM_TEST_VAR $DISPLAY > "+filepath.Join(e.Home, "env"))
	WaitFor(t, "the --start command", func() bool { return lines(filepath.Join(e.Home, "env")) == 1 })
	b, _ := os.ReadFile(filepath.Join(e.Home, "env"))
	if got := strings.TrimSpace(string(b)); got != fmt.Sprintf("42 :%d", n) {
		t.Errorf("child environment: %q", got)
	}
	c1 := uiConnect(t, "unix", e.Socket(n))
	WaitFor(t, "first connect commands", func() bool { return lines(on) == 1 && lines(after) == 1 })
	c1.Close()
	WaitFor(t, "last-client-exit command", func() bool { return lines(last) == 1 })
	c2 := uiConnect(t, "unix", e.Socket(n))
	WaitFor(t, "second connect", func() bool { return lines(on) == 2 })
	c2.Close()
	WaitFor(t, "second last-client-exit", func() bool { return lines(last) == 2 })
	if lines(after) != 1 {
		t.Errorf("--start-after-connect ran %d times, want once", lines(after))
	}
}

func TestExitWithClientAndBindTCP(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	port := suite.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	n := e.Start("--exit-with-client", "--bind-tcp="+addr)
	serverPid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "server.pid"))
	if out := e.MustRun("info", "tcp://"+addr+"/"); !strings.Contains(out, fmt.Sprintf("display.name=:%d", n)) {
		t.Errorf("info over TCP: %s", out)
	}
	// Command clients do not count as clients: the server still runs.
	if !PidAlive(serverPid) {
		t.Fatal("the server stopped after a command client")
	}
	c := uiConnect(t, "tcp", addr)
	c.Close()
	WaitFor(t, "the server to stop after its client left", func() bool { return !PidAlive(serverPid) })
}

func TestServerIdleTimeout(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--server-idle-timeout=2")
	serverPid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "server.pid"))
	WaitFor(t, "the idle server to stop", func() bool { return !PidAlive(serverPid) })
	if _, err := os.Lstat(e.Socket(n)); !os.IsNotExist(err) {
		t.Error("socket left behind")
	}
}

func TestForegroundDisplayfdAndPermissions(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite.Bin, "start", "--daemon=no", "--displayfd=3", "--socket-permissions=660",
		"--socket-dir="+e.SockDir, "--chdir="+e.Home, "--start=pwd > cwd")
	cmd.Env = e.Environ()
	cmd.ExtraFiles = []*os.File{w}
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var n int
	if _, err := fmt.Fscan(r, &n); err != nil {
		t.Fatalf("nothing on --displayfd: %v\n%s", err, out.String())
	}
	fi, err := os.Stat(e.Socket(n))
	if err != nil || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode: %v %v", fi, err)
	}
	WaitFor(t, "the command in --chdir", func() bool { return lines(filepath.Join(e.Home, "cwd")) == 1 })
	// SIGTERM (here: the context's end is too late) stops a foreground server.
	cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("foreground server exit: %v\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the foreground server ignored SIGINT")
	}
	if _, err := os.Lstat(e.Socket(n)); !os.IsNotExist(err) {
		t.Error("socket left behind")
	}
	if !strings.Contains(out.String(), fmt.Sprintf("xroam session :%d ready", n)) {
		t.Errorf("output: %s", out.String())
	}
}

// TestUIDDropsPrivileges: started as root with --uid/--gid, the server,
// its X server and its commands run as that user, and its files are theirs.
func TestUIDDropsPrivileges(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	e := suite.NewEnv(t)
	// nobody must be able to create the socket directory.
	parent := filepath.Dir(e.SockDir)
	os.Chmod(parent, 0o1777)
	n := e.Start("--uid=nobody", "--gid=nogroup", "--start-child=sleep 600")
	owner := func(pid int) string {
		out, _ := exec.Command("ps", "-o", "user=", "-p", strconv.Itoa(pid)).Output()
		return strings.TrimSpace(string(out))
	}
	for _, f := range []string{"server.pid", "xvfb.pid"} {
		pid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), f))
		if u := owner(pid); u != "nobody" {
			t.Errorf("%s runs as %q, want nobody", f, u)
		}
	}
	out, _ := exec.Command("stat", "-c", "%U:%G", e.Socket(n)).Output()
	if got := strings.TrimSpace(string(out)); got != "nobody:nogroup" {
		t.Errorf("socket owned by %s", got)
	}
}
