package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/sdk/transport"
)

// TestQUIC: an xroam server with --bind-quic answers info and version
// over quic://, shows its xterm to xroam attach on a client display,
// checks the certificate like ssl://, and a second bind with --quic-auth
// takes the right password only.
func TestQUIC(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	certs := testCerts(t, e.Home)
	port := suite.FreeUDPPort(t)
	n := e.Start("--plugin-dir="+suite.PluginDir, "--start=xterm -T quic-app",
		fmt.Sprintf("--bind-quic=127.0.0.1:%d", port), "--ssl-cert="+certs.Cert, "--ssl-key="+certs.Key, "--ssl-client-verify-mode=none", "--quic-auth=allow")
	WaitWindow(t, n, "quic-app")
	uri := fmt.Sprintf("quic://127.0.0.1:%d/", port)
	if out, code := e.Run("info", uri, "--ssl-ca-certs="+certs.CA); code != 0 || !strings.Contains(out, "server.type=xroam") {
		t.Fatalf("info over QUIC: exit %d\n%s\n%s", code, Tail(out, 20), Tail(e.LogOf(n), 30))
	}
	if out, code := e.Run("version", uri, "--ssl-ca-certs="+certs.CA, "--ssl-server-hostname=localhost"); code != 0 || strings.TrimSpace(out) == "" {
		t.Errorf("version over QUIC: exit %d, %q", code, out)
	}
	// Without the test CA the certificate is refused; with no check at
	// all it is let through.
	if out, code := e.Run("version", uri); code == 0 || !strings.Contains(out, "certificate") {
		t.Errorf("version over QUIC without the CA: exit %d, %q", code, out)
	}
	other := testCerts(t, t.TempDir())
	if out, code := e.Run("version", uri, "--ssl-ca-certs="+other.CA); code == 0 || !strings.Contains(out, "certificate") {
		t.Errorf("version over QUIC with another CA: exit %d, %q", code, out)
	}
	if out, code := e.Run("version", uri, "--ssl-server-verify-mode=none"); code != 0 {
		t.Errorf("version over QUIC without checks: exit %d, %q", code, out)
	}

	cd := ClientDisplay(t)
	a := e.Attach(cd, uri, "--ssl-ca-certs="+certs.CA)
	WaitWindowOn(t, cd, "the xterm on the client's display", func(w x11.WindowInfo) bool {
		return w.Mapped && strings.Contains(w.Title, "quic-app")
	})
	WaitFor(t, "xroam to list the QUIC client", func() bool {
		info, _ := e.Run("info", fmt.Sprintf(":%d", n))
		return strings.Contains(info, "clients.count=1")
	})
	// A client stopped the way a user does closes the connection;
	// TestQUICDeadPeer kills one.
	a.Cmd.Process.Signal(syscall.SIGTERM)
	<-a.Done
	a.Done <- nil
	WaitFor(t, "the client to leave", func() bool {
		info, _ := e.Run("info", fmt.Sprintf(":%d", n))
		return strings.Contains(info, "clients.count=0")
	})
	if logb := e.LogOf(n); !strings.Contains(logb, "transport=quic") {
		t.Errorf("the log does not show the quic transport listening:\n%s", Tail(logb, 40))
	}
}

