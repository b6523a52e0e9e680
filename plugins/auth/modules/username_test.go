package modules_test

import (
	"context"
	"testing"

	"github.com/xroam/xroam/plugins/auth/modules"
	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugintest"
)

// TestExecRefusesControlCharactersInUsernames: the exec module puts the
// username in its command's argv and environment, so a name with a
// newline or another control character is denied before the command
// runs (/bin/true would allow anyone).
func TestExecRefusesControlCharactersInUsernames(t *testing.T) {
	a := plugintest.Auth(t, modules.Exec(), map[string]any{"command": "/bin/true"})
	for _, tc := range []struct {
		username string
		allowed  bool
	}{
		{"alice", true},
		{"", true},
		{"alice\nXROAM_AUTH_USERNAME=root", false},
		{"alice\r", false},
		{"bell\a", false},
		{"nul\x00x", false},
		{"c1\u009b", false},
	} {
		resp, err := a.Authenticate(context.Background(), &auth.Request{Username: tc.username, Peer: auth.Peer{Network: "tcp", Addr: "127.0.0.1:5"}})
		if got := auth.Allowed(resp, err); got != tc.allowed {
			t.Errorf("username %q: allowed=%v (%+v, %v), want %v", tc.username, got, resp, err, tc.allowed)
		}
	}
}
