package modules

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/sdk/plugintest"
	"github.com/xroam/xroam/sdk/transport"
)

// echoServer is a loopback TCP server that sends back what it reads, and
// half-closes when its peer does.
func echoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
				c.(*net.TCPConn).CloseWrite()
			}()
		}
	}()
	return l.Addr().String()
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

func TestClassify(t *testing.T) {
	plain := tcpPolicy{tls: true, http: true}
	proxy := tcpPolicy{tls: true, proxy: true}
	proxyHTML := tcpPolicy{tls: true, http: true, proxy: true}
	noTLS := tcpPolicy{proxy: true}
	for _, tc := range []struct {
		name string
		pol  tcpPolicy
		peek string
		want route
	}{
		{"silence", proxy, "", routeCore},
		{"xpra", proxy, "P\x01", routeCore},
		{"xpra, one byte seen", proxy, "P", routeCore},
		{"xpra rencodeplus", proxy, "P\x10", routeCore},
		{"tls", proxy, "\x16\x03", routeTLS},
		{"tls without a certificate", noTLS, "\x16\x03", routeProxy},
		{"GET, no HTML5 client", proxy, "G", routeProxy},
		{"GET, HTML5 client served", proxyHTML, "GET /", routeHTTP},
		{"GET, peer stopped short", proxyHTML, "GE", routeHTTP},
		{"HELO is not HEAD", proxyHTML, "HELO ", routeProxy},
		{"OPTIONS", proxyHTML, "OPTIONS ", routeHTTP},
		{"OPTIONAL", proxyHTML, "OPTIONAL", routeProxy},
		{"POST", proxyHTML, "PO", routeProxy},
		{"PUT", proxy, "PU", routeProxy},
		{"ssh", proxy, "S", routeProxy},
		{"binary", proxy, "\x00", routeProxy},
		{"no proxy: GET", plain, "G", routeHTTP},
		{"no proxy: anything", plain, "S", routeCore},
		{"no proxy: POST", plain, "PO", routeCore},
	} {
		if got := tc.pol.classify([]byte(tc.peek)); got != tc.want {
			t.Errorf("%s: %q routes to %d, want %d", tc.name, tc.peek, got, tc.want)
		}
	}
	for _, tc := range []struct {
		pol   tcpPolicy
		first byte
		want  int
	}{
		{proxy, 'P', 2}, {proxy, 'G', 1}, {proxy, 'S', 1}, {plain, 'P', 1}, {plain, 'G', 1},
		{proxyHTML, 'G', 4}, {proxyHTML, 'H', 5}, {proxyHTML, 'O', 8}, {proxyHTML, 'P', 2},
	} {
		if got := tc.pol.peekWant(tc.first); got != tc.want {
			t.Errorf("%+v wants %d bytes after %q, want %d", tc.pol, got, tc.first, tc.want)
		}
	}
}

// FuzzClassify: any first bytes get a route, xpra's header always goes
// to the core, and without a proxy nothing is forwarded.
func FuzzClassify(f *testing.F) {
	f.Add([]byte("P\x01\x01\x00"), true, true, true)
	f.Add([]byte("POST / HTTP/1.1\r\n"), false, true, true)
	f.Add([]byte("\x16\x03\x01"), true, false, true)
	f.Add([]byte("SSH-2.0-"), false, false, false)
	f.Add([]byte{}, true, true, true)
	f.Fuzz(func(t *testing.T, peek []byte, tlsOn, httpOn, proxyOn bool) {
		p := tcpPolicy{tls: tlsOn, http: httpOn, proxy: proxyOn}
		if len(peek) > 0 {
			peek = peek[:min(len(peek), p.peekWant(peek[0]))]
		}
		r := p.classify(peek)
		if r < routeCore || r > routeProxy {
			t.Fatalf("route %d", r)
		}
		if !proxyOn && r == routeProxy {
			t.Fatalf("%q forwarded without a proxy", peek)
		}
		if len(peek) == 2 && peek[0] == 'P' && peek[1] < 0x20 && r != routeCore {
			t.Fatalf("xpra header %q routed to %d", peek, r)
		}
		if len(peek) > 0 && p.peekWant(peek[0]) < 1 {
			t.Fatal("peekWant below 1")
		}
	})
}

