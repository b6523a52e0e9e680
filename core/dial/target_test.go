package dial

import (
	"slices"
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

func TestSSHCommand(t *testing.T) {
	tg, err := ParseTarget("ssh://foo@frodo:2222/7")
	if err != nil {
		t.Fatal(err)
	}
	tg.Opts = Options{SSH: "ssh -x -i '/k ey'", RemoteXroam: "/opt/xroam/bin/xroam"}
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
