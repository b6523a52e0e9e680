package dial

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/xroam/xroam/sdk/transport"
)

// dialQUIC opens a QUIC connection with the TLS checks of ssl:// and
// carries xpra's protocol on its first stream.
func dialQUIC(ctx context.Context, t Target) (net.Conn, error) {
	cfg, err := clientTLSConfig(t)
	if err != nil {
		return nil, err
	}
	cfg.NextProtos = []string{transport.QUICALPN}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	qc := &quic.Config{HandshakeIdleTimeout: 10 * time.Second, MaxIdleTimeout: transport.QUICIdleTimeout, KeepAlivePeriod: transport.QUICKeepAlive}
	c, err := quic.DialAddr(dctx, t.Address, cfg, qc)
	if err != nil {
		return nil, err
	}
	s, err := c.OpenStreamSync(dctx)
	if err != nil {
		_ = c.CloseWithError(0, "")
		return nil, fmt.Errorf("opening the QUIC stream: %w", err)
	}
	return &quicConn{Stream: s, c: c}, nil
}

// quicConn is the client's QUIC stream as a net.Conn; closing it closes
// the whole QUIC connection, which carries nothing else. The quic
// transport plugin has its own (it lingers on close for the client to
// hang up first); the core does not import plugins.
type quicConn struct {
	*quic.Stream
	c *quic.Conn
}

// CloseWrite ends the sending half (a FIN), as TCP's does.
func (s *quicConn) CloseWrite() error { return s.Stream.Close() }

// Close ends the stream and its connection.
func (s *quicConn) Close() error {
	_ = s.Stream.Close()
	s.Stream.CancelRead(0)
	return s.c.CloseWithError(0, "")
}

// LocalAddr implements net.Conn.
func (s *quicConn) LocalAddr() net.Addr { return s.c.LocalAddr() }

// RemoteAddr implements net.Conn.
func (s *quicConn) RemoteAddr() net.Addr { return s.c.RemoteAddr() }
