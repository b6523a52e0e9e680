package dial

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Target is where a command-line client connects, from a connection
// string in the forms of the xpra man page.
type Target struct {
	// Network is "unix", "tcp", "ssl", "quic", "ws", "wss" or "ssh".
	Network string
	// Address is the socket path or host:port (ssh: host or host:port).
	Address string
	// Display is the display number for ":N" and "ssh://HOST/N" targets,
	// -1 otherwise.
	Display int
	// Path is the HTTP path of ws and wss targets ("/" when none is given).
	Path string
	// User is the ssh login name ("": ssh's default).
	User string
	// Opts are how to dial: TLS checks, the ssh command. The caller fills
	// them in from its options; the zero value is the safe default.
	Opts Options
}

func (t Target) String() string {
	switch t.Network {
	case "unix":
		return "socket://" + t.Address
	case "ssh":
		s := "ssh://"
		if t.User != "" {
			s += t.User + "@"
		}
		s += t.Address + "/"
		if t.Display >= 0 {
			s += strconv.Itoa(t.Display)
		}
		return s
	case "ws", "wss":
		return t.Network + "://" + t.Address + t.Path
	}
	return t.Network + "://" + t.Address + "/"
}

// ParseTarget understands ":N", "N"-less socket paths ("/run/…/host-7",
// "socket:///path"), "tcp://HOST:PORT/", "ssl://HOST:PORT/",
// "ws://HOST:PORT/PATH", "wss://HOST:PORT/PATH",
// "quic://HOST:PORT/", "ssh://[USER@]HOST[:PORT][/DISPLAY]", and xpra's
// older forms "tcp:HOST:PORT" (likewise ssl, quic, ws, wss) and "ssh:[USER@]HOST[:DISPLAY]".
// Display targets are resolved to a socket by the caller, which knows the
// socket directories.
func ParseTarget(s string) (Target, error) {
	switch {
	case strings.HasPrefix(s, ":"):
		n, err := parseDisplay(s[1:])
		if err != nil {
			return Target{}, fmt.Errorf("invalid display %q", s)
		}
		return Target{Network: "unix", Display: n}, nil
	case strings.HasPrefix(s, "socket://"):
		return Target{Network: "unix", Address: strings.TrimPrefix(s, "socket://"), Display: -1}, nil
	case strings.HasPrefix(s, "socket:"):
		return Target{Network: "unix", Address: strings.TrimPrefix(s, "socket:"), Display: -1}, nil
	case strings.HasPrefix(s, "/"):
		return Target{Network: "unix", Address: s, Display: -1}, nil
	case strings.HasPrefix(s, "ssh://"):
		return parseSSHURI(s)
	case strings.HasPrefix(s, "ssh:"):
		return parseSSHLegacy(s)
	}
	for _, network := range []string{"tcp", "ssl", "quic", "wss", "ws"} {
		if !strings.HasPrefix(s, network+":") {
			continue
		}
		rest := strings.TrimPrefix(strings.TrimPrefix(s, network+"://"), network+":")
		rest, path, hasPath := strings.Cut(rest, "/")
		addr, err := hostPort(s, rest)
		if err != nil {
			return Target{}, err
		}
		t := Target{Network: network, Address: addr, Display: -1}
		if network == "ws" || network == "wss" {
			t.Path = "/"
			if hasPath {
				t.Path += path
			}
		}
		return t, nil
	}
	if i := strings.Index(s, "://"); i > 0 {
		return Target{}, fmt.Errorf("connections of type %q are not supported", s[:i])
	}
	return Target{}, fmt.Errorf("invalid connection string %q (use :N, a socket path, tcp://, ssl://, quic://, ws://, wss://HOST:PORT/ or ssh://HOST/N)", s)
}

// parseDisplay reads "7" or "7.0".
func parseDisplay(s string) (int, error) {
	n, err := strconv.Atoi(strings.SplitN(s, ".", 2)[0])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid display %q", s)
	}
	return n, nil
}

// hostPort checks "[USER[:PASS]@]HOST:PORT" and returns HOST:PORT; the
// credentials are dropped (passwords go in --password-file).
func hostPort(s, rest string) (string, error) {
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	if strings.Count(rest, ":") == 1 || strings.HasPrefix(rest, "[") {
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			return "", fmt.Errorf("invalid address in %q: %w", s, err)
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil || host == "" {
			return "", fmt.Errorf("invalid host or port in %q", s)
		}
		return net.JoinHostPort(host, port), nil
	}
	return "", fmt.Errorf("%q lacks a port (e.g. tcp://HOST:PORT/)", s)
}

// splitUser splits "USER[:PASSWORD]@HOST…"; the password is dropped.
func splitUser(s string) (user, rest string) {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", s
	}
	user, _, _ = strings.Cut(s[:at], ":")
	return user, s[at+1:]
}

func parseSSHURI(s string) (Target, error) {
	rest := strings.TrimPrefix(s, "ssh://")
	hostPart, disp, _ := strings.Cut(rest, "/")
	user, hostPart := splitUser(hostPart)
	t := Target{Network: "ssh", User: user, Display: -1}
	if disp = strings.TrimPrefix(disp, ":"); disp != "" {
		n, err := parseDisplay(disp)
		if err != nil {
			return Target{}, fmt.Errorf("invalid display in %q", s)
		}
		t.Display = n
	}
	if strings.Count(hostPart, ":") == 1 || strings.HasPrefix(hostPart, "[") {
		host, port, err := net.SplitHostPort(hostPart)
		if err != nil {
			return Target{}, fmt.Errorf("invalid address in %q: %w", s, err)
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return Target{}, fmt.Errorf("invalid port in %q", s)
		}
		hostPart = net.JoinHostPort(host, port)
	}
	if hostPart == "" || strings.HasPrefix(hostPart, "-") || strings.ContainsAny(hostPart, " \t\n") {
		return Target{}, fmt.Errorf("invalid host in %q", s)
	}
	if strings.HasPrefix(user, "-") {
		return Target{}, fmt.Errorf("invalid user in %q", s)
	}
	t.Address = hostPart
	return t, nil
}

// parseSSHLegacy reads the man page's ssh:[USER@]HOST[:DISPLAY], which has
// no port.
func parseSSHLegacy(s string) (Target, error) {
	rest := strings.TrimPrefix(s, "ssh:")
	user, rest := splitUser(rest)
	host, disp, hasDisp := strings.Cut(rest, ":")
	t := Target{Network: "ssh", User: user, Address: host, Display: -1}
	if hasDisp && disp != "" {
		n, err := parseDisplay(disp)
		if err != nil {
			return Target{}, fmt.Errorf("invalid display in %q", s)
		}
		t.Display = n
	}
	if host == "" || strings.HasPrefix(host, "-") || strings.ContainsAny(host, " \t\n/") || strings.HasPrefix(user, "-") {
		return Target{}, fmt.Errorf("invalid host in %q", s)
	}
	return t, nil
}
