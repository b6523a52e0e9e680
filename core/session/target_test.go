package session

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in      string
		want    Target
		wantErr bool
	}{
		{":7", Target{Network: "unix", Display: 7}, false},
		{":7.0", Target{Network: "unix", Display: 7}, false},
		{"/run/user/0/xroam/vm-7", Target{Network: "unix", Address: "/run/user/0/xroam/vm-7", Display: -1}, false},
		{"socket:///tmp/s", Target{Network: "unix", Address: "/tmp/s", Display: -1}, false},
		{"tcp://127.0.0.1:14500/", Target{Network: "tcp", Address: "127.0.0.1:14500", Display: -1}, false},
		{"tcp://user:pass@127.0.0.1:14500/", Target{Network: "tcp", Address: "127.0.0.1:14500", Display: -1}, false},
		{"tcp://[::1]:14500", Target{Network: "tcp", Address: "[::1]:14500", Display: -1}, false},
		{"tcp:localhost:14500", Target{Network: "tcp", Address: "localhost:14500", Display: -1}, false},
		{"tcp://host/", Target{}, true},
		{"tcp://host:99999/", Target{}, true},
		{":x", Target{}, true},
		{"quic://host:1/", Target{Network: "quic", Address: "host:1", Display: -1}, false},
		{"quic:127.0.0.1:14500", Target{Network: "quic", Address: "127.0.0.1:14500", Display: -1}, false},
		{"quic://host/", Target{}, true},
		{"ssl://127.0.0.1:14500/", Target{Network: "ssl", Address: "127.0.0.1:14500", Display: -1}, false},
		{"ssl:host:443", Target{Network: "ssl", Address: "host:443", Display: -1}, false},
		{"ws://host:80", Target{Network: "ws", Address: "host:80", Display: -1, Path: "/"}, false},
		{"wss://host:443/xpra/ws", Target{Network: "wss", Address: "host:443", Display: -1, Path: "/xpra/ws"}, false},
		{"wss://host/", Target{}, true},
		{"ssh://frodo/7", Target{Network: "ssh", Address: "frodo", Display: 7}, false},
		{"ssh://foo@frodo:2222/:7", Target{Network: "ssh", Address: "frodo:2222", User: "foo", Display: 7}, false},
		{"ssh://foo:pw@frodo", Target{Network: "ssh", Address: "frodo", User: "foo", Display: -1}, false},
		{"ssh://[::1]:22/3", Target{Network: "ssh", Address: "[::1]:22", Display: 3}, false},
		{"ssh:foo@frodo:7", Target{Network: "ssh", Address: "frodo", User: "foo", Display: 7}, false},
		{"ssh:frodo", Target{Network: "ssh", Address: "frodo", Display: -1}, false},
		{"ssh://-oProxyCommand=x/7", Target{}, true},
		{"ssh://-l@frodo/7", Target{}, true},
		{"ssh:frodo:x", Target{}, true},
		{"ssh://frodo:99999/1", Target{}, true},
		{"display7", Target{}, true},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseTarget(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"HOME": "/home/u", "XDG_RUNTIME_DIR": "/run/user/1000"}
	p := Paths{Getenv: func(k string) string { return env[k] }}
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"~/.xroam", "/home/u/.xroam", true},
		{"$XDG_RUNTIME_DIR/xroam", "/run/user/1000/xroam", true},
		{"/run/user/$UID/xroam", "/run/user/" + strconv.Itoa(os.Getuid()) + "/xroam", true},
		{"$NOPE/xroam", "", false},
	}
	for _, tt := range tests {
		got, ok := p.Expand(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("Expand(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestListStates creates the three kinds of socket that list must tell
// apart: one a process listens on, one left behind by a dead server, and
// one whose recorded server process is still alive.
func TestListStates(t *testing.T) {
	dir := t.TempDir()
	p := Paths{SocketDir: dir, Hostname: "host", Getenv: func(string) string { return "" }}
	mk := func(n int, listen bool, pid int) {
		t.Helper()
		path := filepath.Join(dir, p.SocketName(n))
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		if listen {
			t.Cleanup(func() { l.Close() })
		} else {
			// Closing a unix listener removes its file; keep the file so
			// that it looks like a socket left by a killed server.
			l.(*net.UnixListener).SetUnlinkOnClose(false)
			l.Close()
		}
		if pid > 0 {
			sd := SessionDir(dir, n)
			os.MkdirAll(sd, 0o700)
			os.WriteFile(filepath.Join(sd, "server.pid"), []byte(strconv.Itoa(pid)), 0o600)
		}
	}
	mk(1, true, os.Getpid())
	mk(2, false, 0)
	mk(3, false, os.Getpid())
	os.WriteFile(filepath.Join(dir, "host-notanumber"), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "host-4"), nil, 0o600) // not a socket

	ents, err := p.List(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]State{1: Live, 2: Dead, 3: Unknown}
	if len(ents) != len(want) {
		t.Fatalf("found %+v, want 3 sessions", ents)
	}
	for _, e := range ents {
		if e.State != want[e.Display] {
			t.Errorf(":%d is %s, want %s", e.Display, e.State, want[e.Display])
		}
	}
	ents, err = p.List(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Display == 2 && !e.Cleaned {
			t.Error("dead session not cleaned")
		}
		if e.Display != 2 && e.Cleaned {
			t.Errorf(":%d cleaned although %s", e.Display, e.State)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "host-2")); !os.IsNotExist(err) {
		t.Error("the dead socket is still there after --clean")
	}
}

func TestSSHCommand(t *testing.T) {
	tg, err := ParseTarget("ssh://foo@frodo:2222/7")
	if err != nil {
		t.Fatal(err)
	}
	tg.Opts = DialOptions{SSH: "ssh -x -i '/k ey'", RemoteXroam: "/opt/xroam/bin/xroam"}
	got, err := sshCommand(tg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ssh", "-x", "-i", "/k ey", "-p", "2222", "-l", "foo", "-T", "frodo", "/opt/xroam/bin/xroam proxy :7"}
	if !slices.Equal(got, want) {
		t.Errorf("sshCommand = %q, want %q", got, want)
	}
	tg, _ = ParseTarget("ssh:frodo")
	got, _ = sshCommand(tg)
	if want := []string{"ssh", "-x", "-T", "frodo", "xroam proxy"}; !slices.Equal(got, want) {
		t.Errorf("sshCommand = %q, want %q", got, want)
	}
}
