package modules

import (
	"context"
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/xroam/xroam/sdk/plugintest"
	"github.com/xroam/xroam/sdk/transport"
)

func TestParseVsockAddr(t *testing.T) {
	for in, want := range map[string][2]uint32{"any:5": {unix.VMADDR_CID_ANY, 5}, "3:7000": {3, 7000}, "auto:0": {unix.VMADDR_CID_ANY, 0}} {
		c, p, err := ParseVsockAddr(in)
		if err != nil || c != want[0] || p != want[1] {
			t.Errorf("%s: %d %d %v", in, c, p, err)
		}
	}
	for _, bad := range []string{"", "5", "x:1", "1:y", "1:99999999999"} {
		if _, _, err := ParseVsockAddr(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// vsockConn is a client vsock socket as a net.Conn (the net package has
// no vsock family); the os.File does the reading and writing.
type vsockConn struct {
	*os.File
	local, remote string
}

type vsAddr string

func (a vsAddr) Network() string { return "vsock" }
func (a vsAddr) String() string  { return string(a) }

func (c *vsockConn) LocalAddr() net.Addr  { return vsAddr(c.local) }
func (c *vsockConn) RemoteAddr() net.Addr { return vsAddr(c.remote) }

// dialVsock connects to port on this machine (VMADDR_CID_LOCAL), giving up
// after two seconds: without the vsock_loopback module nobody answers.
func dialVsock(port uint32) (net.Conn, error) {
	fd, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	tv := unix.Timeval{Sec: 2}
	_ = unix.SetsockoptTimeval(fd, unix.AF_VSOCK, unix.SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv)
	if err := unix.Connect(fd, &unix.SockaddrVM{CID: unix.VMADDR_CID_LOCAL, Port: port}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &vsockConn{File: os.NewFile(uintptr(fd), "vsock"), local: "local", remote: "1"}, nil
}

// vsockLoopback reports whether this machine can connect to itself over
// vsock.
func vsockLoopback(t *testing.T) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no vsock sockets here (%v): modprobe vsock", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrVM{CID: unix.VMADDR_CID_ANY, Port: unix.VMADDR_PORT_ANY}); err != nil {
		t.Skipf("vsock bind: %v", err)
	}
	if err := unix.Listen(fd, 1); err != nil {
		t.Skipf("vsock listen: %v", err)
	}
	sa, _ := unix.Getsockname(fd)
	c, err := dialVsock(sa.(*unix.SockaddrVM).Port)
	if err != nil {
		t.Skipf("vsock loopback is not available (%v): modprobe vsock_loopback to run this test", err)
	}
	c.Close()
}

func TestConformanceVsock(t *testing.T) {
	vsockLoopback(t)
	plugintest.TransportConformance(t, Vsock(), nil, transport.Bind{SocketType: transport.Vsock, Address: "any:0"},
		func(ctx context.Context, addr string) (net.Conn, error) {
			_, port, err := ParseVsockAddr(addr)
			if err != nil {
				return nil, err
			}
			return dialVsock(port)
		})
}

// TestVsockListens: binding works even where loopback does not.
func TestVsockListens(t *testing.T) {
	if _, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM, 0); err != nil {
		t.Skipf("no vsock sockets here: %v", err)
	}
	h := plugintest.Transport(t, Vsock(), nil)
	resp, err := h.Listen(context.Background(), transport.Bind{SocketType: transport.Vsock, Address: "any:0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, port, err := ParseVsockAddr(resp.Addresses[0]); err != nil || port == 0 {
		t.Errorf("bound %v: %v", resp.Addresses, err)
	}
	if _, err := h.Listen(context.Background(), transport.Bind{SocketType: transport.Vsock, Address: "nonsense"}); err == nil {
		t.Error("a bad address was accepted")
	}
}
