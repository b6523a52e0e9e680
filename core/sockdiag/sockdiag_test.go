package sockdiag

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// loopPair returns both ends of a real loopback TCP connection.
func loopPair(t *testing.T, network, addr string) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("no %s loopback: %v", network, err)
	}
	defer l.Close()
	c, err := net.Dial(network, l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

func addrPort(a net.Addr) netip.AddrPort { return a.(*net.TCPAddr).AddrPort() }

// TestPeerUIDOfARealConnection: the kernel names this process's uid as
// the owner of the client end, over IPv4, IPv6 and an IPv4 peer of a
// dual-stack listener; a closed client is not found.
func TestPeerUIDOfARealConnection(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{
		{"tcp4", "127.0.0.1:0"},
		{"tcp6", "[::1]:0"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			_, s := loopPair(t, tc.network, tc.addr)
			uid, err := PeerUID(addrPort(s.LocalAddr()), addrPort(s.RemoteAddr()))
			if err != nil {
				t.Fatal(err)
			}
			if int(uid) != os.Getuid() {
				t.Errorf("uid %d, want %d", uid, os.Getuid())
			}
		})
	}
	t.Run("closed", func(t *testing.T) {
		c, s := loopPair(t, "tcp4", "127.0.0.1:0")
		local, peer := addrPort(s.LocalAddr()), addrPort(s.RemoteAddr())
		c.Close()
		s.Close()
		if uid, err := PeerUID(local, peer); err == nil {
			t.Errorf("a closed peer has uid %d", uid)
		}
	})
	t.Run("mapped", func(t *testing.T) {
		l, err := net.Listen("tcp", "[::]:0")
		if err != nil {
			t.Skip(err)
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		c, err := net.Dial("tcp4", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)).String())
		if err != nil {
			t.Skip(err)
		}
		defer c.Close()
		s, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		uid, err := PeerUID(addrPort(s.LocalAddr()), addrPort(s.RemoteAddr()))
		if err != nil || int(uid) != os.Getuid() {
			t.Errorf("uid %d, %v", uid, err)
		}
	})
}

var testID = ID{Src: netip.MustParseAddrPort("127.0.0.1:40000"), Dst: netip.MustParseAddrPort("127.0.0.1:14500")}

// message builds one netlink message.
func message(typ uint16, seq uint32, body []byte) []byte {
	b := make([]byte, nlmsgHdrLen, nlmsgHdrLen+len(body)+3)
	binary.NativeEndian.PutUint32(b[0:], uint32(nlmsgHdrLen+len(body)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	binary.NativeEndian.PutUint32(b[8:], seq)
	b = append(b, body...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func diagMsg(id ID, state uint8, uid uint32) []byte {
	b := make([]byte, diagMsgLen+8) // an attribute's worth after it
	b[0] = family(id.Src.Addr())
	b[1] = state
	putSockID(b[4:], id)
	binary.NativeEndian.PutUint32(b[64:], uid)
	binary.NativeEndian.PutUint32(b[68:], 1234)
	return b
}

func errMsg(errno int32) []byte {
	b := make([]byte, nlmsgErrLen)
	binary.NativeEndian.PutUint32(b, uint32(-errno))
	return b
}

func TestParseReply(t *testing.T) {
	other := ID{Src: netip.MustParseAddrPort("127.0.0.1:40001"), Dst: testID.Dst}
	for _, tc := range []struct {
		name    string
		reply   []byte
		uid     uint32
		wantErr error // nil: success; errAny: any error
	}{
		{"socket", message(unix.SOCK_DIAG_BY_FAMILY, 7, diagMsg(testID, 1, 1000)), 1000, nil},
		{"after another request's", append(message(unix.SOCK_DIAG_BY_FAMILY, 6, diagMsg(testID, 1, 0)), message(unix.SOCK_DIAG_BY_FAMILY, 7, diagMsg(testID, 1, 42))...), 42, nil},
		{"enoent", message(unix.NLMSG_ERROR, 7, errMsg(int32(unix.ENOENT))), 0, ErrNotFound},
		{"eperm", message(unix.NLMSG_ERROR, 7, errMsg(int32(unix.EPERM))), 0, errAny},
		{"done", message(unix.NLMSG_DONE, 7, make([]byte, 4)), 0, ErrNotFound},
		{"another socket", message(unix.SOCK_DIAG_BY_FAMILY, 7, diagMsg(other, 1, 0)), 0, errAny},
		{"only another request's", message(unix.SOCK_DIAG_BY_FAMILY, 6, diagMsg(testID, 1, 0)), 0, errOtherSeq},
		{"short body", message(unix.SOCK_DIAG_BY_FAMILY, 7, diagMsg(testID, 1, 0)[:40]), 0, errAny},
		{"short header", []byte{1, 2, 3}, 0, errAny},
		{"length past the end", func() []byte {
			b := message(unix.SOCK_DIAG_BY_FAMILY, 7, diagMsg(testID, 1, 0))
			binary.NativeEndian.PutUint32(b, 1<<20)
			return b
		}(), 0, errAny},
		{"length below a header", func() []byte {
			b := message(unix.SOCK_DIAG_BY_FAMILY, 7, diagMsg(testID, 1, 0))
			binary.NativeEndian.PutUint32(b, 3)
			return b
		}(), 0, errAny},
		{"empty", nil, 0, ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sk, err := ParseReply(tc.reply, 7, testID)
			switch {
			case tc.wantErr == nil:
				if err != nil || sk.UID != tc.uid {
					t.Errorf("got %+v, %v; want uid %d", sk, err, tc.uid)
				}
			case tc.wantErr == errAny:
				if err == nil {
					t.Errorf("got %+v, want an error", sk)
				}
			case !errors.Is(err, tc.wantErr):
				t.Errorf("got %+v, %v; want %v", sk, err, tc.wantErr)
			}
		})
	}
}

var errAny = errors.New("any error")

func FuzzParseReply(f *testing.F) {
	f.Add(message(unix.SOCK_DIAG_BY_FAMILY, 7, diagMsg(testID, 1, 1000)))
	f.Add(message(unix.NLMSG_ERROR, 7, errMsg(int32(unix.ENOENT))))
	f.Add(append(message(unix.NLMSG_ERROR, 6, errMsg(0)), message(unix.NLMSG_DONE, 7, make([]byte, 4))...))
	f.Fuzz(func(t *testing.T, b []byte) {
		sk, err := ParseReply(b, 7, testID)
		if err == nil && len(b) < nlmsgHdrLen+diagMsgLen {
			t.Errorf("a socket %+v from %d bytes", sk, len(b))
		}
	})
}
