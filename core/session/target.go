package session

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Target is where a command-line client connects, from a connection
// string in the forms of the xpra man page.
type Target struct {
	// Network is "unix" or "tcp".
	Network string
	// Address is the socket path or host:port.
	Address string
	// Display is the display number for ":N" targets, -1 otherwise.
	Display int
}

func (t Target) String() string {
	if t.Network == "unix" {
		return "socket://" + t.Address
	}
	return t.Network + "://" + t.Address + "/"
}

// ParseTarget understands ":N", "N"-less socket paths ("/run/…/host-7",
// "socket:///path"), "tcp://HOST:PORT/" and xpra's older "tcp:HOST:PORT".
// Display targets are resolved to a socket by the caller, which knows the
// socket directories.
func ParseTarget(s string) (Target, error) {
	switch {
	case strings.HasPrefix(s, ":"):
		n, err := strconv.Atoi(strings.SplitN(s[1:], ".", 2)[0])
		if err != nil || n < 0 {
			return Target{}, fmt.Errorf("invalid display %q", s)
		}
		return Target{Network: "unix", Display: n}, nil
	case strings.HasPrefix(s, "socket://"):
		return Target{Network: "unix", Address: strings.TrimPrefix(s, "socket://"), Display: -1}, nil
	case strings.HasPrefix(s, "socket:"):
		return Target{Network: "unix", Address: strings.TrimPrefix(s, "socket:"), Display: -1}, nil
	case strings.HasPrefix(s, "/"):
		return Target{Network: "unix", Address: s, Display: -1}, nil
	case strings.HasPrefix(s, "tcp://"), strings.HasPrefix(s, "tcp:"):
		rest := strings.TrimPrefix(strings.TrimPrefix(s, "tcp://"), "tcp:")
		rest, _, _ = strings.Cut(rest, "/")
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			rest = rest[at+1:]
		}
		if strings.Count(rest, ":") == 1 || strings.HasPrefix(rest, "[") {
			host, port, err := net.SplitHostPort(rest)
			if err != nil {
				return Target{}, fmt.Errorf("invalid address in %q: %w", s, err)
			}
			if _, err := strconv.ParseUint(port, 10, 16); err != nil {
				return Target{}, fmt.Errorf("invalid port in %q", s)
			}
			return Target{Network: "tcp", Address: net.JoinHostPort(host, port), Display: -1}, nil
		}
		return Target{}, fmt.Errorf("%q lacks a port (tcp://HOST:PORT/)", s)
	}
	if i := strings.Index(s, "://"); i > 0 {
		return Target{}, fmt.Errorf("connections of type %q are not supported yet", s[:i])
	}
	return Target{}, fmt.Errorf("invalid connection string %q (use :N, a socket path or tcp://HOST:PORT/)", s)
}
