package modules

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/xroam/xroam/sdk/plugintest"
	"github.com/xroam/xroam/sdk/schema"
	"github.com/xroam/xroam/sdk/transport"
	"github.com/xroam/xroam/sdk/transport/quicconn"
)

func quicDialer(cc *tls.Config, alpn string) plugintest.Dialer {
	cc = cc.Clone()
	cc.NextProtos = []string{alpn}
	return func(ctx context.Context, addr string) (net.Conn, error) {
		c, err := quic.DialAddr(ctx, addr, cc, quicconn.Config(5*time.Second))
		if err != nil {
			return nil, err
		}
		s, err := c.OpenStreamSync(ctx)
		if err != nil {
			c.CloseWithError(0, "")
			return nil, err
		}
		return quicconn.New(c, s, 0), nil
	}
}

func TestConformanceQUIC(t *testing.T) {
	cfg, cc := tlsSetup(t)
	plugintest.TransportConformance(t, QUIC(), cfg, transport.Bind{SocketType: QUICSocketType, Address: "127.0.0.1:0"}, quicDialer(cc, quicconn.ALPN))
}

// TestQUICRefusals: no certificate, another socket type and another
// ALPN are refused.
func TestQUICRefusals(t *testing.T) {
	if _, err := newQUIC(schemaValues(t, map[string]any{})); err == nil || !strings.Contains(err.Error(), "ssl-cert") {
		t.Errorf("no certificate: %v", err)
	}
	cfg, cc := tlsSetup(t)
	tr, err := newQUIC(schemaValues(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := tr.Listen(ctx, &transport.ListenRequest{Binds: []transport.Bind{{SocketType: transport.TCP, Address: "127.0.0.1:0"}}}, nil); err == nil {
		t.Errorf("a tcp bind was accepted")
	}
	resp, err := tr.Listen(ctx, &transport.ListenRequest{Binds: []transport.Bind{{SocketType: QUICSocketType, Address: "127.0.0.1:0"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quicDialer(cc, "h3")(ctx, resp.Addresses[0]); err == nil {
		t.Errorf("a connection with ALPN h3 was accepted")
	}
}

func schemaValues(t *testing.T, in map[string]any) schema.Values {
	t.Helper()
	v, err := commonSchema().Check(in)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
