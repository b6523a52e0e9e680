package pluginhost_test

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/sdk/schema"
)

func execOut(path string, args ...string) (string, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestParseAuthSpec(t *testing.T) {
	tests := []struct {
		in      string
		want    pluginhost.AuthSpec
		wantErr bool
	}{
		{"allow", pluginhost.AuthSpec{Module: "allow", Options: map[string][]string{}}, false},
		{"file:filename=/etc/pw", pluginhost.AuthSpec{Module: "file", Options: map[string][]string{"filename": {"/etc/pw"}}}, false},
		{"peercred:uid=1000,uid=bob,gid=0", pluginhost.AuthSpec{Module: "peercred", Options: map[string][]string{"uid": {"1000", "bob"}, "gid": {"0"}}}, false},
		{"password:value=a=b", pluginhost.AuthSpec{Module: "password", Options: map[string][]string{"value": {"a=b"}}}, false},
		{":x=1", pluginhost.AuthSpec{}, true},
		{"file:filename", pluginhost.AuthSpec{}, true},
		{"Fi le", pluginhost.AuthSpec{}, true},
	}
	for _, tt := range tests {
		got, err := pluginhost.ParseAuthSpec(tt.in)
		if (err != nil) != tt.wantErr || !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseAuthSpec(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

var testSchema = schema.Schema{Attrs: []schema.Attr{
	{Name: "filename", Type: schema.String, Required: true},
	{Name: "timeout", Type: schema.Duration, Default: "5s"},
	{Name: "uid", Type: schema.Strings},
	{Name: "level", Type: schema.Int, Default: 1},
}}

func TestPluginConfigFromHCL(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		opts    map[string][]string
		want    schema.Values
		wantErr []string
	}{
		{"ok", "auth \"x\" {\n  filename = \"/f\"\n  uid = [\"a\", \"b\"]\n  level = 4\n}\n", nil,
			schema.Values{"filename": "/f", "uid": []string{"a", "b"}, "level": int64(4), "timeout": "5s"}, nil},
		{"spec overrides", "auth \"x\" {\n  filename = \"/f\"\n}\n", map[string][]string{"filename": {"/g"}, "uid": {"1:2"}},
			schema.Values{"filename": "/g", "uid": []string{"1", "2"}, "level": int64(1), "timeout": "5s"}, nil},
		{"errors located", "auth \"x\" {\n  filename = 3\n  colour = \"red\"\n  level = 1.5\n}\n", nil, nil,
			[]string{`t.hcl:2:3: auth "x": attribute "filename": want a string`, `t.hcl:3:3: auth "x": attribute "colour": unknown attribute (known: filename, level, timeout, uid)`,
				`t.hcl:4:3: auth "x": attribute "level": want a whole number`}},
		{"missing", "auth \"x\" {\n}\n", nil, nil, []string{`t.hcl:1:1: auth "x": missing required attribute "filename"`}},
		{"bad option", "auth \"x\" {\n  filename = \"/f\"\n}\n", map[string][]string{"level": {"lots"}}, nil, []string{`options: attribute "level": want a whole number`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eff := config.New()
			if d := eff.LoadSource("t.hcl", []byte(tt.src)); d.HasErrors() {
				t.Fatal(d)
			}
			got, err := pluginhost.PluginConfig("auth", "x", eff.Plugin("auth", "x"), tt.opts, testSchema)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, got %v", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, %v", got, err)
			}
		})
	}
}

func TestDefaultDirs(t *testing.T) {
	got := pluginhost.DefaultDirs([]string{"/opt/p", ""}, "/home/u", "/usr/local/libexec/xroam/plugins")
	want := []string{"/opt/p", "/home/u/.local/lib/xroam/plugins", "/usr/local/libexec/xroam/plugins", "/usr/libexec/xroam/plugins"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
}
