package sockdiag

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

var errOtherSeq = errors.New("a reply to another request")

// ParseReply reads the kernel's answer to request seq for id: a
// SOCK_DIAG_BY_FAMILY message about that very socket, or an error
// message. Every length is checked before it is used.
func ParseReply(b []byte, seq uint32, id ID) (Socket, error) {
	ne := binary.NativeEndian
	for len(b) > 0 {
		if len(b) < nlmsgHdrLen {
			return Socket{}, fmt.Errorf("sockdiag: %d bytes left, short of a message header", len(b))
		}
		l := ne.Uint32(b[0:])
		typ := ne.Uint16(b[4:])
		if l < nlmsgHdrLen || uint64(l) > uint64(len(b)) {
			return Socket{}, fmt.Errorf("sockdiag: message length %d of %d bytes", l, len(b))
		}
		msg, body := b[:l], b[nlmsgHdrLen:l]
		// Messages are aligned to 4 bytes.
		next := min((int(l)+3)&^3, len(b))
		b = b[next:]
		if ne.Uint32(msg[8:]) != seq {
			if len(b) == 0 {
				return Socket{}, errOtherSeq
			}
			continue
		}
		switch typ {
		case unix.NLMSG_ERROR:
			if len(body) < 4 {
				return Socket{}, errors.New("sockdiag: short error message")
			}
			errno := -int32(ne.Uint32(body))
			if errno == 0 {
				continue // an acknowledgement
			}
			if syscall.Errno(errno) == syscall.ENOENT {
				return Socket{}, ErrNotFound
			}
			return Socket{}, fmt.Errorf("sockdiag: %w", syscall.Errno(errno))
		case unix.NLMSG_DONE:
			return Socket{}, ErrNotFound
		case unix.SOCK_DIAG_BY_FAMILY:
			if len(body) < diagMsgLen {
				return Socket{}, fmt.Errorf("sockdiag: a socket message of %d bytes, want %d", len(body), diagMsgLen)
			}
			want := make([]byte, sockIDLen)
			putSockID(want, id)
			// The cookie is the kernel's; the rest must be the socket
			// asked for.
			if body[0] != family(id.Src.Addr()) || !bytes.Equal(body[4:4+40], want[:40]) {
				return Socket{}, errors.New("sockdiag: the kernel described another socket")
			}
			return Socket{State: body[1], UID: ne.Uint32(body[64:]), Inode: ne.Uint32(body[68:])}, nil
		}
	}
	return Socket{}, ErrNotFound
}
