package session

import (
	"log/slog"
	"slices"
	"strings"
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

// TestMinPort: a bind below --min-port is refused with the option and
// its value named, port 0 always passes, and a lower --min-port lets the
// port through; --bind-rfb is checked the same way.
func TestMinPort(t *testing.T) {
	checkNetworkCases(t, []networkCase{
		{config.Config{MinPort: 1024, BindTCP: []string{"127.0.0.1:80"}}, "--bind-tcp=127.0.0.1:80: port 80 is below --min-port=1024"},
		{config.Config{MinPort: 1024, BindSSL: []string{"*:443"}}, "--bind-ssl=*:443: port 443"},
		{config.Config{MinPort: 1024, BindWS: []string{":1023"}}, "--bind-ws=:1023"},
		{config.Config{MinPort: 1024, BindWSS: []string{"localhost:1"}}, "--bind-wss=localhost:1"},
		{config.Config{MinPort: 1024, BindQUIC: []string{"127.0.0.1:443"}}, "--bind-quic=127.0.0.1:443"},
		{config.Config{MinPort: 1024, BindRFB: []string{"127.0.0.1:590"}}, "--bind-rfb=127.0.0.1:590"},
		{config.Config{MinPort: 20000, BindTCP: []string{"127.0.0.1:14500"}}, "below --min-port=20000"},
		{config.Config{MinPort: -1}, "--min-port=-1"},
		{config.Config{MinPort: 70000}, "--min-port=70000"},
		{config.Config{MinPort: 1024, BindTCP: []string{"127.0.0.1:0"}, BindQUIC: []string{"127.0.0.1:0"}, QUICAuth: []string{"allow"}, BindRFB: []string{"127.0.0.1:0"}}, ""},
		{config.Config{MinPort: 1024, BindTCP: []string{"127.0.0.1:1024"}}, ""},
		{config.Config{MinPort: 443, BindTCP: []string{"127.0.0.1:443"}, BindSSL: []string{"127.0.0.1:442"}}, "--bind-ssl=127.0.0.1:442: port 442 is below --min-port=443"},
		{config.Config{MinPort: 0, BindTCP: []string{"127.0.0.1:80"}, BindRFB: []string{"127.0.0.1:5"}}, ""},
		// vsock ports are not TCP or UDP ports.
		{config.Config{MinPort: 1024, BindVsock: []string{"2:80"}, VsockAuth: []string{"allow"}}, ""},
	})
}

// TestUnverifiedPeersNeedAuth: QUIC on loopback and vsock cannot tell
// who the peer is, so without authentication they are refused at start
// with the option to add; --tcp-auth covers QUIC as it does for ssl and
// ws, an explicit allow lets them in, and QUIC beyond loopback is left to
// the bind-time check that names "beyond this machine".
func TestUnverifiedPeersNeedAuth(t *testing.T) {
	checkNetworkCases(t, []networkCase{
		{config.Config{BindQUIC: []string{"127.0.0.1:0"}}, "--bind-quic=127.0.0.1:0 has no authentication, and any local user could use the session: add --quic-auth"},
		{config.Config{BindQUIC: []string{"localhost:0"}}, "--quic-auth=allow"},
		{config.Config{BindVsock: []string{"any:0"}}, "--bind-vsock=any:0 has no authentication, and any virtual machine"},
		{config.Config{BindVsock: []string{"any:0"}, TCPAuth: []string{"allow"}}, "add --vsock-auth"},
		{config.Config{BindQUIC: []string{"127.0.0.1:0"}, QUICAuth: []string{"allow"}}, ""},
		{config.Config{BindQUIC: []string{"127.0.0.1:0"}, TCPAuth: []string{"password:value=x"}}, ""},
		{config.Config{BindVsock: []string{"any:0"}, VsockAuth: []string{"file:filename=/x"}}, ""},
		{config.Config{BindQUIC: []string{"0.0.0.0:0"}}, ""},
		{config.Config{BindTCP: []string{"127.0.0.1:0"}}, ""},
	})
}

// networkCase is a configuration and the error checkNetwork must give
// ("" for none).
type networkCase struct {
	cfg  config.Config
	want string
}

func checkNetworkCases(t *testing.T, cases []networkCase) {
	t.Helper()
	for _, tc := range cases {
		s := &Server{cfg: &tc.cfg, log: slog.New(slog.DiscardHandler)}
		err := s.checkNetwork()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v refused: %v", tc.cfg, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// TestTCPProxyOption: --tcp-proxy must be HOST:PORT, and reaches the tcp
// transport only.
func TestTCPProxyOption(t *testing.T) {
	for v, want := range map[string]string{
		"example.org":       "want HOST:PORT",
		":8080":             "host is missing",
		"127.0.0.1:http":    "port must be a number",
		"127.0.0.1:0":       "port must be a number",
		"127.0.0.1:8080":    "",
		"[::1]:443":         "",
		"web.internal:8443": "",
	} {
		s := &Server{cfg: &config.Config{TCPProxy: v, BindTCP: []string{"127.0.0.1:0"}}, log: slog.New(slog.DiscardHandler)}
		err := s.checkNetwork()
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("--tcp-proxy=%s: %v, want %q", v, err, want)
		}
	}
}
