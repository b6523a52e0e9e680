package session

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/transport"
)

// networkBind is one --bind-X address and the transport plugin serving it.
type networkBind struct {
	plugin string
	bind   transport.Bind
	option string // the --bind-X option, for messages
}

// networkBinds lists the network binds of the configuration, resolved to
// listen addresses.
func (s *Server) networkBinds() ([]networkBind, error) {
	var out []networkBind
	add := func(opt, plug, socketType string, vals []string) error {
		for _, v := range vals {
			addr := v
			// A vsock CID:PORT is checked by its plugin.
			if socketType != transport.Vsock {
				var err error
				if addr, err = s.bindAddr(opt, v); err != nil {
					return err
				}
			}
			out = append(out, networkBind{plugin: plug, option: opt + "=" + v,
				bind: transport.Bind{SocketType: socketType, Address: addr}})
		}
		return nil
	}
	for _, b := range []struct {
		opt, plug, st string
		vals          []string
	}{
		{"--bind-tcp", "tcp", transport.TCP, s.cfg.BindTCP},
		{"--bind-ssl", "ssl", transport.SSL, s.cfg.BindSSL},
		{"--bind-ws", "ws", transport.WS, s.cfg.BindWS},
		{"--bind-wss", "ws", transport.WSS, s.cfg.BindWSS},
		{"--bind-vsock", "vsock", transport.Vsock, s.cfg.BindVsock},
		{"--bind-quic", "quic", transport.QUIC, s.cfg.BindQUIC},
	} {
		if err := add(b.opt, b.plug, b.st, b.vals); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// bindAddr is parseBindAddr with the --min-port check: as xpra, a port
// below it is refused, and port 0 (any free port) is always allowed.
func (s *Server) bindAddr(opt, b string) (string, error) {
	addr, err := parseBindAddr(opt, b)
	if err != nil {
		return "", err
	}
	_, port, _ := net.SplitHostPort(addr)
	if p, _ := strconv.Atoi(port); p != 0 && p < s.cfg.MinPort {
		return "", fmt.Errorf("%s=%s: port %d is below --min-port=%d: use a port of at least %d, 0 for any free port, or a lower --min-port",
			opt, b, p, s.cfg.MinPort, s.cfg.MinPort)
	}
	return addr, nil
}

// checkNetwork checks the network options before anything starts, so
// that a mistake stops the server with a clear message rather than
// after its display is up.
func (s *Server) checkNetwork() error {
	if s.cfg.MinPort < 0 || s.cfg.MinPort > 65535 {
		return fmt.Errorf("--min-port=%d: want a port number from 0 to 65535", s.cfg.MinPort)
	}
	binds, err := s.networkBinds()
	if err != nil {
		return err
	}
	for _, b := range binds {
		if err := s.checkUnverifiedPeers(b); err != nil {
			return err
		}
	}
	for _, b := range s.cfg.BindRFB {
		if _, err := s.bindAddr("--bind-rfb", b); err != nil {
			return err
		}
	}
	if s.cfg.TCPProxy != "" {
		if err := checkProxyTarget(s.cfg.TCPProxy); err != nil {
			return err
		}
		if len(s.cfg.BindTCP) == 0 {
			s.log.Warn("--tcp-proxy has no effect without a --bind-tcp socket", "tcp-proxy", s.cfg.TCPProxy)
		}
	}
	return nil
}

// checkUnverifiedPeers refuses a socket that would let in, without
// authentication, peers whose uid the kernel does not tell: a QUIC
// datagram or a vsock stream may come from any local user (vsock
// loopback) or any virtual machine, unlike loopback TCP (owner only, as
// sock_diag tells) and the 0600 unix socket. Sockets beyond loopback are
// checked when they are bound, with the same advice.
func (s *Server) checkUnverifiedPeers(b networkBind) error {
	st := b.bind.SocketType
	if st != transport.QUIC && st != transport.Vsock {
		return nil
	}
	if st == transport.QUIC && !isLoopback(b.bind.Address) {
		return nil
	}
	if len(s.authSpecsFor(st, st)) > 0 {
		return nil
	}
	who := "any local user"
	if st == transport.Vsock {
		who = "any virtual machine of this host (and any local user over vsock loopback)"
	}
	return fmt.Errorf("%s has no authentication, and %s could use the session: add --%s (e.g. --%s=file:filename=PATH), or --%s=allow to let them in",
		b.option, who, authOption(st), authOption(st), authOption(st))
}

// checkProxyTarget checks that --tcp-proxy is HOST:PORT with a host and
// a port the server can connect to.
func checkProxyTarget(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("--tcp-proxy=%s: want HOST:PORT: %w", v, err)
	}
	if host == "" {
		return fmt.Errorf("--tcp-proxy=%s: the host is missing (HOST:PORT)", v)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return fmt.Errorf("--tcp-proxy=%s: the port must be a number from 1 to 65535", v)
	}
	return nil
}

// parseBindAddr turns xpra's HOST:PORT forms (":port", "*:port",
// "host:port") into a listen address.
func parseBindAddr(opt, b string) (string, error) {
	host, port, err := net.SplitHostPort(b)
	if err != nil {
		return "", fmt.Errorf("%s=%s: %w", opt, b, err)
	}
	if host == "*" {
		host = "0.0.0.0"
	}
	if host == "" || host == "localhost" {
		host = "127.0.0.1"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("%s=%s: invalid port", opt, b)
	}
	return net.JoinHostPort(host, port), nil
}

// transportOptions are the server options a transport plugin is
// configured with, over its HCL block.
func (s *Server) transportOptions() map[string][]string {
	opts := map[string][]string{}
	set := func(k, v string) {
		if v != "" {
			opts[k] = []string{v}
		}
	}
	set("ssl", s.cfg.SSL)
	set("ssl_cert", s.cfg.SSLCert)
	set("ssl_key", s.cfg.SSLKey)
	set("ssl_ca_certs", s.cfg.SSLCACerts)
	set("ssl_client_verify_mode", s.cfg.SSLClientVerifyMode)
	set("ssl_ciphers", s.cfg.SSLCiphers)
	set("ssl_protocol", s.cfg.SSLProtocol)
	set("html", s.cfg.HTML)
	return opts
}

// listenTransports has the transport plugins bind the network addresses.
// A bind beyond loopback needs authentication for its socket type.
// boundSocket is a network socket a transport plugin listens on.
type boundSocket struct {
	socketType string // transport.TCP, transport.SSL, …
	addr       string // host:port as bound
}

func (s *Server) listenTransports(ctx context.Context) error {
	binds, err := s.networkBinds()
	if err != nil {
		return err
	}
	for _, b := range binds {
		// vsock reaches only this machine's virtual machines (or its
		// host), never the network.
		if b.bind.SocketType == transport.Vsock || isLoopback(b.bind.Address) {
			continue
		}
		st := b.bind.SocketType
		specs := s.authSpecsFor(st, st)
		if len(specs) == 0 {
			return fmt.Errorf("%s listens beyond this machine without authentication: add --%s (e.g. --%s=file:filename=PATH), or --%s=allow to let anyone in",
				b.option, authOption(st), authOption(st), authOption(st))
		}
		if slices.Contains(specs, "allow") {
			s.log.Warn("ANYONE WHO CAN REACH THIS ADDRESS CAN USE THE SESSION: allow authentication on a non-loopback address", "bind", b.option)
		}
	}
	var order []string
	byPlugin := map[string][]networkBind{}
	for _, b := range binds {
		if _, ok := byPlugin[b.plugin]; !ok {
			order = append(order, b.plugin)
		}
		byPlugin[b.plugin] = append(byPlugin[b.plugin], b)
	}
	for _, name := range order {
		if s.opts.Plugins == nil {
			return fmt.Errorf("%s: no plugin host", byPlugin[name][0].option)
		}
		req := transport.ListenRequest{}
		for _, b := range byPlugin[name] {
			req.Binds = append(req.Binds, b.bind)
		}
		sp := pluginhost.Spec{Name: name}
		if name != "vsock" {
			// TLS and HTML concern the network transports only.
			sp.Options = s.transportOptions()
		}
		if name == "tcp" && s.cfg.TCPProxy != "" {
			// The connections are classified where their first bytes
			// are read: in the tcp transport, which also forwards.
			sp.Options[transport.TCPProxyOption] = []string{s.cfg.TCPProxy}
		}
		if name == "tcp" && s.rfb.svc != nil && s.cfg.RFBUpgrade > 0 {
			// Silent connections come over after --rfb-upgrade seconds,
			// not after the transport's handshake timeout.
			sp.Options[transport.RFBUpgradeOption] = []string{fmt.Sprintf("%ds", s.cfg.RFBUpgrade)}
		}
		if s.opts.Effective != nil {
			sp.Block = s.opts.Effective.Plugin(plugin.KindTransport, name)
		}
		l, err := s.opts.Plugins.Transport(ctx, sp, req)
		if err != nil {
			return fmt.Errorf("%s: %w", byPlugin[name][0].option, err)
		}
		for i, a := range l.Addresses() {
			s.log.Info("listening", req.Binds[i].SocketType, a, "transport", name)
			s.bound = append(s.bound, boundSocket{socketType: req.Binds[i].SocketType, addr: a})
		}
		s.listeners = append(s.listeners, l)
	}
	return nil
}

// authSpecsFor returns the --X-auth chain for a connection of socketType
// that arrived on a socket of bindType: its own option, else the one of
// the socket it arrived on (a tcp socket upgraded to TLS keeps
// --tcp-auth), else for TLS and websocket --tcp-auth, as xpra falls back.
// Nothing configured means no authentication, as for --tcp-auth.
func (s *Server) authSpecsFor(socketType, bindType string) []string {
	if v := authSpecs(s.cfg, socketType); len(v) > 0 {
		return v
	}
	if bindType != socketType {
		if v := authSpecs(s.cfg, bindType); len(v) > 0 {
			return v
		}
	}
	switch socketType {
	case transport.SSL, transport.WS, transport.WSS, transport.QUIC:
		return authSpecs(s.cfg, transport.TCP)
	}
	return nil
}

// authChain returns the socket type of a connection and the modules that
// authenticate it, resolved as authSpecsFor says.
func (s *Server) authChain(nc net.Conn) (string, []authModule) {
	st := nc.LocalAddr().Network()
	bt := st
	if hc, ok := nc.(*pluginhost.HandedConn); ok {
		st, bt = hc.Meta.SocketType, hc.Meta.BindType
	}
	if mods := s.auth[st]; len(mods) > 0 {
		return st, mods
	}
	if bt != st {
		if mods := s.auth[bt]; len(mods) > 0 {
			return st, mods
		}
	}
	switch st {
	case transport.SSL, transport.WS, transport.WSS, transport.QUIC:
		return st, s.auth[transport.TCP]
	}
	return st, s.auth[st]
}
