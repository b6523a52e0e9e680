package pluginhost_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/core/tlstest"
	"github.com/xroam/xroam/sdk/transport"
)

// acceptOne waits for the next handed connection.
func acceptOne(t *testing.T, l *pluginhost.Listener) *pluginhost.HandedConn {
	t.Helper()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := l.Accept()
		ch <- res{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("accept: %v", r.err)
		}
		hc, ok := r.c.(*pluginhost.HandedConn)
		if !ok {
			t.Fatalf("accepted a %T", r.c)
		}
		t.Cleanup(func() { hc.Close() })
		return hc
	case <-time.After(30 * time.Second):
		t.Fatal("no connection handed over")
	}
	return nil
}

// echoes checks that bytes flow both ways between the peer and the core.
func echoes(t *testing.T, peer io.ReadWriter, core net.Conn) {
	t.Helper()
	// xpra's packets start with 'P': the tcp transport hands those over.
	msg := []byte("P\x00\x00\x00hello from the peer")
	if _, err := peer.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	_ = core.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(core, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("core read %q, %v", got, err)
	}
	reply := []byte("reply from the core")
	if _, err := core.Write(reply); err != nil {
		t.Fatal(err)
	}
	got = make([]byte, len(reply))
	if _, err := io.ReadFull(peer, got); err != nil || !bytes.Equal(got, reply) {
		t.Fatalf("peer read %q, %v", got, err)
	}
}

func listen(t *testing.T, h *pluginhost.Host, name string, opts map[string][]string, binds ...transport.Bind) *pluginhost.Listener {
	t.Helper()
	l, err := h.Transport(testCtx(t), pluginhost.Spec{Name: name, Options: opts}, transport.ListenRequest{Binds: binds})
	if err != nil {
		t.Fatalf("transport %s: %v", name, err)
	}
	t.Cleanup(func() { l.Close() })
	if n := len(l.Addresses()); n != len(binds) {
		t.Fatalf("%d addresses bound for %d binds", n, len(binds))
	}
	return l
}

