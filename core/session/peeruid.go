package session

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/core/sockdiag"
	"github.com/xroam/xroam/sdk/transport"
)

// reasonAuthRequired is the disconnect reason of a peer that a socket
// without authentication does not take.
const reasonAuthRequired = "authentication required"

// errAuthRequired says why: the socket has no authentication, and the
// peer is not the session's owner (or root) on this machine.
var errAuthRequired = errors.New(reasonAuthRequired)

// ownerOnlyTypes are the socket types whose unauthenticated connections
// are kept to the session's owner: loopback TCP, whose peer uid the
// kernel knows. unix sockets are 0600 and vsock reaches only virtual
// machines.
var ownerOnlyTypes = map[string]bool{transport.TCP: true, transport.SSL: true, transport.WS: true, transport.WSS: true, "rfb": true}

// peerAddrs returns the two TCP ends of a network connection: read from
// the descriptor itself when the core has the socket, from what the
// transport reported when it relays the stream.
func peerAddrs(nc net.Conn) (local, peer netip.AddrPort, err error) {
	la, ra := nc.LocalAddr(), nc.RemoteAddr()
	if hc, ok := nc.(*pluginhost.HandedConn); ok {
		la, ra = hc.LocalAddr(), hc.RemoteAddr()
		if hc.Meta.Mode == transport.ModeFD {
			la, ra = hc.Conn.LocalAddr(), hc.Conn.RemoteAddr()
		}
	}
	if local, err = netip.ParseAddrPort(la.String()); err != nil {
		return local, peer, fmt.Errorf("local address %q: %w", la.String(), err)
	}
	if peer, err = netip.ParseAddrPort(ra.String()); err != nil {
		return local, peer, fmt.Errorf("peer address %q: %w", ra.String(), err)
	}
	return local, peer, nil
}

// ownerOnly lets a connection of a socket without authentication in
// when it comes from this machine (loopback) and its socket belongs to
// the session's owner or to root. It returns the peer's uid (-1 when
// unknown), and an error wrapping errAuthRequired with why.
func ownerOnly(nc net.Conn) (int64, error) {
	local, peer, err := peerAddrs(nc)
	if err != nil {
		return -1, fmt.Errorf("%w: %w", errAuthRequired, err)
	}
	if !local.Addr().Unmap().IsLoopback() || !peer.Addr().Unmap().IsLoopback() {
		return -1, fmt.Errorf("%w: the peer is not on loopback", errAuthRequired)
	}
	uid, err := sockdiag.PeerUID(local, peer)
	if err != nil {
		return -1, fmt.Errorf("%w: the peer's uid is unknown: %w", errAuthRequired, err)
	}
	if owner := uint32(os.Geteuid()); uid != owner && uid != 0 {
		return int64(uid), fmt.Errorf("%w: uid %d is neither the session's owner (uid %d) nor root", errAuthRequired, uid, owner)
	}
	return int64(uid), nil
}
