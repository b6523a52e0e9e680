package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugintest"
)

func tokenFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(p, []byte("alice t0k3n\nalice second\nbob b0b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConformance(t *testing.T) {
	plugintest.AuthConformance(t, Plugin(), map[string]any{"filename": tokenFile(t)},
		plugintest.Credentials{Username: "alice", Password: "t0k3n"},
		plugintest.Credentials{Username: "alice", Password: "b0b"})
}

func TestTokens(t *testing.T) {
	a := plugintest.Auth(t, Plugin(), map[string]any{"filename": tokenFile(t)})
	tests := []struct {
		user, token string
		ok          bool
	}{
		{"alice", "t0k3n", true},
		{"alice", "second", true},
		{"bob", "b0b", true},
		{"bob", "t0k3n", false},
		{"carol", "", false},
	}
	for _, tt := range tests {
		r, err := plugintest.Login(context.Background(), a, plugintest.Credentials{Username: tt.user, Password: tt.token})
		if auth.Allowed(r, err) != tt.ok {
			t.Errorf("%s/%s: %+v %v", tt.user, tt.token, r, err)
		}
	}
}
