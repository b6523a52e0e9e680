package session

import (
	"context"
	"strings"
	"testing"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/plugins/builtin"
	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/transport"
)

// TestAuthChainPerSocketType: each socket type's connections go through
// the modules of its own --X-auth option, vsock's and wss's included,
// and a mistake in one names that option.
func TestAuthChainPerSocketType(t *testing.T) {
	ctx := context.Background()
	h := pluginhost.New(pluginhost.Options{Builtins: builtin.Plugins()})
	defer h.Close()
	// Only the socket type under test is allowed; every other type fails.
	cfg := &config.Config{}
	types := map[string]*[]string{"unix": &cfg.Auth, "tcp": &cfg.TCPAuth, "ssl": &cfg.SSLAuth, "ws": &cfg.WSAuth,
		"wss": &cfg.WSSAuth, "vsock": &cfg.VsockAuth, "quic": &cfg.QUICAuth}
	for st := range types {
		t.Run(st, func(t *testing.T) {
			for other, opt := range types {
				*opt = []string{"fail"}
				if other == st {
					*opt = []string{"allow"}
				}
			}
			s := &Server{cfg: cfg, opts: ServerOptions{Plugins: h}}
			if err := s.setupAuth(ctx); err != nil {
				t.Fatal(err)
			}
			got, mods := s.authChain(&pluginhost.HandedConn{Meta: transport.Meta{SocketType: st, BindType: st}})
			if got != st || len(mods) != 1 {
				t.Fatalf("chain %q %d modules", got, len(mods))
			}
			r, err := mods[0].a.Authenticate(ctx, &auth.Request{SocketType: st})
			if !auth.Allowed(r, err) || mods[0].spec != "allow" {
				t.Fatalf("%s connections went through %q", st, mods[0].spec)
			}
		})
	}
	s := &Server{cfg: &config.Config{VsockAuth: []string{"nosuchmodule"}}, opts: ServerOptions{Plugins: h}}
	if err := s.setupAuth(ctx); err == nil || !strings.Contains(err.Error(), "--vsock-auth=nosuchmodule") {
		t.Fatalf("a bad --vsock-auth: %v", err)
	}
}
