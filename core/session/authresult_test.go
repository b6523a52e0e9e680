package session

import (
	"slices"
	"strings"
	"testing"
)

func TestMayReach(t *testing.T) {
	for _, tt := range []struct {
		list []string
		disp string
		want bool
	}{
		{nil, ":3", true},
		{[]string{":3"}, ":3", true},
		{[]string{"3"}, ":3", true},
		{[]string{"host:3.0"}, ":3", true},
		{[]string{":4", ":30"}, ":3", false},
		{[]string{":13"}, ":3", false},
	} {
		if got := mayReach(tt.list, tt.disp); got != tt.want {
			t.Errorf("mayReach(%q, %s) = %v", tt.list, tt.disp, got)
		}
	}
}

func TestAuthResultCheck(t *testing.T) {
	user := serverIDs{uid: 1000, gid: 1000, groups: []int{1000, 27}}
	root := serverIDs{}
	r := &authResult{}
	if err := r.add("a", true, 1000, 27, map[string]string{"A": "1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.check(user); err != nil {
		t.Errorf("own uid and a supplementary group refused: %v", err)
	}
	if err := r.add("a", true, 1001, 27, nil, nil); err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Errorf("chained modules with different ids: %v", err)
	}
	other := &authResult{username: "b", hasIDs: true, uid: 1001, gid: 1001}
	if err := other.check(user); err == nil || !strings.Contains(err.Error(), "cannot start commands as another user") {
		t.Errorf("another uid on a user's server: %v", err)
	}
	if err := other.check(root); err != nil {
		t.Errorf("root refused to take on ids: %v", err)
	}
	as := other.startAs(root)
	if as.Credential == nil || as.Credential.Uid != 1001 || as.Credential.Gid != 1001 || as.Dir == "" {
		t.Errorf("startAs as root: %+v", as)
	}
	if as := other.startAs(user); as.Credential != nil {
		t.Errorf("startAs switched user without root: %+v", as)
	}
	opts := &authResult{options: map[string]string{"start": "xterm", "a": "b"}}
	if err := opts.check(root); err == nil || !strings.Contains(err.Error(), "(a, start)") {
		t.Errorf("session options: %v", err)
	}
	env := &authResult{env: map[string]string{"B": "2", "A": "1", "": "x", "C=D": "y", "N": "a\x00b"}}
	if got := env.startAs(user).Env; !slices.Equal(got, []string{"A=1", "B=2"}) {
		t.Errorf("env %q", got)
	}
	if as := (*authResult)(nil).startAs(root); as.Credential != nil || as.Env != nil {
		t.Errorf("no auth: %+v", as)
	}
}
