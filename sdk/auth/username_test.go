package auth

import (
	"strings"
	"testing"
)

func TestCheckUsername(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"", true},
		{"alice", true},
		{"jean-pierre.o'neil@example.com", true},
		{"Zoë 田中", true},
		{"with space", true},
		{"alice\nroot", false},
		{"alice\r", false},
		{"tab\there", false},
		{"nul\x00", false},
		{"del\x7f", false},
		{"c1\u0085next-line", false},
		{"esc\x1b[31m", false},
		{"bad\xffutf8", false},
		{strings.Repeat("a", MaxUsernameLen), true},
		{strings.Repeat("a", MaxUsernameLen+1), false},
	} {
		if err := CheckUsername(tc.name); (err == nil) != tc.ok {
			t.Errorf("CheckUsername(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