// proxyHarness serves the tcp transport with cfg and returns it and its
// bound address.
func proxyHarness(t *testing.T, cfg map[string]any) (*plugintest.TransportHarness, string) {
	t.Helper()
	h := plugintest.Transport(t, TCP(), cfg)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	resp, err := h.Listen(ctx, transport.Bind{SocketType: transport.TCP, Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	return h, resp.Addresses[0]
}

// roundTrip sends msg, half-closes, and returns all that comes back.
func roundTrip(t *testing.T, addr string, msg []byte) []byte {
	t.Helper()
	got, err := exchange(t, addr, msg)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return got
}

// exchange sends msg, half-closes, and reads until the end.
func exchange(t *testing.T, addr string, msg []byte) ([]byte, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	return io.ReadAll(c)
}

// TestTCPProxyForwards: with tcp_proxy, bytes that are not xpra's reach
// a real echo server and come back, both ways and whole, while xpra's
// header still reaches the core on the same port.
func TestTCPProxyForwards(t *testing.T) {
	echo := echoServer(t)
	h, addr := proxyHarness(t, map[string]any{AttrHTML: "off", AttrTCPProxy: echo})
	big := bytes.Repeat([]byte("not xpra, forwarded byte for byte\x00\xff\n"), 1<<14)
	for _, msg := range [][]byte{[]byte("SSH-2.0-OpenSSH_9.2\r\n"), []byte("GET / HTTP/1.0\r\n\r\n"), []byte("POST /x HTTP/1.0\r\n\r\n"), big} {
		if got := roundTrip(t, addr, msg); !bytes.Equal(got, msg) {
			t.Errorf("sent %d bytes starting %q, the echo gave back %d starting %q", len(msg), msg[:min(len(msg), 12)], len(got), got[:min(len(got), 12)])
		}
	}
	// xpra's protocol on the same port goes to the core.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := []byte("P\x01\x00\x00\x00\x00\x00\x05hello")
	go c.Write(msg)
	meta, core, err := h.Accept(30 * time.Second)
	if err != nil {
		t.Fatalf("the xpra connection was not handed to the core: %v", err)
	}
	defer core.Close()
	got := make([]byte, len(msg))
	_ = core.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(core, got); err != nil || !bytes.Equal(got, msg) || meta.SocketType != transport.TCP {
		t.Errorf("core got %q (%v), meta %+v", got, err, meta)
	}
}

// TestTCPProxyUnreachable: a target that refuses closes the client's
// connection, and the transport goes on serving.
func TestTCPProxyUnreachable(t *testing.T) {
	h, addr := proxyHarness(t, map[string]any{AttrHTML: "off", AttrTCPProxy: closedPort(t)})
	// The connection is closed with its bytes unread: an end of file
	// or a reset, never an answer.
	if got, err := exchange(t, addr, []byte("hello?")); len(got) != 0 {
		t.Errorf("got %q (%v) from an unreachable target", got, err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go c.Write([]byte("P\x01\x00\x00\x00\x00\x00\x00"))
	if _, core, err := h.Accept(30 * time.Second); err != nil {
		t.Fatalf("after a failed forward, xpra's protocol no longer reaches the core: %v", err)
	} else {
		core.Close()
	}
}

// TestTCPProxyHTTPAndTLS: with the HTML5 client served, GET is answered
// here and only other bytes are forwarded; TLS is terminated here and
// what it carries is classified the same way.
func TestTCPProxyHTTPAndTLS(t *testing.T) {
	echo := echoServer(t)
	www := t.TempDir()
	if err := os.WriteFile(filepath.Join(www, "index.html"), []byte("the html5 client"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, cc := tlsSetup(t)
	cfg[AttrHTML] = www
	cfg[AttrTCPProxy] = echo
	cfg[AttrSSLClientVerify] = "none"
	h, addr := proxyHarness(t, cfg)
	resp, err := http.Get("http://" + addr + "/index.html")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "the html5 client" {
		t.Errorf("GET with the HTML5 client served: %q", body)
	}
	if got := roundTrip(t, addr, []byte("HELO example\r\n")); string(got) != "HELO example\r\n" {
		t.Errorf("non-HTTP bytes: %q", got)
	}

	tc, err := tls.Dial("tcp", addr, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := tc.Write([]byte("inside TLS\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(tc).ReadString('\n')
	if err != nil || line != "inside TLS\n" {
		t.Errorf("TLS-wrapped non-xpra bytes: %q, %v", line, err)
	}
	tx, err := tls.Dial("tcp", addr, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	go tx.Write([]byte("P\x01\x00\x00\x00\x00\x00\x00"))
	if meta, core, err := h.Accept(30 * time.Second); err != nil {
		t.Fatalf("xpra inside TLS did not reach the core: %v", err)
	} else {
		core.Close()
		if meta.SocketType != transport.SSL {
			t.Errorf("xpra inside TLS: meta %+v", meta)
		}
	}
}

// TestTCPProxyConfig: the built-in, which reads nothing, refuses a
// proxy rather than ignoring it, and a bad address is refused.
func TestTCPProxyConfig(t *testing.T) {
	for _, tc := range []struct {
		plain bool
		proxy string
		want  string
	}{
		{true, "127.0.0.1:80", "xroam-transport-tcp"},
		{false, "nocolon", "HOST:PORT"},
	} {
		vals, err := tcpSchema().Check(map[string]any{AttrTCPProxy: tc.proxy, AttrHTML: "off"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := newEngine("tcp", []string{transport.TCP}, tc.plain, vals); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("plain=%v tcp_proxy=%q: %v, want %q", tc.plain, tc.proxy, err, tc.want)
		}
	}
	// Only the tcp transport takes the attribute.
	if _, err := SSL().Describe().Schema.Check(map[string]any{AttrTCPProxy: "127.0.0.1:80"}); err == nil {
		t.Error("the ssl transport accepted tcp_proxy")
	}
}
