package modules_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/xroam/xroam/plugins/auth/modules"
	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/plugintest"
)

// TestConformance runs the SDK's conformance suite on every module that
// takes a password, in-process through gRPC.
func TestConformance(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	multi := filepath.Join(dir, "multi")
	for p, c := range map[string]string{pw: "secret\r\n", multi: "u|secret\n"} {
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("XROAM_CONFORMANCE_PW", "secret")
	good := plugintest.Credentials{Username: "u", Password: "secret", Peer: auth.Peer{Network: "unix", HasCreds: true, UID: uint32(os.Getuid())}}
	bad := plugintest.Credentials{Username: "u", Password: "Secret", Peer: auth.Peer{Network: "unix", HasCreds: true, UID: 4242, GID: 4242}}
	tests := []struct {
		p   plugin.Auth
		cfg map[string]any
	}{
		{modules.Env(), map[string]any{"name": "XROAM_CONFORMANCE_PW"}},
		{modules.Password(), map[string]any{"value": "secret"}},
		{modules.File(), map[string]any{"filename": pw}},
		{modules.Multifile(), map[string]any{"filename": multi}},
		{modules.Peercred(), map[string]any{}},
		{modules.Fail(), map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.p.Name, func(t *testing.T) {
			g := good
			if tt.p.Name == "fail" {
				t.Skip("fail denies good credentials by design")
			}
			plugintest.AuthConformance(t, tt.p, tt.cfg, g, bad)
		})
	}
}

func TestParseMultifile(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]*modules.UserEntry
		wantErr bool
	}{
		{"a|p\n", map[string]*modules.UserEntry{"a": {Username: "a", Password: []byte("p")}}, false},
		{"# c\n\na|p|1|2|:1,:2|X=1;Y=2|o=v\r\n", map[string]*modules.UserEntry{"a": {Username: "a", Password: []byte("p"), HasIDs: true, UID: 1, GID: 2,
			Displays: []string{":1", ":2"}, Env: map[string]string{"X": "1", "Y": "2"}, Options: map[string]string{"o": "v"}}}, false},
		{"nopipe\n", nil, true},
		{"a|p|x|1\n", nil, true},
		{"a|p\na|q\n", nil, true},
	}
	for _, tt := range tests {
		got, err := modules.ParseMultifile([]byte(tt.in))
		if (err != nil) != tt.wantErr || !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseMultifile(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestAllNamesMatchBinaries(t *testing.T) {
	for name := range modules.All() {
		if _, err := os.Stat(filepath.Join("..", name, "main.go")); err != nil {
			t.Errorf("module %s has no plugin binary: %v", name, err)
		}
	}
}
