package session

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/xroam/xroam/sdk/auth"
)

// Login throttling. The per-connection failure delay (authFailureDelay)
// does not stop a client that opens many connections at once, so failed
// password checks are also limited per peer and per socket:
//
//   - a peer (a source address; an IPv6 /64; a uid on the unix socket)
//     whose check fails for the fourth time in a row must wait before
//     its next one is made: 1 s, doubling with each further failure to at
//     most 30 s; a success clears it. Connections that arrive meanwhile
//     are refused without a check. (The first failures cost only the
//     per-connection delay, so that a user's typos cost no more.)
//   - each socket allows a burst of 20 failed checks and 1 a second
//     after: a check takes a token, a success gives it back.
//
// The peer table is bounded (oldest entries go first) and forgets a peer
// 10 minutes after its last failure.
type limitConfig struct {
	free      int // failures in a row before the back-off starts
	base, max time.Duration
	forget    time.Duration
	maxPeers  int
	burst     float64
	perSecond float64
}

var defaultLimits = limitConfig{
	free: 3, base: time.Second, max: 30 * time.Second,
	forget: 10 * time.Minute, maxPeers: 4096,
	burst: 20, perSecond: 1,
}

type peerState struct {
	failures int
	until    time.Time // no check before then
	last     time.Time // the last failure
	logged   bool      // this back-off's refusal has been logged
}

type bucket struct {
	tokens  float64
	at      time.Time
	engaged bool // the refusal has been logged since the bucket was last full
}

// authLimiter holds the throttling state; safe for concurrent use.
type authLimiter struct {
	cfg limitConfig
	log *slog.Logger

	mu      sync.Mutex
	peers   map[string]*peerState
	sockets map[string]*bucket
}

func newAuthLimiter(cfg limitConfig, log *slog.Logger) *authLimiter {
	return &authLimiter{cfg: cfg, log: log, peers: map[string]*peerState{}, sockets: map[string]*bucket{}}
}

// throttled is a login refused without a check; its message is for the
// client and the log.
type throttled struct {
	retryIn time.Duration
	socket  bool // the socket's rate, not the peer's back-off
}

func (t *throttled) Error() string {
	if t.socket {
		return fmt.Sprintf("too many failed logins on this socket: try again in %s", t.retryIn.Round(time.Second))
	}
	return fmt.Sprintf("too many failed logins from this address: try again in %s", t.retryIn.Round(time.Second))
}

// backoff is the wait after n consecutive failures.
func (cfg limitConfig) backoff(n int) time.Duration {
	n -= cfg.free
	if n <= 0 {
		return 0
	}
	d := cfg.base
	for i := 1; i < n && d < cfg.max; i++ {
		d *= 2
	}
	return min(d, cfg.max)
}

// peerBlocked returns a *throttled when peer is in back-off at now.
// Callers hold mu.
func (l *authLimiter) peerBlocked(peer string, now time.Time) *throttled {
	p := l.peers[peer]
	if p == nil {
		return nil
	}
	if now.Sub(p.last) > l.cfg.forget {
		delete(l.peers, peer)
		return nil
	}
	if !now.Before(p.until) {
		return nil
	}
	if !p.logged {
		p.logged = true
		l.log.Warn("login back-off engaged: refusing this peer's logins for a while", "peer", peer, "failures", p.failures, "retry-in", p.until.Sub(now).String())
	}
	return &throttled{retryIn: p.until.Sub(now)}
}

// check refuses a connection of a peer in back-off before it gets a
// challenge.
func (l *authLimiter) check(peer string, now time.Time) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t := l.peerBlocked(peer, now); t != nil {
		return t
	}
	return nil
}

// begin is called just before a password is checked: it refuses a peer
// in back-off and a socket out of tokens, else it takes a token and
// returns the function to call with the check's result.
func (l *authLimiter) begin(peer, socket string, now time.Time) (end func(ok bool, now time.Time), err error) {
	if l == nil {
		return func(bool, time.Time) {}, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t := l.peerBlocked(peer, now); t != nil {
		return nil, t
	}
	b := l.sockets[socket]
	if b == nil {
		b = &bucket{tokens: l.cfg.burst, at: now}
		l.sockets[socket] = b
	}
	b.tokens = min(l.cfg.burst, b.tokens+now.Sub(b.at).Seconds()*l.cfg.perSecond)
	b.at = now
	if b.tokens >= l.cfg.burst {
		b.engaged = false
	}
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / l.cfg.perSecond * float64(time.Second))
		if !b.engaged {
			b.engaged = true
			l.log.Warn("login rate limit engaged: too many failed logins on this socket", "socket", socket,
				"burst", l.cfg.burst, "per-second", l.cfg.perSecond)
		}
		return nil, &throttled{retryIn: wait, socket: true}
	}
	b.tokens--
	return func(ok bool, now time.Time) { l.end(peer, b, ok, now) }, nil
}

func (l *authLimiter) end(peer string, b *bucket, ok bool, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ok {
		b.tokens = min(l.cfg.burst, b.tokens+1)
		delete(l.peers, peer)
		return
	}
	p := l.peers[peer]
	if p == nil {
		l.makeRoom(now)
		p = &peerState{}
		l.peers[peer] = p
	}
	p.failures++
	p.last = now
	p.until = now.Add(l.cfg.backoff(p.failures))
	p.logged = false
}

// makeRoom keeps the peer table under its cap: forgotten peers go
// first, then the one whose back-off ends soonest. Callers hold mu.
func (l *authLimiter) makeRoom(now time.Time) {
	if len(l.peers) < l.cfg.maxPeers {
		return
	}
	for k, p := range l.peers {
		if now.Sub(p.last) > l.cfg.forget {
			delete(l.peers, k)
		}
	}
	for len(l.peers) >= l.cfg.maxPeers {
		var oldest string
		var at time.Time
		for k, p := range l.peers {
			if oldest == "" || p.until.Before(at) {
				oldest, at = k, p.until
			}
		}
		delete(l.peers, oldest)
	}
}

// peerKey names the peer a connection's failures count against: its
// source address (an IPv6 address's /64, which one host often holds
// whole), or its uid on a unix socket.
func peerKey(p auth.Peer) string {
	if p.HasCreds {
		return fmt.Sprintf("uid %d", p.UID)
	}
	if ap, err := netip.ParseAddrPort(p.Addr); err == nil {
		a := ap.Addr().Unmap()
		if a.Is6() {
			pfx, _ := a.Prefix(64)
			return pfx.String()
		}
		return a.String()
	}
	if host, _, err := net.SplitHostPort(p.Addr); err == nil {
		return host
	}
	return p.Network + " " + p.Addr
}

// socketKey names the socket whose rate a connection counts against:
// its type and local port ("tcp :14500"), or its type alone.
func socketKey(socketType string, nc net.Conn) string {
	if _, port, err := net.SplitHostPort(nc.LocalAddr().String()); err == nil {
		return socketType + " :" + port
	}
	return socketType
}
