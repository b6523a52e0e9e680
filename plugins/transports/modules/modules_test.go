package modules

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/xroam/xroam/core/tlstest"
	"github.com/xroam/xroam/sdk/plugintest"
	"github.com/xroam/xroam/sdk/transport"
)

func tlsSetup(t *testing.T) (map[string]any, *tls.Config) {
	t.Helper()
	f, err := tlstest.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := os.ReadFile(f.CA)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cfg := map[string]any{AttrSSLCert: f.Cert, AttrSSLKey: f.Key, AttrSSLCACerts: f.CA, AttrHTML: "off"}
	return cfg, &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

func TestConformanceTCP(t *testing.T) {
	var d net.Dialer
	plugintest.TransportConformance(t, TCP(), map[string]any{AttrHTML: "off"}, transport.Bind{SocketType: transport.TCP, Address: "127.0.0.1:0"},
		func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) })
}

func TestConformanceSSL(t *testing.T) {
	cfg, cc := tlsSetup(t)
	plugintest.TransportConformance(t, SSL(), cfg, transport.Bind{SocketType: transport.SSL, Address: "127.0.0.1:0"},
		func(ctx context.Context, addr string) (net.Conn, error) {
			d := tls.Dialer{Config: cc}
			return d.DialContext(ctx, "tcp", addr)
		})
}

func wsDialer(cc *tls.Config, scheme string) plugintest.Dialer {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		d := websocket.Dialer{Subprotocols: []string{"binary"}, TLSClientConfig: cc}
		ws, _, err := d.DialContext(ctx, scheme+"://"+addr+"/", nil)
		if err != nil {
			return nil, err
		}
		return &wsStream{ws: ws}, nil
	}
}

func TestConformanceWS(t *testing.T) {
	cfg, cc := tlsSetup(t)
	plugintest.TransportConformance(t, WS(), cfg, transport.Bind{SocketType: transport.WS, Address: "127.0.0.1:0"}, wsDialer(nil, "ws"))
	plugintest.TransportConformance(t, WS(), cfg, transport.Bind{SocketType: transport.WSS, Address: "127.0.0.1:0"}, wsDialer(cc, "wss"))
}

// TestClientCertificates: with ssl_client_verify_mode=required only a
// client holding a certificate from the CA gets through.
func TestClientCertificates(t *testing.T) {
	dir := t.TempDir()
	f, err := tlstest.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := os.ReadFile(f.CA)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	h := plugintest.Transport(t, SSL(), map[string]any{AttrSSLCert: f.Cert, AttrSSLKey: f.Key, AttrSSLCACerts: f.CA, AttrSSLClientVerify: "required"})
	resp, err := h.Listen(context.Background(), transport.Bind{SocketType: transport.SSL, Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	addr := resp.Addresses[0]
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err == nil {
		// TLS 1.3 reports the refusal on the first read.
		c.Write([]byte("P"))
		if _, err = c.Read(make([]byte, 1)); err == nil {
			t.Error("a client without a certificate got through")
		}
		c.Close()
	}
	cert, err := tls.LoadX509KeyPair(f.ClientCert, f.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err = tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost", Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go c.Write([]byte("P"))
	if meta, core, err := h.Accept(30e9); err != nil {
		t.Fatal(err)
	} else {
		core.Close()
		if meta.SocketType != transport.SSL {
			t.Errorf("meta %+v", meta)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{AttrSSL: "sometimes"}, "want auto"},
		{map[string]any{AttrSSL: "on"}, "needs a certificate"},
		{map[string]any{AttrSSLCert: "/nonexistent.pem"}, "nonexistent"},
		{map[string]any{AttrHTML: "/nonexistent"}, "not a directory"},
		{map[string]any{AttrSSLCiphers: "RC4-MD5"}, "unknown or insecure"},
	} {
		vals, err := commonSchema().Check(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := newEngine("tcp", []string{transport.TCP}, false, vals); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