// TestQUICAuth: --quic-auth guards QUIC connections, and a bind beyond
// loopback without it is refused.
func TestQUICAuth(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	certs := testCerts(t, e.Home)
	port := suite.FreeUDPPort(t)
	e.Start("--plugin-dir="+suite.PluginDir, fmt.Sprintf("--bind-quic=127.0.0.1:%d", port),
		"--ssl-cert="+certs.Cert, "--ssl-key="+certs.Key, "--ssl-client-verify-mode=none",
		"--tcp-auth=password:value=tcp-pw", "--quic-auth=password:value=quic-pw")
	pw := func(name, v string) string {
		p := filepath.Join(e.Home, name)
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	uri := fmt.Sprintf("quic://127.0.0.1:%d/", port)
	if out, code := e.Run("info", uri, "--ssl-ca-certs="+certs.CA, "--password-file="+pw("good", "quic-pw")); code != 0 || !strings.Contains(out, "server.type=xroam") {
		t.Errorf("right password: exit %d\n%s", code, Tail(out, 20))
	}
	for _, bad := range []string{pw("tcp", "tcp-pw"), pw("bad", "nope")} {
		out, code := e.Run("info", uri, "--ssl-ca-certs="+certs.CA, "--password-file="+bad)
		if code == 0 || strings.Contains(out, "server.type=xroam") || !strings.Contains(out, "authentication failed") {
			t.Errorf("wrong password %s: exit %d\n%s", filepath.Base(bad), code, Tail(out, 20))
		}
	}

	out, code := e.Run("start", "--daemon=no", "--plugin-dir="+suite.PluginDir, fmt.Sprintf("--bind-quic=0.0.0.0:%d", suite.FreeUDPPort(t)),
		"--ssl-cert="+certs.Cert, "--ssl-key="+certs.Key)
	if code != 1 || !strings.Contains(out, "--quic-auth") || !strings.Contains(out, "beyond this machine") {
		t.Errorf("quic on all interfaces without --quic-auth: exit %d, %q", code, out)
	}
	// The peer of a QUIC datagram has no uid the server could check, so
	// even on loopback it takes an explicit --quic-auth.
	out, code = e.Run("start", "--daemon=no", "--plugin-dir="+suite.PluginDir, fmt.Sprintf("--bind-quic=127.0.0.1:%d", suite.FreeUDPPort(t)),
		"--ssl-cert="+certs.Cert, "--ssl-key="+certs.Key)
	if code != 1 || !strings.Contains(out, "any local user could use the session: add --quic-auth") {
		t.Errorf("quic on loopback without --quic-auth: exit %d, %q", code, out)
	}
	out, code = e.Run("start", "--daemon=no", "--plugin-dir="+suite.PluginDir, fmt.Sprintf("--bind-quic=127.0.0.1:%d", suite.FreeUDPPort(t)), "--quic-auth=allow")
	if code != 1 || !strings.Contains(out, "ssl-cert") {
		t.Errorf("quic without a certificate: exit %d, %q", code, out)
	}
}

// quicDeadPeerDeadline is how long a vanished QUIC peer may go unnoticed
// in TestQUICDeadPeer: generous for a loaded machine, yet well under the
// 30 s that the idle timeout once was, which it would catch.
const quicDeadPeerDeadline = 15 * time.Second

// TestQUICDeadPeer: a QUIC peer that vanishes without a word (SIGKILL,
// so no CONNECTION_CLOSE) is noticed by the keep-alives and the short
// idle timeout, on both ends: the server drops a killed xroam attach, and
// a client whose server side (the quic transport plugin) is killed gives
// up, both within seconds.
func TestQUICDeadPeer(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	certs := testCerts(t, e.Home)
	port := suite.FreeUDPPort(t)
	n := e.Start("--plugin-dir="+suite.PluginDir, "--start=xterm -T quic-dead",
		fmt.Sprintf("--bind-quic=127.0.0.1:%d", port), "--ssl-cert="+certs.Cert, "--ssl-key="+certs.Key, "--ssl-client-verify-mode=none", "--quic-auth=allow")
	WaitWindow(t, n, "quic-dead")
	uri := fmt.Sprintf("quic://127.0.0.1:%d/", port)
	clients := func(want string) func() bool {
		return func() bool {
			info, _ := e.Run("info", fmt.Sprintf(":%d", n))
			return strings.Contains(info, "clients.count="+want)
		}
	}

	t.Run("server notices a killed client", func(t *testing.T) {
		a := e.Attach(ClientDisplay(t), uri, "--ssl-ca-certs="+certs.CA)
		WaitFor(t, "the QUIC client to attach", clients("1"))
		// Quiet for a while first: the keep-alives must hold a live
		// connection that sends nothing past the idle timeout.
		time.Sleep(2 * transport.QUICIdleTimeout)
		if !clients("1")() {
			t.Fatalf("a live, quiet QUIC client was dropped:\n%s", Tail(e.LogOf(n), 30))
		}
		a.Cmd.Process.Kill()
		<-a.Done
		a.Done <- nil
		killed := time.Now()
		WaitUntil(t, quicDeadPeerDeadline, "the server to drop the killed QUIC client", clients("0"))
		t.Logf("the server dropped the killed client after %v", time.Since(killed).Round(100*time.Millisecond))
	})

	t.Run("client notices a killed server side", func(t *testing.T) {
		a := e.Attach(ClientDisplay(t), uri, "--ssl-ca-certs="+certs.CA, "--reconnect=no")
		WaitFor(t, "the QUIC client to attach", clients("1"))
		pid := e.PluginPid(n, "xroam-transport-quic")
		if pid == 0 {
			t.Fatal("the quic transport is not running as a subprocess")
		}
		syscall.Kill(pid, syscall.SIGKILL)
		killed := time.Now()
		select {
		case <-a.Done:
			t.Logf("the client gave up %v after its server side was killed", time.Since(killed).Round(100*time.Millisecond))
			a.Done <- nil
		case <-time.After(quicDeadPeerDeadline):
			t.Fatalf("the client still runs %v after its server side was killed:\n%s", quicDeadPeerDeadline, Tail(a.Out.String(), 20))
		}
		// The session lives on.
		if out := e.MustRun("info", fmt.Sprintf(":%d", n)); !strings.Contains(out, "quic-dead") {
			t.Errorf("the session lost its application:\n%s", out)
		}
	})
}
