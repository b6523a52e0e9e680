package dial

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/grandcat/zeroconf"

	"github.com/xroam/xroam/core/xpra"
)

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
	if err := r.Browse(ctx, xpra.MDNSService, "local.", ch); err != nil {
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
