package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xroam/xroam/core/dial"
)

func listMDNSVerb() *Verb {
	return &Verb{
		Name:    "list-mdns",
		Summary: "list the sessions announced with mDNS on the local network (servers started with --mdns)",
		Description: "Listens for xpra and xroam sessions announced with mDNS (service _xpra._tcp) for --wait seconds and prints, " +
			"for each, the connection string to attach with, its display, user and name, and the announcing host.",
		Groups:  []string{"general"},
		Flags:   []LocalFlag{{Name: "wait", Meta: "SECONDS", Default: "2", Help: "how long to listen for announcements"}},
		MaxArgs: 0,
		Run: func(ctx context.Context, inv *Invocation) error {
			secs, err := strconv.ParseFloat(inv.Flags["wait"], 64)
			if err != nil || secs <= 0 || secs > 600 {
				return &UsageError{Msg: fmt.Sprintf("--wait=%s is not a number of seconds (0 to 600)", inv.Flags["wait"])}
			}
			ents, err := dial.BrowseMDNS(ctx, time.Duration(secs*float64(time.Second)))
			if err != nil {
				return err
			}
			if len(ents) == 0 {
				fmt.Fprintln(inv.Env.Stdout, "no session found")
				return nil
			}
			for _, e := range ents {
				desc := []string{e.Text["display"]}
				for _, k := range []string{"username", "name", "type"} {
					if v := e.Text[k]; v != "" {
						desc = append(desc, k+"="+v)
					}
				}
				desc = append(desc, "host="+e.Host)
				for _, u := range e.URIs() {
					fmt.Fprintf(inv.Env.Stdout, "%s\t%s\n", u, strings.Join(desc, " "))
				}
			}
			return nil
		},
	}
}
