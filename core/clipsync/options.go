package clipsync

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Direction says which way contents may flow, from this side's view.
type Direction struct {
	// Send: local contents may go to the peer.
	Send bool
	// Receive: the peer's contents may reach local applications.
	Receive bool
}

// ParseDirection reads --clipboard-direction: xpra's
// to-server|to-client|both|disabled, and NX's client|server|both|none
// (client: what is copied on the client reaches the session). server says
// which side is reading it.
func ParseDirection(s string, server bool) (Direction, error) {
	toServer, toClient := false, false
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "both", "":
		toServer, toClient = true, true
	case "to-server", "client":
		toServer = true
	case "to-client", "server":
		toClient = true
	case "disabled", "none":
	default:
		return Direction{}, fmt.Errorf("clipboard direction %q: want to-server, to-client, both or disabled (NX: client, server, both, none)", s)
	}
	if server {
		return Direction{Send: toClient, Receive: toServer}, nil
	}
	return Direction{Send: toServer, Receive: toClient}, nil
}

// XpraName is the direction as xpra's clipboard-direction names it.
func (d Direction) XpraName(server bool) string {
	toServer, toClient := d.Receive, d.Send
	if !server {
		toServer, toClient = d.Send, d.Receive
	}
	switch {
	case toServer && toClient:
		return "both"
	case toServer:
		return "to-server"
	case toClient:
		return "to-client"
	}
	return "disabled"
}

// DefaultBackend is the backend --clipboard=yes picks.
const DefaultBackend = "x11"

// ParseEnabled reads --clipboard: yes (and its synonyms) picks the
// default backend, no turns the clipboard off, anything else names a
// backend.
func ParseEnabled(s string) (backend string, on bool, err error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", "yes", "true", "on", "1", "auto":
		return DefaultBackend, true, nil
	case "no", "false", "off", "0", "none", "disabled":
		return "", false, nil
	default:
		for _, r := range v {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", false, fmt.Errorf("clipboard %q: want yes, no or a backend name", s)
			}
		}
		return v, true, nil
	}
}

// Parse reads --clipboard and --clipboard-direction together. NX's
// clipboard=both|client|server|none is accepted as --clipboard: it turns
// the default backend on (or off) and sets the direction.
func Parse(clipboard, direction string, server bool) (backend string, on bool, dir Direction, err error) {
	switch v := strings.ToLower(strings.TrimSpace(clipboard)); v {
	case "both", "client", "server":
		dir, err = ParseDirection(v, server)
		return DefaultBackend, true, dir, err
	}
	if backend, on, err = ParseEnabled(clipboard); err != nil {
		return "", false, Direction{}, err
	}
	dir, err = ParseDirection(direction, server)
	return backend, on, dir, err
}

// LoadFilters reads a filter file: one regular expression a line; blank
// lines and lines starting with # are skipped. Contents that match any
// of them are not sent.
func LoadFilters(path string) ([]*regexp.Regexp, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("clipboard filter file: %w", err)
	}
	var out []*regexp.Regexp
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		re, err := regexp.Compile(line)
		if err != nil {
			return nil, fmt.Errorf("clipboard filter file %s:%d: %w", path, n, err)
		}
		out = append(out, re)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("clipboard filter file %s: %w", path, err)
	}
	return out, nil
}
