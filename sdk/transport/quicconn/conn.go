package quicconn

import (
	"net"
	"time"

	"github.com/quic-go/quic-go"
)

// Conn is one QUIC stream as a net.Conn; closing it closes the
// whole QUIC connection, which carries nothing else.
type Conn struct {
	*quic.Stream
	c *quic.Conn
	// linger is how long Close waits for the peer to close the
	// connection, so that what was written still reaches it (closing a
	// QUIC connection drops unsent stream data).
	linger time.Duration
}

// New wraps stream s of connection c; Close waits up to
// linger for the peer to hang up first.
func New(c *quic.Conn, s *quic.Stream, linger time.Duration) *Conn {
	return &Conn{Stream: s, c: c, linger: linger}
}

// CloseWrite ends the sending half (a FIN), as TCP's does.
func (s *Conn) CloseWrite() error { return s.Stream.Close() }

// Close ends the stream and its connection.
func (s *Conn) Close() error {
	_ = s.Stream.Close()
	if s.linger > 0 {
		t := time.NewTimer(s.linger)
		select {
		case <-s.c.Context().Done():
		case <-t.C:
		}
		t.Stop()
	}
	s.Stream.CancelRead(0)
	return s.c.CloseWithError(0, "")
}

// LocalAddr implements net.Conn.
func (s *Conn) LocalAddr() net.Addr { return s.c.LocalAddr() }

// RemoteAddr implements net.Conn.
func (s *Conn) RemoteAddr() net.Addr { return s.c.RemoteAddr() }
