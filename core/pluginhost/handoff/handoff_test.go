package handoff

import (
	"errors"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/xroam/xroam/sdk/transport"
)

func FuzzDecodeMeta(f *testing.F) {
	good, _ := transport.EncodeMeta(transport.Meta{SocketType: "wss", BindType: "tcp", Peer: "127.0.0.1:5", Local: "127.0.0.1:6", Mode: transport.ModeRelay})
	f.Add(good)
	f.Add([]byte(`{"v":1,"socket_type":"tcp","mode":"fd"}`))
	f.Add([]byte(`{"v":1,"socket_type":"tcp","mode":"fd","silent_ms":2000}`))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`{"v":1,"socket_type":"unix","mode":"fd"}`))
	f.Add([]byte{0xff, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMeta(b)
		if err != nil {
			return
		}
		// Whatever is accepted names a known socket type and mode, and
		// encodes back to something accepted with the same meaning.
		again, err := transport.EncodeMeta(m)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", m, err)
		}
		m2, err := DecodeMeta(again)
		if err != nil || m2 != m {
			t.Fatalf("round trip %+v -> %+v, %v", m, m2, err)
		}
	})
}

func TestDecodeMetaRefuses(t *testing.T) {
	for _, in := range []string{
		``, `{}`, `[]`, `{"v":1}`, `{"v":2,"socket_type":"tcp","mode":"fd"}`,
		`{"v":1,"socket_type":"unix","mode":"fd"}`, `{"v":1,"socket_type":"tcp","mode":"pipe"}`,
		`{"v":1,"socket_type":"tcp","bind_type":"rfb","mode":"fd"}`,
		`{"v":1,"socket_type":"tcp","mode":"fd","silent_ms":-1}`,
		`{"v":1,"socket_type":"tcp","mode":"fd","silent_ms":100000000000}`,
		`{"v":1,"socket_type":"tcp","mode":"fd","peer":"` + string(make([]byte, 300)) + `"}`,
	} {
		if m, err := DecodeMeta([]byte(in)); err == nil {
			t.Errorf("%q accepted as %+v", in, m)
		}
	}
}

func handoffPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	a, b, err := transport.PacketPair()
	if err != nil {
		t.Fatal(err)
	}
	conv := func(f *os.File) *net.UnixConn {
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.UnixConn)
	}
	ca, cb := conv(a), conv(b)
	t.Cleanup(func() { ca.Close(); cb.Close() })
	return ca, cb
}

// openFDs counts this process's descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// TestReceiveDropsBadMessages: a message with no descriptor, two of them,
// a bad header or a descriptor that is not a stream socket is refused and
// its descriptors closed; a good one after them still arrives.
func TestReceiveDropsBadMessages(t *testing.T) {
	plug, core := handoffPair(t)
	meta, _ := transport.EncodeMeta(transport.Meta{SocketType: "tcp", Mode: transport.ModeFD})
	s1, s2, _ := transport.StreamPair()
	defer s1.Close()
	defer s2.Close()
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	before := openFDs(t)
	send := func(payload []byte, fds ...int) {
		var oob []byte
		if len(fds) > 0 {
			oob = syscall.UnixRights(fds...)
		}
		if _, _, err := plug.WriteMsgUnix(payload, oob, nil); err != nil {
			t.Fatal(err)
		}
	}
	send(meta)
	send(meta, int(s1.Fd()), int(s2.Fd()))
	send([]byte(`{"v":1,"socket_type":"unix","mode":"fd"}`), int(s1.Fd()))
	send(meta, int(r.Fd()))
	for i := range 4 {
		if _, err := Receive(core); !errors.Is(err, ErrBad) {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open after the bad messages, %d before", after, before)
	}
	send(meta, int(s1.Fd()))
	c, err := Receive(core)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := s2.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := c.Read(b); err != nil || b[0] != 'x' {
		t.Fatalf("read %q %v", b, err)
	}
	plug.Close()
	if _, err := Receive(core); err == nil || errors.Is(err, ErrBad) {
		t.Errorf("closed handoff socket: %v", err)
	}
}
