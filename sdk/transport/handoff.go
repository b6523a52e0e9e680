package transport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// HandoffFDEnv names the environment variable that tells a transport
// plugin which of its descriptors is the handoff socket.
const HandoffFDEnv = "XROAM_TRANSPORT_HANDOFF_FD"

// MaxMetaSize bounds one handoff message's header; the core refuses
// anything longer.
const MaxMetaSize = 4096

// MetaVersion is the version of the handoff header this SDK writes.
const MetaVersion = 1

// header is the JSON of one handoff message.
type header struct {
	V int `json:"v"`
	Meta
}

// EncodeMeta returns the header of a handoff message.
func EncodeMeta(m Meta) ([]byte, error) {
	b, err := json.Marshal(header{V: MetaVersion, Meta: m})
	if err != nil {
		return nil, fmt.Errorf("encoding handoff header: %w", err)
	}
	if len(b) > MaxMetaSize {
		return nil, fmt.Errorf("handoff header of %d bytes exceeds %d", len(b), MaxMetaSize)
	}
	return b, nil
}

// Sender is the plugin's end of the handoff socket.
type Sender struct {
	mu   sync.Mutex
	conn *net.UnixConn
}

// NewSender wraps the handoff socket (a SOCK_SEQPACKET unix socket).
func NewSender(conn *net.UnixConn) *Sender { return &Sender{conn: conn} }

// SenderFromEnv opens the handoff socket that the host passed to this
// process, as HandoffFDEnv says.
func SenderFromEnv() (*Sender, error) {
	v := os.Getenv(HandoffFDEnv)
	if v == "" {
		return nil, fmt.Errorf("%s is not set: the xroam host starts transport plugins with a handoff socket", HandoffFDEnv)
	}
	var fd int
	if _, err := fmt.Sscanf(v, "%d", &fd); err != nil || fd < 3 {
		return nil, fmt.Errorf("%s=%q is not a descriptor number", HandoffFDEnv, v)
	}
	f := os.NewFile(uintptr(fd), "xroam-handoff")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("handoff socket: %w", err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("handoff socket is a %T, not a unix socket", c)
	}
	return NewSender(uc), nil
}

// Close closes the handoff socket.
func (s *Sender) Close() error { return s.conn.Close() }

// Pass implements Handoff.
func (s *Sender) Pass(meta Meta, f *os.File) error {
	if meta.Mode == "" {
		meta.Mode = ModeFD
	}
	b, err := EncodeMeta(meta)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, oobn, err := s.conn.WriteMsgUnix(b, syscall.UnixRights(int(f.Fd())), nil)
	if err != nil {
		return fmt.Errorf("handing the connection to the core: %w", err)
	}
	if n != len(b) || oobn == 0 {
		return errors.New("handing the connection to the core: short write")
	}
	return nil
}

// Relay implements Handoff: it makes a socketpair, hands one end to the
// core and returns the other.
func (s *Sender) Relay(meta Meta) (net.Conn, error) {
	meta.Mode = ModeRelay
	ours, theirs, err := StreamPair()
	if err != nil {
		return nil, err
	}
	defer theirs.Close()
	if err := s.Pass(meta, theirs); err != nil {
		ours.Close()
		return nil, err
	}
	c, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		return nil, fmt.Errorf("relay socket: %w", err)
	}
	return c, nil
}

// StreamPair returns the two ends of a unix stream socketpair.
func StreamPair() (*os.File, *os.File, error) {
	return pair(syscall.SOCK_STREAM, "relay")
}

// PacketPair returns the two ends of a SOCK_SEQPACKET socketpair, the
// kind the handoff socket is.
func PacketPair() (*os.File, *os.File, error) {
	return pair(syscall.SOCK_SEQPACKET, "handoff")
}

func pair(typ int, name string) (*os.File, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, typ|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), name+"-0"), os.NewFile(uintptr(fds[1]), name+"-1"), nil
}

// lingerAfterHalfClose is how long Pipe lets the other direction run
// after one has ended: long enough for a disconnect packet's answer, short
// enough that a peer that never closes cannot hold the relay.
const lingerAfterHalfClose = 5 * time.Second

// Pipe copies a to b and b to a. When one direction ends it passes the
// half close on where the conn supports one, lets the other direction
// finish for a few seconds, then closes both.
func Pipe(a, b net.Conn) {
	done := make(chan struct{}, 2)
	half := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		done <- struct{}{}
	}
	go half(a, b)
	go half(b, a)
	<-done
	t := time.NewTimer(lingerAfterHalfClose)
	select {
	case <-done:
	case <-t.C:
	}
	t.Stop()
	a.Close()
	b.Close()
}
