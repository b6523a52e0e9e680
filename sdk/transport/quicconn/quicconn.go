package quicconn

import (
	"time"

	"github.com/quic-go/quic-go"
)

// ALPN is the application protocol both ends of a QUIC connection agree
// on.
const ALPN = "xpra"

// A peer that vanishes without closing (killed, unplugged) is only
// noticed by the idle timeout: UDP has no reset. The session should see
// such a client leave within seconds, as it does over TCP, so the
// timeout is short; keep-alives, well inside it, stop a quiet session
// (no screen updates, no input) from reaching it, and leave room for
// two lost ones before a live link is given up. A dead peer is noticed
// about KeepAlive + IdleTimeout after its last packet: the idle clock
// restarts at the first keep-alive left unanswered. The connection uses
// the lower of the two ends' timeouts, so a server with these values
// notices a dead client whatever the client asked for.
const (
	IdleTimeout = 6 * time.Second
	KeepAlive   = 2 * time.Second
)

// Config is the QUIC configuration of both ends.
func Config(handshake time.Duration) *quic.Config {
	return &quic.Config{HandshakeIdleTimeout: handshake, MaxIdleTimeout: IdleTimeout, KeepAlivePeriod: KeepAlive}
}
