package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

// ssh:// through a real OpenSSH server on loopback, run by the test as
// the current user with its own host key, user key and configuration.

// sshServer is a running sshd and what a client needs to reach it.
type sshServer struct {
	port int
	// ssh is the --ssh command line that logs in with the test's key.
	ssh  string
	user string
}

func startSSHD(t *testing.T, dir string) *sshServer {
	t.Helper()
	sshd := "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		t.Skip("sshd is not installed (apt-get install openssh-server)")
	}
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("ssh is not installed (apt-get install openssh-client)")
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"host_key", "user_key"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "user_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	port := suite.FreePort(t)
	cfg := filepath.Join(dir, "sshd_config")
	// HOME is the test's: the remote shell reads none of the user's
	// start-up files, which may be slow or noisy.
	os.WriteFile(cfg, []byte(fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
X11Forwarding no
SetEnv HOME=%s
`, port, filepath.Join(dir, "host_key"), filepath.Join(dir, "sshd.pid"), filepath.Join(dir, "authorized_keys"), dir)), 0o600)
	if os.Getuid() == 0 {
		// sshd insists on its privilege separation directory.
		os.MkdirAll("/run/sshd", 0o755)
	}
	cmd := exec.Command(sshd, "-D", "-e", "-f", cfg)
	out := &LockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("sshd:\n%s", out.String())
		}
	})
	WaitFor(t, "sshd to listen", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return &sshServer{
		port: port,
		user: u.Username,
		ssh: fmt.Sprintf("ssh -x -i %s -o IdentitiesOnly=yes -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes -o LogLevel=ERROR",
			filepath.Join(dir, "user_key")),
	}
}

// remoteXroam writes the command run on the ssh side: this test's binary
// with the test's socket directory (sshd starts it with a fresh
// environment).
func (e *Env) remoteXroam(t *testing.T) string {
	t.Helper()
	p := filepath.Join(e.Home, "remote-xroam")
	script := fmt.Sprintf("#!/bin/sh\nexec env XROAM_SOCKET_DIR=%s XROAM_SOCKET_HOSTNAME=testhost HOME=%s %s \"$@\"\n", e.SockDir, e.Home, suite.Bin)
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSSHTransport(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	srv := startSSHD(t, e.Home)
	remote := e.remoteXroam(t)
	n := e.Start("--start=xterm -T sshtest")
	WaitWindow(t, n, "sshtest")
	uri := fmt.Sprintf("ssh://%s@127.0.0.1:%d/%d", srv.user, srv.port, n)
	sshOpts := []string{"--ssh=" + srv.ssh, "--remote-xroam=" + remote}

	out, code := e.Run(append([]string{"info", uri}, sshOpts...)...)
	for _, want := range []string{"server.type=xroam", fmt.Sprintf("display.name=:%d", n)} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("info over ssh lacks %q: exit %d\n%s", want, code, Tail(out, 20))
		}
	}
	// The man page's legacy form, with the port in the ssh command.
	out, code = e.Run("version", fmt.Sprintf("ssh:%s@127.0.0.1:%d", srv.user, n),
		fmt.Sprintf("--ssh=%s -p %d", srv.ssh, srv.port), "--remote-xroam="+remote)
	if code != 0 || strings.TrimSpace(out) == "" || strings.Contains(out, "error") {
		t.Errorf("version over ssh:HOST:DISPLAY: exit %d, %q", code, out)
	}
	// A remote command that does not exist is an error that says so.
	if out, code := e.Run("version", uri, "--ssh="+srv.ssh, "--remote-xroam=/nonexistent/xroam"); code == 0 {
		t.Errorf("version with a missing remote xroam: exit 0, %q", out)
	}

	cd := ClientDisplay(t)
	isApp := func(w x11.WindowInfo) bool { return w.Mapped && strings.Contains(w.Title, "sshtest") }
	a := e.Attach(cd, append([]string{uri}, sshOpts...)...)
	WaitWindowOn(t, cd, "the xterm on the client over ssh", isApp)
	WaitFor(t, "the ssh client to run", func() bool { return sshChild(a.Cmd.Process.Pid) > 0 })
	sshPid := sshChild(a.Cmd.Process.Pid)
	a.Cmd.Process.Signal(os.Interrupt)
	a.Wait(t, "")
	WaitFor(t, "the ssh client to end (exit-ssh)", func() bool { return !PidAlive(sshPid) })
	WaitFor(t, "the client window to go", func() bool { return !hasWindow(cd, isApp) })
	// The session lives on and shows the window again.
	b := e.Attach(cd, append([]string{uri}, sshOpts...)...)
	WaitWindowOn(t, cd, "the xterm on the client over ssh, again", isApp)
	b.Cmd.Process.Signal(os.Interrupt)
	b.Wait(t, "")
	WaitFor(t, "the client window to go", func() bool { return !hasWindow(cd, isApp) })

	// Debian's xpra 3.1.3 client runs "xroam _proxy :N" through ssh.
	if _, err := exec.LookPath("xpra"); err == nil {
		out, stop := e.srvAttachXpra(t, uri, cd, "--ssh="+srv.ssh, "--remote-xpra="+remote)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		_, err := x11test.WaitForWindow(ctx, fmt.Sprintf(":%d", cd), isApp)
		cancel()
		if err != nil {
			t.Errorf("xpra attach over ssh: no window: %v\n%s", err, out.String())
		}
		stop()
	}
}

// sshChild is the pid of the ssh process whose parent is pid, or 0.
func sshChild(pid int) int {
	ents, _ := os.ReadDir("/proc")
	for _, d := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:])
		if i < 0 || len(f) < 2 || f[0] == "Z" || f[1] != strconv.Itoa(pid) {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", d.Name(), "exe")); err == nil && filepath.Base(exe) == "ssh" {
			n, _ := strconv.Atoi(d.Name())
			return n
		}
	}
	return 0
}
