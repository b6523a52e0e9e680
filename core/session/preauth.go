package session

import (
	"fmt"
	"log/slog"
	"net"
	"sync"
)

// Caps on the connections that have not logged in yet. Each may hold a
// hello of up to wire.PreAuthMaxPacketSize and what it decodes to (up to
// wire.PreAuthMaxCost), so the caps bound what strangers can make the
// server hold: a few MB a connection, 8 connections a peer, 32 a
// socket. A client logs in within milliseconds (or the time its user
// takes to type a password), so these are far above what honest peers
// keep open at once.
const (
	preAuthPerPeer   = 8
	preAuthPerSocket = 32
)

// preAuthGate counts the connections of each socket and each peer that
// have not logged in yet. Its zero value is ready to use.
type preAuthGate struct {
	mu       sync.Mutex
	perSock  map[string]int
	perPeer  map[string]int
	refused  int  // connections refused since the gate last let all in
	refusing bool // the last connection was refused: logged once
}

// enter admits nc as a connection not logged in yet, unless its socket
// or its peer has as many as the caps allow; leave (idempotent) ends its
// count, once it has logged in or gone.
func (g *preAuthGate) enter(nc net.Conn, log *slog.Logger) (leave func(), err error) {
	sock, peer := preAuthKeys(nc)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.perSock == nil {
		g.perSock, g.perPeer = map[string]int{}, map[string]int{}
	}
	switch {
	case g.perPeer[peer] >= preAuthPerPeer:
		err = fmt.Errorf("too many connections from %s are logging in (%d)", peer, g.perPeer[peer])
	case g.perSock[sock] >= preAuthPerSocket:
		err = fmt.Errorf("too many connections to %s are logging in (%d)", sock, g.perSock[sock])
	}
	if err != nil {
		g.refused++
		if !g.refusing {
			g.refusing = true
			log.Warn("refusing connections until the ones logging in are done", "reason", err.Error())
		}
		return func() {}, err
	}
	if g.refusing {
		g.refusing = false
		log.Info("accepting connections again", "refused", g.refused)
		g.refused = 0
	}
	g.perSock[sock]++
	g.perPeer[peer]++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			decCount(g.perSock, sock)
			decCount(g.perPeer, peer)
		})
	}, nil
}

func decCount(m map[string]int, k string) {
	if m[k]--; m[k] <= 0 {
		delete(m, k)
	}
}

// preAuthKeys names nc's socket and its peer: on a unix socket the
// peer's uid (SO_PEERCRED), elsewhere its address without the port, so
// that a peer cannot get past the cap with more source ports.
func preAuthKeys(nc net.Conn) (sock, peer string) {
	la := nc.LocalAddr()
	sock = la.Network() + " " + la.String()
	if _, ok := nc.(*net.UnixConn); ok {
		p := peerOf(nc)
		if p.HasCreds {
			return sock, fmt.Sprintf("uid %d", p.UID)
		}
		return sock, "unix peer"
	}
	addr := nc.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return sock, host
	}
	return sock, addr
}
