package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xroam/xroam/core/tlstest"
	"github.com/xroam/xroam/core/x11"
)

// xpraAttach runs Debian's xpra client against uri, showing its windows
// on display cd; it is killed when the test ends.
func (e *Env) xpraAttach(cd int, uri string, extra ...string) (*exec.Cmd, *LockedBuffer, chan struct{}) {
	e.T.Helper()
	args := append([]string{"attach", uri, "--mmap=no", "--opengl=no", "--tray=no", "--notifications=no", "--speaker=disabled",
		"--microphone=disabled", "--webcam=no", "--printing=no", "--file-transfer=no"}, extra...)
	cmd := exec.Command("xpra", args...)
	cmd.Env = append(e.Environ(), "XPRA_ALLOW_ROOT=1", fmt.Sprintf("DISPLAY=:%d", cd), "XDG_RUNTIME_DIR="+e.Home)
	out := &LockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		e.T.Fatal(err)
	}
	// done is closed once the client has exited.
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	e.T.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if e.T.Failed() {
			e.T.Logf("xpra attach %s output:\n%s", uri, out.String())
		}
	})
	return cmd, out, done
}

func testCerts(t *testing.T, dir string) tlstest.Files {
	t.Helper()
	f, err := tlstest.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestXpraAttachOverTransports: Debian's xpra 3.1.3 client attaches over
// tcp (the socket handed to the core), ssl (a CA made here) and ws (both
// relayed by their plugins) and shows the session's xterm.
func TestXpraAttachOverTransports(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	certs := testCerts(t, e.Home)
	tcp, ssl, ws := suite.FreePort(t), suite.FreePort(t), suite.FreePort(t)
	n := e.Start("--plugin-dir="+suite.PluginDir, "--start=xterm -T transports-app",
		fmt.Sprintf("--bind-tcp=127.0.0.1:%d", tcp), fmt.Sprintf("--bind-ssl=127.0.0.1:%d", ssl), fmt.Sprintf("--bind-ws=127.0.0.1:%d", ws),
		"--ssl-cert="+certs.Cert, "--ssl-key="+certs.Key, "--ssl-client-verify-mode=none")
	WaitWindow(t, n, "transports-app")
	for _, tc := range []struct {
		uri   string
		extra []string
		peer  string
	}{
		{fmt.Sprintf("tcp://127.0.0.1:%d/", tcp), nil, "tcp"},
		{fmt.Sprintf("ssl://127.0.0.1:%d/", ssl), []string{"--ssl-ca-certs=" + certs.CA}, "ssl"},
		{fmt.Sprintf("ws://127.0.0.1:%d/", ws), nil, "ws"},
	} {
		t.Run(tc.peer, func(t *testing.T) {
			cd := ClientDisplay(t)
			cmd, _, done := e.xpraAttach(cd, tc.uri, tc.extra...)
			WaitWindowOn(t, cd, "the xterm on the xpra client's display", func(w x11.WindowInfo) bool {
				return w.Mapped && strings.Contains(w.Title, "transports-app")
			})
			WaitFor(t, "xroam to list the client", func() bool {
				info, _ := e.Run("info", fmt.Sprintf(":%d", n))
				return strings.Contains(info, "clients.0.type=Python/GTK3")
			})
			cmd.Process.Kill()
			<-done
			WaitFor(t, "the client to leave", func() bool {
				info, _ := e.Run("info", fmt.Sprintf(":%d", n))
				return strings.Contains(info, "clients.count=0")
			})
		})
	}
	logb := e.LogOf(n)
	for _, want := range []string{"transport=tcp", "transport=ssl", "transport=ws"} {
		if !strings.Contains(logb, want) {
			t.Errorf("the log does not show %s listening:\n%s", want, Tail(logb, 40))
		}
	}
}

// TestTransportAuthWiring: each socket type uses its own --X-auth, a tcp
// port upgraded to TLS falls back to --tcp-auth, and a wrong password is
// refused everywhere.
func TestTransportAuthWiring(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	certs := testCerts(t, e.Home)
	tcp, ssl, ws := suite.FreePort(t), suite.FreePort(t), suite.FreePort(t)
	n := e.Start("--plugin-dir="+suite.PluginDir,
		fmt.Sprintf("--bind-tcp=127.0.0.1:%d", tcp), fmt.Sprintf("--bind-ssl=127.0.0.1:%d", ssl), fmt.Sprintf("--bind-ws=127.0.0.1:%d", ws),
		"--ssl-cert="+certs.Cert, "--ssl-key="+certs.Key, "--ssl-client-verify-mode=none",
		"--tcp-auth=password:value=tcp-pw", "--ssl-auth=password:value=ssl-pw", "--ws-auth=password:value=ws-pw")
	// xpra sends the file's bytes as they are: no newline.
	pw := func(name, v string) string {
		p := filepath.Join(e.Home, name)
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tcpPW, sslPW, wsPW := pw("tcp", "tcp-pw"), pw("ssl", "ssl-pw"), pw("ws", "ws-pw")
	for _, tc := range []struct {
		name, uri   string
		good        string
		bad         []string
		extra       []string
		socketShown string
	}{
		{"tcp", fmt.Sprintf("tcp://127.0.0.1:%d/", tcp), tcpPW, []string{sslPW, wsPW}, nil, "tcp"},
		{"ssl", fmt.Sprintf("ssl://127.0.0.1:%d/", ssl), sslPW, []string{tcpPW, wsPW}, []string{"--ssl-ca-certs=" + certs.CA}, "ssl"},
		{"ws", fmt.Sprintf("ws://127.0.0.1:%d/", ws), wsPW, []string{tcpPW, sslPW}, nil, "ws"},
		// TLS on the tcp port is an ssl connection: --ssl-auth applies.
		{"ssl-on-tcp", fmt.Sprintf("ssl://127.0.0.1:%d/", tcp), sslPW, []string{tcpPW}, []string{"--ssl-ca-certs=" + certs.CA}, "ssl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"info", tc.uri, "--password-file=" + tc.good}, tc.extra...)
			out, err := e.xpra(40*time.Second, args...)
			if err != nil || !strings.Contains(out, "server.type=xroam") {
				t.Errorf("right password: %v\n%s", err, Tail(out, 2000))
			}
			for _, b := range tc.bad {
				args := append([]string{"info", tc.uri, "--password-file=" + b}, tc.extra...)
				out, err := e.xpra(40*time.Second, args...)
				// xpra 3.1.3 exits 0 when a websocket closes cleanly, so
				// only its message tells.
				if strings.Contains(out, "server.type=xroam") || !strings.Contains(out, "authentication failed") {
					t.Errorf("wrong password %s accepted: %v\n%s", filepath.Base(b), err, Tail(out, 2000))
				}
			}
		})
	}
	// The unix socket has no --auth.
	e.MustRun("info", fmt.Sprintf(":%d", n))
	logb := e.LogOf(n)
	if !strings.Contains(logb, "authentication failed") {
		t.Errorf("failed attempts are not logged")
	}
}

// TestTransportWithoutAuthBeyondLoopback: a network bind beyond loopback
// needs its socket type's authentication.
func TestTransportWithoutAuthBeyondLoopback(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	out, code := e.Run("start", "--daemon=no", "--plugin-dir="+suite.PluginDir, fmt.Sprintf("--bind-ws=0.0.0.0:%d", suite.FreePort(t)))
	if code != 1 || !strings.Contains(out, "--ws-auth") || !strings.Contains(out, "beyond this machine") {
		t.Errorf("ws on all interfaces without --ws-auth: exit %d, %q", code, out)
	}
	out, code = e.Run("start", "--daemon=no", "--plugin-dir="+suite.PluginDir, fmt.Sprintf("--bind-ssl=127.0.0.1:%d", suite.FreePort(t)))
	if code != 1 || !strings.Contains(out, "ssl-cert") {
		t.Errorf("ssl without a certificate: exit %d, %q", code, out)
	}
}

// TestTransportPluginCrash kills the ws transport plugin: its client is
// dropped, the session and its application live on, and once the host
// has restarted the plugin a new client gets in on the same port.
func TestTransportPluginCrash(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	ws := suite.FreePort(t)
	n := e.Start("--plugin-dir="+suite.PluginDir, "--start=xterm -T ws-survivor", fmt.Sprintf("--bind-ws=127.0.0.1:%d", ws))
	WaitWindow(t, n, "ws-survivor")
	uri := fmt.Sprintf("ws://127.0.0.1:%d/", ws)
	cd := ClientDisplay(t)
	_, _, done := e.xpraAttach(cd, uri)
	WaitFor(t, "the ws client to attach", func() bool {
		info, _ := e.Run("info", fmt.Sprintf(":%d", n))
		return strings.Contains(info, "clients.0.type=Python/GTK3")
	})
	old := e.PluginPid(n, "xroam-transport-ws")
	if old == 0 {
		t.Fatal("the ws transport is not running as a subprocess")
	}
	syscall.Kill(old, syscall.SIGKILL)
	WaitFor(t, "the ws client to be dropped", func() bool {
		info, _ := e.Run("info", fmt.Sprintf(":%d", n))
		return strings.Contains(info, "clients.count=0")
	})
	// The unix socket and the application are untouched.
	out := e.MustRun("info", fmt.Sprintf(":%d", n))
	if !strings.Contains(out, "windows.0.title=ws-survivor") {
		t.Errorf("the application did not survive:\n%s", out)
	}
	WaitFor(t, "the plugin to be restarted", func() bool {
		p := e.PluginPid(n, "xroam-transport-ws")
		return p != 0 && p != old
	})
	WaitFor(t, "a new ws connection to work", func() bool {
		out, err := e.xpra(30*time.Second, "info", uri)
		return err == nil && strings.Contains(out, "windows.0.title=ws-survivor")
	})
	select {
	case <-done:
	case <-time.After(time.Second):
		// xpra's client may try to reconnect: it is killed at cleanup.
	}
}

// TestBindVsock: --bind-vsock is served by the vsock plugin (the
// connection itself needs the vsock_loopback module, which the plugin's
// own conformance test uses when it is there), and a bad address or a
// missing --vsock-auth stops the start with a clear message.
func TestBindVsock(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	if _, err := os.Stat("/dev/vsock"); err != nil {
		t.Skip("no /dev/vsock here: modprobe vsock")
	}
	out, code := e.Run("start", "--daemon=no", "--plugin-dir="+suite.PluginDir, "--bind-vsock=nonsense", "--vsock-auth=allow")
	if code != 1 || !strings.Contains(out, "CID:PORT") {
		t.Errorf("bad vsock address: exit %d, %q", code, out)
	}
	out, code = e.Run("start", "--daemon=no", "--plugin-dir="+suite.PluginDir, "--bind-vsock=any:0")
	if code != 1 || !strings.Contains(out, "add --vsock-auth") {
		t.Errorf("vsock without --vsock-auth: exit %d, %q", code, out)
	}
	n := e.Start("--plugin-dir="+suite.PluginDir, "--bind-vsock=any:0", "--vsock-auth=allow")
	logb := e.LogOf(n)
	if !strings.Contains(logb, "vsock=any:") || !strings.Contains(logb, "transport=vsock") {
		t.Errorf("the log does not show the vsock socket:\n%s", Tail(logb, 2000))
	}
	if e.PluginPid(n, "xroam-transport-vsock") == 0 {
		t.Error("the vsock transport is not running as a subprocess")
	}
}

// TestTCPProxy: with --tcp-proxy, a tcp port is shared with a real web
// server on loopback: requests reach it and its answers (a body it
// echoes, byte for byte) come back, while Debian's xpra client and
// xroam info on the same port still get the session. Once the web
// server is gone, such a connection is closed with the reason logged,
// and the session carries on.
func TestTCPProxy(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	web, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			io.Copy(w, r.Body)
			return
		}
		io.WriteString(w, "the web server behind "+r.URL.Path)
	})}
	go srv.Serve(web)
	defer srv.Close()
	tcp := suite.FreePort(t)
	n := e.Start("--plugin-dir="+suite.PluginDir, "--start=xterm -T proxied-app", "--html=off",
		fmt.Sprintf("--bind-tcp=127.0.0.1:%d", tcp), "--tcp-proxy="+web.Addr().String())
	WaitWindow(t, n, "proxied-app")
	base := fmt.Sprintf("http://127.0.0.1:%d", tcp)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

	resp, err := hc.Get(base + "/index.html")
	if err != nil {
		t.Fatalf("GET through the shared port: %v\n%s", err, Tail(e.LogOf(n), 30))
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "the web server behind /index.html" {
		t.Errorf("GET through the shared port: %q", body)
	}
	payload := bytes.Repeat([]byte{0, 1, 2, 0xff, 'P', '\n'}, 200000)
	resp, err = hc.Post(base+"/echo", "application/octet-stream", bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("POST through the shared port: %v", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(body, payload) {
		t.Errorf("POST of %d bytes came back as %d bytes, or changed", len(payload), len(body))
	}

	uri := fmt.Sprintf("tcp://127.0.0.1:%d/", tcp)
	if out, code := e.Run("info", uri); code != 0 || !strings.Contains(out, "server.type=xroam") {
		t.Errorf("xroam info on the shared port: exit %d\n%s", code, Tail(out, 20))
	}
	cd := ClientDisplay(t)
	cmd, _, done := e.xpraAttach(cd, uri)
	WaitWindowOn(t, cd, "the xterm on the xpra client's display", func(w x11.WindowInfo) bool {
		return w.Mapped && strings.Contains(w.Title, "proxied-app")
	})
	cmd.Process.Kill()
	<-done

	// The web server goes away: the next request is closed unanswered.
	srv.Close()
	if resp, err := hc.Get(base + "/gone"); err == nil {
		resp.Body.Close()
		t.Errorf("a request with the proxy target gone was answered: %s", resp.Status)
	}
	defer func() {
		if t.Failed() {
			t.Logf("server log:\n%s", Tail(e.LogOf(n), 4000))
		}
	}()
	WaitFor(t, "the failed forward to be logged", func() bool {
		return strings.Contains(e.LogOf(n), "the --tcp-proxy target cannot be reached")
	})
	if out, code := e.Run("info", uri); code != 0 || !strings.Contains(out, "windows.0.title=proxied-app") {
		t.Errorf("the session after a failed forward: exit %d\n%s", code, Tail(out, 20))
	}
}

// TestMinPortOption: a bind below --min-port (1024 by default) stops the
// start with the option and its value named, before any X server runs;
// a lower --min-port lets the port through.
func TestMinPortOption(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bind-tcp=127.0.0.1:80"}, "--bind-tcp=127.0.0.1:80: port 80 is below --min-port=1024"},
		{[]string{"--bind-quic=127.0.0.1:443"}, "--bind-quic=127.0.0.1:443: port 443 is below --min-port=1024"},
		{[]string{"--min-port=20000", fmt.Sprintf("--bind-ws=127.0.0.1:%d", 19999)}, "--bind-ws=127.0.0.1:19999: port 19999 is below --min-port=20000"},
	} {
		out, code := e.Run(append([]string{"start", "--daemon=no", "--plugin-dir=" + suite.PluginDir}, tc.args...)...)
		if code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, %q, want %q", tc.args, code, out, tc.want)
		}
		if strings.Contains(out, "Xvfb") {
			t.Errorf("%v: an X server was started before the bind was checked:\n%s", tc.args, out)
		}
	}
	// Port 0 and ports at or above the minimum are served.
	tcp := suite.FreePort(t)
	n := e.Start("--plugin-dir="+suite.PluginDir, "--min-port=1", fmt.Sprintf("--bind-tcp=127.0.0.1:%d", tcp), "--bind-ws=127.0.0.1:0")
	if out, code := e.Run("info", fmt.Sprintf("tcp://127.0.0.1:%d/", tcp)); code != 0 || !strings.Contains(out, "server.type=xroam") {
		t.Errorf("info on --bind-tcp=127.0.0.1:%d: exit %d\n%s", tcp, code, Tail(out, 20))
	}
	if !strings.Contains(e.LogOf(n), "transport=ws") {
		t.Errorf("--bind-ws=127.0.0.1:0 is not listening:\n%s", Tail(e.LogOf(n), 30))
	}
}
