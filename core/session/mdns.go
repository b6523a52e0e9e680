package session

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/user"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/grandcat/zeroconf"
	"github.com/xroam/xroam/sdk/transport"
)

// MDNSService is the DNS-SD service type of xpra sessions.
const MDNSService = "_xpra._tcp"

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
			srv, err = zeroconf.Register(instance, MDNSService, "local.", ta.Port, txt, nil)
		} else {
			// The address bound, whatever the interface (the library
			// would leave out a loopback one).
			srv, err = zeroconf.RegisterProxy(instance, MDNSService, "local.", ta.Port, mdnsHostName(host), []string{ta.IP.String()}, txt, ifaces)
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

// MDNSEntry is a session found with mDNS.
type MDNSEntry struct {
	Instance string
	Host     string // the announcing machine's name
	Addrs    []string
	Port     int
	Text     map[string]string
}

// URIs are the connection strings of the entry, one per address.
func (e MDNSEntry) URIs() []string {
	mode := e.Text["mode"]
	if mode == "" {
		mode = "tcp"
	}
	var out []string
	for _, a := range e.Addrs {
		out = append(out, fmt.Sprintf("%s://%s/", mode, net.JoinHostPort(a, fmt.Sprint(e.Port))))
	}
	return out
}

// BrowseMDNS lists the sessions announced on the local network within
// wait, sorted by instance name.
func BrowseMDNS(ctx context.Context, wait time.Duration) ([]MDNSEntry, error) {
	r, err := zeroconf.NewResolver()
	if err != nil {
		return nil, fmt.Errorf("mdns: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ch := make(chan *zeroconf.ServiceEntry, 16)
	if err := r.Browse(ctx, MDNSService, "local.", ch); err != nil {
		return nil, fmt.Errorf("mdns: %w", err)
	}
	found := map[string]*MDNSEntry{}
	for {
		select {
		case se, ok := <-ch:
			if !ok {
				return sortedEntries(found), nil
			}
			e := found[se.Instance]
			if e == nil {
				e = &MDNSEntry{Instance: se.Instance, Host: strings.TrimSuffix(se.HostName, "."), Port: se.Port, Text: map[string]string{}}
				found[se.Instance] = e
			}
			for _, t := range se.Text {
				k, v, _ := strings.Cut(t, "=")
				e.Text[k] = v
			}
			for _, ip := range append(slices.Clone(se.AddrIPv4), se.AddrIPv6...) {
				if s := ip.String(); !slices.Contains(e.Addrs, s) {
					e.Addrs = append(e.Addrs, s)
				}
			}
		case <-ctx.Done():
			return sortedEntries(found), nil
		}
	}
}

func sortedEntries(m map[string]*MDNSEntry) []MDNSEntry {
	out := make([]MDNSEntry, 0, len(m))
	for _, e := range m {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b MDNSEntry) int { return strings.Compare(a.Instance, b.Instance) })
	return out
}
