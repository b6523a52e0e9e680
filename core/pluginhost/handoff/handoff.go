package handoff

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/xroam/xroam/sdk/transport"
)

// socketTypes are the socket types a transport may report: each has its
// own --X-auth option.
var socketTypes = []string{transport.TCP, transport.SSL, transport.WS, transport.WSS, transport.Vsock, transport.QUIC}

// maxAddrLen bounds an address in a handoff header (a unix path is 108
// bytes, an IPv6 address with zone and port well under 100).
const maxAddrLen = 256

// maxSilentMillis bounds how long a transport may say it waited for a
// silent peer (a day: far beyond any handshake timeout).
const maxSilentMillis = 24 * 3600 * 1000

// DecodeMeta parses and checks the header of a handoff message. The bytes
// come from a plugin process that parses untrusted network data, so they
// are checked as untrusted too.
func DecodeMeta(b []byte) (transport.Meta, error) {
	if len(b) == 0 {
		return transport.Meta{}, errors.New("empty handoff header")
	}
	if len(b) > transport.MaxMetaSize {
		return transport.Meta{}, fmt.Errorf("handoff header of %d bytes exceeds %d", len(b), transport.MaxMetaSize)
	}
	var h struct {
		V int `json:"v"`
		transport.Meta
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return transport.Meta{}, fmt.Errorf("handoff header: %w", err)
	}
	if h.V != transport.MetaVersion {
		return transport.Meta{}, fmt.Errorf("handoff header version %d, this core reads %d", h.V, transport.MetaVersion)
	}
	m := h.Meta
	if !slices.Contains(socketTypes, m.SocketType) {
		return transport.Meta{}, fmt.Errorf("handoff header: unknown socket type %q", m.SocketType)
	}
	if m.BindType == "" {
		m.BindType = m.SocketType
	}
	if !slices.Contains(socketTypes, m.BindType) {
		return transport.Meta{}, fmt.Errorf("handoff header: unknown bind type %q", m.BindType)
	}
	if m.Mode != transport.ModeFD && m.Mode != transport.ModeRelay {
		return transport.Meta{}, fmt.Errorf("handoff header: unknown mode %q", m.Mode)
	}
	if m.SilentMillis < 0 || m.SilentMillis > maxSilentMillis {
		return transport.Meta{}, fmt.Errorf("handoff header: silent_ms %d out of range", m.SilentMillis)
	}
	for _, a := range []string{m.Peer, m.Local} {
		if len(a) > maxAddrLen || !utf8.ValidString(a) {
			return transport.Meta{}, errors.New("handoff header: address too long or not UTF-8")
		}
	}
	return m, nil
}

// ErrBad marks a malformed message: the receiver drops it and goes
// on, unlike a failure of the socket itself.
var ErrBad = errors.New("bad handoff message")

// Receive reads one handoff message and returns its connection. A
// malformed message (ErrBad) has had its descriptors closed.
func Receive(uc *net.UnixConn) (*Conn, error) {
	buf := make([]byte, transport.MaxMetaSize+1)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, flags, _, err := uc.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	if n == 0 && oobn == 0 {
		// A zero-length read on a SOCK_SEQPACKET socket is its end.
		return nil, net.ErrClosed
	}
	fds, ferr := parseRights(oob[:oobn])
	closeAll := func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}
	if ferr != nil {
		closeAll()
		return nil, fmt.Errorf("%w: %w", ErrBad, ferr)
	}
	if flags&(syscall.MSG_TRUNC|syscall.MSG_CTRUNC) != 0 {
		closeAll()
		return nil, fmt.Errorf("%w: truncated message", ErrBad)
	}
	if len(fds) != 1 {
		closeAll()
		return nil, fmt.Errorf("%w: %d descriptors attached, want 1", ErrBad, len(fds))
	}
	meta, err := DecodeMeta(buf[:n])
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("%w: %w", ErrBad, err)
	}
	c, err := connFromFD(fds[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBad, err)
	}
	return &Conn{Conn: c, Meta: meta}, nil
}

func parseRights(oob []byte) ([]int, error) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("control message: %w", err)
	}
	var fds []int
	var bad error
	for _, m := range msgs {
		if m.Header.Level != syscall.SOL_SOCKET || m.Header.Type != syscall.SCM_RIGHTS {
			bad = fmt.Errorf("unexpected control message %d/%d", m.Header.Level, m.Header.Type)
			continue
		}
		r, err := syscall.ParseUnixRights(&m)
		if err != nil {
			bad = err
			continue
		}
		fds = append(fds, r...)
	}
	return fds, bad
}

// connFromFD makes a net.Conn of a received stream socket; it owns fd.
func connFromFD(fd int) (net.Conn, error) {
	typ, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil || typ != syscall.SOCK_STREAM {
		syscall.Close(fd)
		return nil, fmt.Errorf("the descriptor is not a stream socket (type %d): %v", typ, err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("descriptor: %w", err)
	}
	f := os.NewFile(uintptr(fd), "handed")
	c, err := net.FileConn(f)
	if err == nil {
		f.Close()
		return c, nil
	}
	// Families the net package does not know (vsock) are read through
	// the os.File, which the runtime poller serves as well.
	return &fileConn{f: f}, nil
}

// fileConn is a stream socket of a family the net package lacks.
type fileConn struct{ f *os.File }

func (c *fileConn) Read(b []byte) (int, error)         { return c.f.Read(b) }
func (c *fileConn) Write(b []byte) (int, error)        { return c.f.Write(b) }
func (c *fileConn) Close() error                       { return c.f.Close() }
func (c *fileConn) LocalAddr() net.Addr                { return handedAddr{} }
func (c *fileConn) RemoteAddr() net.Addr               { return handedAddr{} }
func (c *fileConn) SetDeadline(t time.Time) error      { return c.f.SetDeadline(t) }
func (c *fileConn) SetReadDeadline(t time.Time) error  { return c.f.SetReadDeadline(t) }
func (c *fileConn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

func (c *fileConn) CloseWrite() error {
	raw, err := c.f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) { serr = syscall.Shutdown(int(fd), syscall.SHUT_WR) }); err != nil {
		return err
	}
	return serr
}

// handedAddr is an address as the transport reported it.
type handedAddr struct{ network, addr string }

func (a handedAddr) Network() string { return a.network }
func (a handedAddr) String() string  { return a.addr }

// Conn is a connection a transport handed to the core. Its local
// address's network is the socket type whose authentication applies, and
// its remote address is the peer the transport saw.
type Conn struct {
	net.Conn
	Meta transport.Meta
}

// LocalAddr implements net.Conn.
func (c *Conn) LocalAddr() net.Addr {
	return handedAddr{network: c.Meta.SocketType, addr: c.Meta.Local}
}

// RemoteAddr implements net.Conn.
func (c *Conn) RemoteAddr() net.Addr {
	return handedAddr{network: c.Meta.SocketType, addr: c.Meta.Peer}
}

// CloseWrite half-closes the stream, as a TCP or unix conn does.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
