package sockdir

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

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
