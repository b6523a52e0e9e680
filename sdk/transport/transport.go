package transport

import (
	"context"
	"net"
	"os"
	"time"
)

// Socket types, as the --X-auth options and xpra name them.
const (
	TCP   = "tcp"
	SSL   = "ssl"
	WS    = "ws"
	WSS   = "wss"
	Vsock = "vsock"
	QUIC  = "quic"
)

// Options of the tcp transport that the core sets from its own options.
const (
	// TCPProxyOption is --tcp-proxy: where the transport forwards the
	// connections that are not for the server.
	TCPProxyOption = "tcp_proxy"
	// RFBUpgradeOption is --rfb-upgrade: how long a connection may say
	// nothing before it is handed to the core as silent, for RFB.
	RFBUpgradeOption = "rfb_upgrade"
)

// QUICALPN is the application protocol both ends of a QUIC connection
// agree on.
const QUICALPN = "xpra"

// A peer that vanishes without closing (killed, unplugged) is only
// noticed by the idle timeout: UDP has no reset. The session should see
// such a client leave within seconds, as it does over TCP, so the
// timeout is short; keep-alives, well inside it, stop a quiet session
// (no screen updates, no input) from reaching it, and leave room for
// two lost ones before a live link is given up. A dead peer is noticed
// about QUICKeepAlive + QUICIdleTimeout after its last packet: the idle
// clock restarts at the first keep-alive left unanswered. The
// connection uses the lower of the two ends' timeouts, so a server with
// these values notices a dead client whatever the client asked for.
// Both ends, the quic transport plugin and xroam's client, use them.
const (
	QUICIdleTimeout = 6 * time.Second
	QUICKeepAlive   = 2 * time.Second
)

// Bind is one address to listen on.
type Bind struct {
	// SocketType is the kind of socket the user asked for (--bind-tcp
	// gives "tcp", --bind-wss "wss", …).
	SocketType string
	// Address is HOST:PORT (CID:PORT for vsock); port 0 picks one.
	Address string
}

// ListenRequest lists the addresses a transport must listen on.
type ListenRequest struct {
	Binds []Bind
}

// ListenResponse gives the addresses actually bound, in the order of the
// request's binds (a port 0 resolved).
type ListenResponse struct {
	Addresses []string
}

// Mode says how a connection reaches the core.
type Mode string

// The handoff modes.
const (
	// ModeFD: the descriptor is the network socket itself.
	ModeFD Mode = "fd"
	// ModeRelay: the descriptor is a socketpair end that the transport
	// relays to and from the network.
	ModeRelay Mode = "relay"
)

// Meta describes a connection handed to the core.
type Meta struct {
	// SocketType is the type whose --X-auth applies once the handshake
	// is done: a tcp socket upgraded to TLS is "ssl", to websocket "ws".
	SocketType string `json:"socket_type"`
	// BindType is the type of the listening socket it arrived on; its
	// authentication applies when SocketType has none configured.
	BindType string `json:"bind_type"`
	// Peer and Local are the network addresses of the two ends.
	Peer  string `json:"peer"`
	Local string `json:"local"`
	Mode  Mode   `json:"mode"`
	// SilentMillis, when not zero, says that the peer sent nothing in
	// the SilentMillis milliseconds the transport waited for its first
	// byte, so that the core can offer RFB (--rfb-upgrade) without
	// waiting that long again. Older transports leave it zero.
	SilentMillis int64 `json:"silent_ms,omitempty"`
}

// Handoff gives accepted connections to the core. It is safe for
// concurrent use.
type Handoff interface {
	// Pass hands a plain byte stream to the core by its descriptor. The
	// core gets a duplicate: the caller still closes its own f.
	Pass(meta Meta, f *os.File) error
	// Relay hands the core a stream the transport keeps framing: what
	// the transport writes to the returned conn reaches the core and
	// what the core sends can be read from it. Close it when the network
	// side ends.
	Relay(meta Meta) (net.Conn, error)
}

// Transport is what a transport module implements. The host returns the
// same interface for a built-in and for a plugin subprocess.
type Transport interface {
	// Listen binds every address of req and returns once they are bound;
	// it then accepts on them until ctx ends, handing each connection to
	// h after the transport's handshake. A connection whose handshake
	// fails is dropped by the transport; the core never sees it.
	Listen(ctx context.Context, req *ListenRequest, h Handoff) (*ListenResponse, error)
}