// TestTransportTCPHandsOverTheSocket: the tcp plugin subprocess hands the
// accepted socket itself to the core, which sees the real peer.
func TestTransportTCPHandsOverTheSocket(t *testing.T) {
	h := newHost(t, nil)
	l := listen(t, h, "tcp", nil, transport.Bind{SocketType: transport.TCP, Address: "127.0.0.1:0"})
	peer, err := net.Dial("tcp", l.Addresses()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	go peer.Write([]byte("P"))
	c := acceptOne(t, l)
	if c.Meta.SocketType != transport.TCP || c.Meta.Mode != transport.ModeFD || c.RemoteAddr().String() != peer.LocalAddr().String() {
		t.Errorf("meta %+v, peer %s", c.Meta, peer.LocalAddr())
	}
	if c.LocalAddr().Network() != "tcp" {
		t.Errorf("local network %q", c.LocalAddr().Network())
	}
	// The core holds the very socket: the 'P' written above is there.
	one := make([]byte, 1)
	if _, err := io.ReadFull(c, one); err != nil || one[0] != 'P' {
		t.Fatalf("first byte %q %v", one, err)
	}
	echoes(t, peer, c)
	st := statusOf(t, h, "transport", "tcp")
	if st.Builtin || st.PID == 0 {
		t.Errorf("the tcp transport is not a subprocess: %+v", st)
	}
}

// TestTransportBuiltinTCP: with no binary installed the built-in runs
// through the same handoff socket.
func TestTransportBuiltinTCP(t *testing.T) {
	h := newHost(t, func(o *pluginhost.Options) { o.Dirs = nil })
	l := listen(t, h, "tcp", nil, transport.Bind{SocketType: transport.TCP, Address: "127.0.0.1:0"})
	peer, err := net.Dial("tcp", l.Addresses()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	c := acceptOne(t, l)
	if c.Meta.Mode != transport.ModeFD || c.RemoteAddr().String() != peer.LocalAddr().String() {
		t.Errorf("meta %+v", c.Meta)
	}
	echoes(t, peer, c)
	if st := statusOf(t, h, "transport", "tcp"); !st.Builtin {
		t.Errorf("expected the built-in: %+v", st)
	}
}

func statusOf(t testing.TB, h *pluginhost.Host, kind, name string) pluginhost.Status {
	t.Helper()
	for _, s := range h.Status() {
		if s.Kind == kind && s.Name == name {
			return s
		}
	}
	t.Fatalf("no status for %s %s in %+v", kind, name, h.Status())
	return pluginhost.Status{}
}

func tlsFiles(t testing.TB) (tlstest.Files, *tls.Config) {
	t.Helper()
	f, err := tlstest.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := os.ReadFile(f.CA)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return f, &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

// TestTransportSSLRelaysAndRestarts: the ssl plugin relays the decrypted
// stream; killing it drops its connection, and after the host restarts
// it the same address takes new ones.
func TestTransportSSLRelaysAndRestarts(t *testing.T) {
	files, cc := tlsFiles(t)
	h := newHost(t, func(o *pluginhost.Options) {
		o.HealthInterval = 200 * time.Millisecond
		o.Backoff = pluginhost.ExponentialBackoff(50*time.Millisecond, time.Second)
	})
	opts := map[string][]string{"ssl_cert": {files.Cert}, "ssl_key": {files.Key}, "ssl_client_verify_mode": {"none"}}
	l := listen(t, h, "ssl", opts, transport.Bind{SocketType: transport.SSL, Address: "127.0.0.1:0"})
	addr := l.Addresses()[0]
	peer, err := tls.Dial("tcp", addr, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	go peer.Write([]byte{})
	c := acceptOne(t, l)
	if c.Meta.SocketType != transport.SSL || c.Meta.Mode != transport.ModeRelay || c.RemoteAddr().String() != peer.LocalAddr().String() {
		t.Errorf("meta %+v", c.Meta)
	}
	echoes(t, peer, c)

	old := statusOf(t, h, "transport", "ssl").PID
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// The relayed connection ends with its plugin.
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the relayed connection outlived its plugin")
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := statusOf(t, h, "transport", "ssl")
		if st.State == pluginhost.StateRunning && st.PID != old {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not restarted: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := l.Addresses()[0]; got != addr {
		t.Errorf("restarted on %s, was %s", got, addr)
	}
	peer2, err := tls.Dial("tcp", addr, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer peer2.Close()
	echoes(t, peer2, acceptOne(t, l))
}

// TestTransportTCPUpgrades: one tcp port takes xpra's protocol, TLS and
// websocket, each reported with the socket type whose auth applies.
func TestTransportTCPUpgrades(t *testing.T) {
	files, cc := tlsFiles(t)
	www := t.TempDir()
	os.WriteFile(www+"/index.html", []byte("<html>xroam test page</html>"), 0o644)
	h := newHost(t, nil)
	opts := map[string][]string{"ssl_cert": {files.Cert}, "ssl_key": {files.Key}, "html": {www}}
	l := listen(t, h, "tcp", opts, transport.Bind{SocketType: transport.TCP, Address: "127.0.0.1:0"})
	addr := l.Addresses()[0]

	sp, err := tls.Dial("tcp", addr, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	go sp.Write([]byte("P"))
	c := acceptOne(t, l)
	if c.Meta.SocketType != transport.SSL || c.Meta.BindType != transport.TCP {
		t.Errorf("TLS on tcp: meta %+v", c.Meta)
	}
	c.Read(make([]byte, 1))
	echoes(t, sp, c)

	resp, err := http.Get("http://" + addr + "/index.html")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "xroam test page") {
		t.Errorf("HTTP on tcp: %d %q", resp.StatusCode, body)
	}

	d := websocket.Dialer{Subprotocols: []string{"binary"}, TLSClientConfig: cc}
	ws, _, err := d.Dial("wss://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if ws.Subprotocol() != "binary" {
		t.Errorf("subprotocol %q", ws.Subprotocol())
	}
	ws.WriteMessage(websocket.BinaryMessage, []byte("P\x00abc"))
	c = acceptOne(t, l)
	if c.Meta.SocketType != transport.WSS || c.Meta.BindType != transport.TCP || c.Meta.Mode != transport.ModeRelay {
		t.Errorf("wss on tcp: meta %+v", c.Meta)
	}
	got := make([]byte, 5)
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "P\x00abc" {
		t.Fatalf("core read %q %v", got, err)
	}
	c.Write([]byte("answer"))
	ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, m, err := ws.ReadMessage(); err != nil || string(m) != "answer" {
		t.Fatalf("websocket read %q %v", m, err)
	}
}

func TestTransportRefusesBadConfig(t *testing.T) {
	h := newHost(t, nil)
	ctx := testCtx(t)
	_, err := h.Transport(ctx, pluginhost.Spec{Name: "ssl"}, transport.ListenRequest{Binds: []transport.Bind{{SocketType: transport.SSL, Address: "127.0.0.1:0"}}})
	if err == nil || !strings.Contains(err.Error(), "ssl-cert") {
		t.Errorf("ssl without a certificate: %v", err)
	}
	_, err = h.Transport(ctx, pluginhost.Spec{Name: "tcp"}, transport.ListenRequest{Binds: []transport.Bind{{SocketType: transport.WS, Address: "127.0.0.1:0"}}})
	if err == nil || !strings.Contains(err.Error(), "does not listen on ws") {
		t.Errorf("ws bind on tcp: %v", err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, err = h.Transport(ctx, pluginhost.Spec{Name: "tcp"}, transport.ListenRequest{Binds: []transport.Bind{{SocketType: transport.TCP, Address: busy.Addr().String()}}})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("busy port: %v", err)
	}
}
