package sockdiag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Sizes of the kernel structures, from linux/inet_diag.h and
// linux/netlink.h.
const (
	nlmsgHdrLen  = 16 // struct nlmsghdr
	sockIDLen    = 48 // struct inet_diag_sockid
	reqV2Len     = 8 + sockIDLen
	diagMsgLen   = 4 + sockIDLen + 20 // struct inet_diag_msg
	nlmsgErrLen  = 4 + nlmsgHdrLen    // struct nlmsgerr
	maxReplySize = 8192
)

// TCP states (include/net/tcp_states.h) in which the socket is a full
// one whose owner the kernel still knows. A time-wait or request socket
// reports uid 0, which must never pass for root.
var fullStates = map[uint8]bool{
	1:  true, // ESTABLISHED
	4:  true, // FIN_WAIT1
	5:  true, // FIN_WAIT2
	8:  true, // CLOSE_WAIT
	9:  true, // LAST_ACK
	11: true, // CLOSING
}

// ErrNotFound says that the kernel knows no such connection (it has
// closed, or the addresses are not both ends of one).
var ErrNotFound = errors.New("no such connection")

// Socket is what the kernel says about one end of a connection.
type Socket struct {
	State uint8
	UID   uint32
	Inode uint32
}

// ID is a connection's 4-tuple as seen from the socket looked up: Src
// is that socket's own address.
type ID struct {
	Src, Dst netip.AddrPort
}

// seq numbers the requests of this process; the kernel echoes it.
var seq atomic.Uint32

// timeout bounds the wait for the kernel's answer.
const timeout = 2 * time.Second

// PeerUID returns the uid owning the socket at peer of a TCP connection
// whose other end is local (the server's end: peer is the client's
// address, local the server's). Both must be on this machine for the
// answer to mean anything; the caller checks they are loopback.
func PeerUID(local, peer netip.AddrPort) (uint32, error) {
	sk, err := Lookup(ID{Src: peer, Dst: local})
	if err != nil {
		return 0, err
	}
	if !fullStates[sk.State] {
		return 0, fmt.Errorf("the peer's socket is in TCP state %d: its owner is unknown", sk.State)
	}
	return sk.UID, nil
}

// Lookup asks the kernel for the TCP socket whose own address is id.Src
// and whose peer is id.Dst.
func Lookup(id ID) (Socket, error) {
	id = normalize(id)
	if !id.Src.IsValid() || !id.Dst.IsValid() || id.Src.Addr().Is4() != id.Dst.Addr().Is4() {
		return Socket{}, fmt.Errorf("sockdiag: bad addresses %v and %v", id.Src, id.Dst)
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return Socket{}, fmt.Errorf("sockdiag: netlink socket: %w", err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(timeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return Socket{}, fmt.Errorf("sockdiag: %w", err)
	}
	n := seq.Add(1)
	if err := unix.Sendto(fd, request(id, n), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return Socket{}, fmt.Errorf("sockdiag: send: %w", err)
	}
	buf := make([]byte, maxReplySize)
	for {
		m, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return Socket{}, fmt.Errorf("sockdiag: receive: %w", err)
		}
		// Only the kernel (port 0) answers.
		if nl, ok := from.(*unix.SockaddrNetlink); !ok || nl.Pid != 0 {
			continue
		}
		sk, err := ParseReply(buf[:m], n, id)
		if errors.Is(err, errOtherSeq) {
			continue
		}
		return sk, err
	}
}

// normalize turns IPv4-mapped IPv6 addresses (a dual-stack listener's
// view of an IPv4 peer) into IPv4, the family of the peer's socket.
func normalize(id ID) ID {
	un := func(a netip.AddrPort) netip.AddrPort {
		return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	}
	return ID{Src: un(id.Src), Dst: un(id.Dst)}
}

// request builds the SOCK_DIAG_BY_FAMILY request for exactly one socket.
func request(id ID, seq uint32) []byte {
	b := make([]byte, nlmsgHdrLen+reqV2Len)
	le := binary.NativeEndian
	le.PutUint32(b[0:], uint32(len(b)))
	le.PutUint16(b[4:], unix.SOCK_DIAG_BY_FAMILY)
	le.PutUint16(b[6:], unix.NLM_F_REQUEST)
	le.PutUint32(b[8:], seq)
	r := b[nlmsgHdrLen:]
	r[0] = family(id.Src.Addr())
	r[1] = unix.IPPROTO_TCP
	le.PutUint32(r[4:], ^uint32(0)) // every state
	putSockID(r[8:], id)
	return b
}

func family(a netip.Addr) uint8 {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// putSockID writes struct inet_diag_sockid: ports and addresses in
// network order, no interface, no cookie.
func putSockID(b []byte, id ID) {
	binary.BigEndian.PutUint16(b[0:], id.Src.Port())
	binary.BigEndian.PutUint16(b[2:], id.Dst.Port())
	putAddr(b[4:20], id.Src.Addr())
	putAddr(b[20:36], id.Dst.Addr())
	binary.NativeEndian.PutUint32(b[40:], ^uint32(0)) // INET_DIAG_NOCOOKIE
	binary.NativeEndian.PutUint32(b[44:], ^uint32(0))
}

func putAddr(b []byte, a netip.Addr) {
	if a.Is4() {
		v := a.As4()
		copy(b, v[:])
		return
	}
	v := a.As16()
	copy(b, v[:])
}
