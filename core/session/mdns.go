package session

import (
	"fmt"
	"net"
	"os"
	"os/user"
	"runtime"
	"strings"

	"github.com/grandcat/zeroconf"

	"github.com/xroam/xroam/core/xpra"
	"github.com/xroam/xroam/sdk/transport"
)

// announce publishes the session's TCP listeners with mDNS (--mdns) as
// xpra 3.1.3 does: instance "HOST :N", TXT keys display, username, uuid,
// platform, type, name and mode. The returned func withdraws them.
func (s *Server) announce() func() {
	if !s.cfg.Mdns {
		return func() {}
	}
	host, _ := os.Hostname()
	username := ""
	if u, err := user.Current(); err == nil {
		username = u.Username
	}
	txt := []string{fmt.Sprintf("display=:%d", s.display), "username=" + username, "uuid=" + s.uuid(),
		"platform=" + runtime.GOOS, "type=" + s.opts.Mode, "mode=tcp"}
	if name := s.sessionName(); name != "" {
		txt = append(txt, "name="+name)
	}
	var servers []*zeroconf.Server
	for _, b := range s.bound {
		if b.socketType != transport.TCP {
			continue
		}
		ta, err := net.ResolveTCPAddr("tcp", b.addr)
		if err != nil {
			continue
		}
		ifaces, err := interfacesWith(ta.IP)
		if err != nil {
			s.log.Warn("mdns: no interface to announce on", "addr", ta.String(), "err", err)
			continue
		}
		instance := fmt.Sprintf("%s :%d", host, s.display)
		if len(servers) > 0 {
			instance += fmt.Sprintf(" (%d)", len(servers)+1)
		}
		var srv *zeroconf.Server
		if ifaces == nil {
			srv, err = zeroconf.Register(instance, xpra.MDNSService, "local.", ta.Port, txt, nil)
		} else {
			// The address bound, whatever the interface (the library
			// would leave out a loopback one).
			srv, err = zeroconf.RegisterProxy(instance, xpra.MDNSService, "local.", ta.Port, mdnsHostName(host), []string{ta.IP.String()}, txt, ifaces)
		}
		if err != nil {
			s.log.Warn("mdns: cannot announce the session", "addr", ta.String(), "err", err)
			continue
		}
		s.log.Info("mdns: announced", "instance", instance, "port", ta.Port)
		servers = append(servers, srv)
	}
	return func() {
		for _, srv := range servers {
			srv.Shutdown()
		}
	}
}

// mdnsHostName is the machine's name as a single DNS label.
func mdnsHostName(host string) string {
	host, _, _ = strings.Cut(host, ".")
	if host == "" {
		return "xroam"
	}
	return host
}

// interfacesWith returns the interfaces holding ip (nil, meaning all,
// for an unspecified address): a session bound to one address is
// announced only where that address can be reached.
func interfacesWith(ip net.IP) ([]net.Interface, error) {
	if ip == nil || ip.IsUnspecified() {
		return nil, nil
	}
	all, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []net.Interface
	for _, ifc := range all {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				out = append(out, ifc)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no interface has the address %s", ip)
	}
	if out[0].Flags&net.FlagMulticast == 0 {
		return nil, fmt.Errorf("interface %s does not do multicast", out[0].Name)
	}
	return out, nil
}
