package session

import (
	"slices"
	"testing"

	"github.com/xroam/xroam/core/config"
)

// TestQUICAuthFallback: QUIC connections use --quic-auth, else fall back
// to --tcp-auth like the other network sockets.
func TestQUICAuthFallback(t *testing.T) {
	s := &Server{cfg: &config.Config{TCPAuth: []string{"password:value=t"}}}
	if got := s.authSpecsFor("quic", "quic"); !slices.Equal(got, []string{"password:value=t"}) {
		t.Errorf("without --quic-auth: %v, want --tcp-auth's", got)
	}
	s.cfg.QUICAuth = []string{"password:value=q"}
	if got := s.authSpecsFor("quic", "quic"); !slices.Equal(got, []string{"password:value=q"}) {
		t.Errorf("with --quic-auth: %v", got)
	}
	s.cfg = &config.Config{BindQUIC: []string{"*:10000"}}
	binds, err := s.networkBinds()
	if err != nil || len(binds) != 1 || binds[0].plugin != "quic" || binds[0].bind.SocketType != "quic" || binds[0].bind.Address != "0.0.0.0:10000" {
		t.Errorf("--bind-quic=*:10000: %+v, %v", binds, err)
	}
}
