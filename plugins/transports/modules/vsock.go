package modules

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
	"github.com/xroam/xroam/sdk/transport"
)

// Vsock is the vsock transport: --bind-vsock sockets between a virtual
// machine and its host, handed to the core by descriptor.
func Vsock() plugin.Transport {
	return plugin.Transport{Name: "vsock", Version: Version,
		New: func(context.Context, schema.Values) (transport.Transport, error) { return vsockTransport{}, nil }}
}

type vsockTransport struct{}

// ParseVsockAddr reads xpra's CID:PORT, where the CID may be "any" (or
// "auto") for every address of this machine.
func ParseVsockAddr(s string) (cid, port uint32, err error) {
	c, p, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("vsock address %q: want CID:PORT", s)
	}
	switch strings.ToLower(c) {
	case "any", "auto", "":
		cid = unix.VMADDR_CID_ANY
	default:
		n, err := strconv.ParseUint(c, 10, 32)
		if err != nil {
			return 0, 0, fmt.Errorf("vsock address %q: the CID must be a number or any", s)
		}
		cid = uint32(n)
	}
	n, err := strconv.ParseUint(p, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("vsock address %q: the port must be a number", s)
	}
	return cid, uint32(n), nil
}

func vsockString(cid, port uint32) string {
	if cid == unix.VMADDR_CID_ANY {
		return fmt.Sprintf("any:%d", port)
	}
	return fmt.Sprintf("%d:%d", cid, port)
}

func (vsockTransport) Listen(ctx context.Context, req *transport.ListenRequest, h transport.Handoff) (*transport.ListenResponse, error) {
	var fds []int
	closeAll := func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
	resp := &transport.ListenResponse{}
	for _, b := range req.Binds {
		if b.SocketType != transport.Vsock {
			closeAll()
			return nil, fmt.Errorf("the vsock transport does not listen on %s sockets", b.SocketType)
		}
		cid, port, err := ParseVsockAddr(b.Address)
		if err != nil {
			closeAll()
			return nil, err
		}
		fd, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("--bind-vsock=%s: %w (is the vsock module loaded?)", b.Address, err)
		}
		fds = append(fds, fd)
		if port == 0 {
			// As for TCP, port 0 lets the kernel pick one.
			port = unix.VMADDR_PORT_ANY
		}
		if err := unix.Bind(fd, &unix.SockaddrVM{CID: cid, Port: port}); err != nil {
			closeAll()
			return nil, fmt.Errorf("--bind-vsock=%s: %w", b.Address, err)
		}
		if err := unix.Listen(fd, 16); err != nil {
			closeAll()
			return nil, fmt.Errorf("--bind-vsock=%s: %w", b.Address, err)
		}
		if sa, err := unix.Getsockname(fd); err == nil {
			if vm, ok := sa.(*unix.SockaddrVM); ok {
				port = vm.Port
			}
		}
		resp.Addresses = append(resp.Addresses, vsockString(cid, port))
	}
	for i, fd := range fds {
		go vsockAccept(fd, resp.Addresses[i], h)
	}
	go func() {
		<-ctx.Done()
		for _, fd := range fds {
			// Shutdown wakes the blocked accept; then the loop closes.
			_ = unix.Shutdown(fd, unix.SHUT_RDWR)
		}
	}()
	return resp, nil
}

func vsockAccept(lfd int, local string, h transport.Handoff) {
	defer unix.Close(lfd)
	for {
		fd, sa, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
		if err != nil {
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.ECONNABORTED) {
				continue
			}
			return
		}
		peer := "vsock"
		if vm, ok := sa.(*unix.SockaddrVM); ok {
			peer = vsockString(vm.CID, vm.Port)
		}
		f := os.NewFile(uintptr(fd), "vsock")
		_ = h.Pass(transport.Meta{SocketType: transport.Vsock, BindType: transport.Vsock, Peer: peer, Local: local, Mode: transport.ModeFD}, f)
		f.Close()
	}
}
