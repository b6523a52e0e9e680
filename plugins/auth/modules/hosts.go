package modules

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// hostRule matches peers: a prefix (an address is a /32 or /128), "all",
// or "local" (unix sockets and loopback addresses).
type hostRule struct {
	prefix netip.Prefix
	all    bool
	local  bool
}

func parseHostRules(vals []string) ([]hostRule, error) {
	var out []hostRule
	for _, v := range vals {
		switch strings.ToLower(v) {
		case "all", "*":
			out = append(out, hostRule{all: true})
			continue
		case "local":
			out = append(out, hostRule{local: true})
			continue
		}
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, hostRule{prefix: p.Masked()})
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address, a CIDR prefix, local or all", v)
		}
		out = append(out, hostRule{prefix: netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())})
	}
	return out, nil
}

func peerAddr(p auth.Peer) (netip.Addr, bool) {
	host := p.Addr
	if h, _, err := net.SplitHostPort(p.Addr); err == nil {
		host = h
	}
	host, _, _ = strings.Cut(host, "%")
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func matchHost(rules []hostRule, p auth.Peer) bool {
	a, isIP := peerAddr(p)
	for _, r := range rules {
		switch {
		case r.all:
			return true
		case r.local:
			if p.Network == "unix" || (isIP && a.IsLoopback()) {
				return true
			}
		case isIP && r.prefix.Contains(a):
			return true
		}
	}
	return false
}

// Hosts allows or denies by the peer's address, in the spirit of
// tcp-wrappers: a peer matching allow is let in, then one matching deny
// is refused, then the default applies (deny unless default = "allow").
func Hosts() plugin.Auth {
	return plugin.Auth{Name: "hosts", Version: Version,
		Schema: schema.Schema{Attrs: []schema.Attr{
			{Name: "allow", Type: schema.Strings, Help: "addresses, CIDR prefixes, local or all that are allowed"},
			{Name: "deny", Type: schema.Strings, Help: "addresses, CIDR prefixes, local or all that are refused"},
			{Name: "default", Type: schema.String, Default: "deny", Help: "allow or deny a peer that no rule matches"},
		}},
		New: func(_ context.Context, cfg schema.Values) (auth.Authenticator, error) {
			allow, err := parseHostRules(cfg.Strings("allow"))
			if err != nil {
				return nil, fmt.Errorf("hosts allow: %w", err)
			}
			deny, err := parseHostRules(cfg.Strings("deny"))
			if err != nil {
				return nil, fmt.Errorf("hosts deny: %w", err)
			}
			def := cfg.String("default")
			if def != "allow" && def != "deny" {
				return nil, fmt.Errorf("hosts default: want allow or deny, got %q", def)
			}
			return funcs{auth: func(_ context.Context, req *auth.Request) (*auth.Response, error) {
				ok := def == "allow"
				switch {
				case matchHost(allow, req.Peer):
					ok = true
				case matchHost(deny, req.Peer):
					ok = false
				}
				if !ok {
					return auth.Deny(fmt.Sprintf("host %s (%s) not allowed", req.Peer.Addr, req.Peer.Network)), nil
				}
				return &auth.Response{Allowed: true, Username: req.Username}, nil
			}}, nil
		}}
}
