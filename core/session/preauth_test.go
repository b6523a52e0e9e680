package session

import (
	"log/slog"
	"net"
	"strings"
	"testing"
)

// TestPreAuthGate: a peer gets preAuthPerPeer connections that have not
// logged in, a socket preAuthPerSocket, and a connection that logs in or
// goes frees its place.
func TestPreAuthGate(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// dial connects from src (a loopback address) and returns the
	// server's end.
	dial := func(src string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err := d.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		s, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	var g preAuthGate
	log := slog.New(slog.DiscardHandler)
	var leaves []func()
	for range preAuthPerPeer {
		leave, err := g.enter(dial("127.0.0.1"), log)
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, leave)
	}
	if _, err := g.enter(dial("127.0.0.1"), log); err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("connection %d of one peer: %v", preAuthPerPeer+1, err)
	}
	// Leaving twice frees one place only.
	leaves[0]()
	leaves[0]()
	if _, err := g.enter(dial("127.0.0.1"), log); err != nil {
		t.Fatalf("after one left: %v", err)
	}
	if _, err := g.enter(dial("127.0.0.1"), log); err == nil {
		t.Fatal("a place freed twice")
	}
	// Other peers fill the socket up to its cap.
	for i := preAuthPerPeer; i < preAuthPerSocket; i++ {
		src := net.IPv4(127, 0, 1, byte(i)).String()
		if _, err := g.enter(dial(src), log); err != nil {
			t.Fatalf("connection %d of the socket, from %s: %v", i+1, src, err)
		}
	}
	if _, err := g.enter(dial("127.0.0.9"), log); err == nil || !strings.Contains(err.Error(), "connections to") {
		t.Fatalf("connection %d of the socket: %v", preAuthPerSocket+1, err)
	}
	// Another socket is counted apart.
	l2, err := net.Listen("unix", t.TempDir()+"/s")
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	c, err := net.Dial("unix", l2.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l2.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := g.enter(s, log); err != nil {
		t.Fatalf("the unix socket: %v", err)
	}
	if _, peer := preAuthKeys(s); !strings.HasPrefix(peer, "uid ") {
		t.Errorf("unix peer %q, want its uid", peer)
	}
}
