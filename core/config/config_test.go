package config

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestOptionsWellFormed(t *testing.T) {
	ct := reflect.TypeFor[Config]()
	opts := Options()
	tagged := 0
	for i := range ct.NumField() {
		if n := ct.Field(i).Tag.Get("opt"); n != "" && n != "-" {
			tagged++
		}
	}
	if len(opts) != tagged {
		t.Fatalf("%d fields have an opt tag but Options() returned %d: a field has an unsupported type", tagged, len(opts))
	}
	seen := map[string]bool{}
	defaults := Defaults()
	for _, o := range opts {
		if seen[o.Name] {
			t.Errorf("option %s declared twice", o.Name)
		}
		seen[o.Name] = true
		if o.Help == "" || o.Group == "" {
			t.Errorf("option %s lacks help or group", o.Name)
		}
		if len(o.Enum) > 0 && o.Kind != KindList {
			var probe Config
			if err := o.set(&probe, o.Get(&defaults)); err != nil {
				t.Errorf("default of %s is outside its enum: %v", o.Name, err)
			}
		}
	}
}

func load(t *testing.T, files ...string) *Effective {
	t.Helper()
	e := New()
	for i, src := range files {
		if d := e.LoadSource("f"+string(rune('0'+i))+".hcl", []byte(src)); d.HasErrors() {
			t.Fatalf("load: %v", d)
		}
	}
	return e
}

func TestLaterFileWins(t *testing.T) {
	e := load(t, "quality = 10\nspeed = 20\n", "quality = 30\n")
	if e.Config.Quality != 30 || e.Config.Speed != 20 {
		t.Fatalf("quality=%d speed=%d, want 30 and 20", e.Config.Quality, e.Config.Speed)
	}
	if got := e.Origin("quality").String(); got != "f1.hcl:1:1" {
		t.Errorf("origin of quality = %s", got)
	}
	if got := e.Origin("speed").String(); got != "f0.hcl:2:1" {
		t.Errorf("origin of speed = %s", got)
	}
	if got := e.Origin("encoding").String(); got != "default" {
		t.Errorf("origin of encoding = %s", got)
	}
}

func TestStringForListOption(t *testing.T) {
	e := load(t, `start = "xterm -ls"`)
	if !reflect.DeepEqual(e.Config.Start, []string{"xterm -ls"}) {
		t.Fatalf("start = %q", e.Config.Start)
	}
}

func TestApply(t *testing.T) {
	opts := Options()
	flag := func(name, v string) Setting {
		return Setting{Option: Lookup(opts, name), Value: v, Origin: Origin{Kind: FromFlag, Name: "--" + name}}
	}
	tests := []struct {
		name    string
		file    string
		set     []Setting
		check   func(c *Config) bool
		wantErr string
	}{
		{"flag replaces file list", `start = ["a"]`, []Setting{flag("start", "b"), flag("start", "c")},
			func(c *Config) bool { return reflect.DeepEqual(c.Start, []string{"b", "c"}) }, ""},
		{"empty flag clears list", `start = ["a"]`, []Setting{flag("start", "")},
			func(c *Config) bool { return len(c.Start) == 0 }, ""},
		{"bool spellings", "", []Setting{flag("daemon", "off")},
			func(c *Config) bool { return !c.Daemon }, ""},
		{"float", "", []Setting{flag("auto-refresh-delay", "0.5")},
			func(c *Config) bool { return c.AutoRefreshDelay == 0.5 }, ""},
		{"enum", "", []Setting{flag("clipboard-direction", "to-client")},
			func(c *Config) bool { return c.ClipboardDirection == "to-client" }, ""},
		{"bad enum", "", []Setting{flag("clipboard-direction", "sideways")}, nil, `"sideways" is not a valid value`},
		{"bad int", "", []Setting{flag("quality", "1.5")}, nil, "not a whole number"},
		{"comma list", `encodings = ["png"]`, []Setting{flag("encodings", "jpeg, webp,"), flag("encodings", "png")},
			func(c *Config) bool { return reflect.DeepEqual(c.Encodings, []string{"jpeg", "webp", "png"}) }, ""},
		{"commas kept where xpra keeps them", "", []Setting{flag("start", "echo a,b")},
			func(c *Config) bool { return reflect.DeepEqual(c.Start, []string{"echo a,b"}) }, ""},
		{"list enum", "", []Setting{flag("video-encoders", "vpx,x264")},
			func(c *Config) bool { return reflect.DeepEqual(c.VideoEncoders, []string{"vpx", "x264"}) }, ""},
		{"bad list enum", "", []Setting{flag("video-encoders", "x264,nvenc")}, nil, `"nvenc" is not a valid value for video-encoders`},
		{"errors gathered", "", []Setting{flag("quality", "x"), flag("speed", "y")}, nil, "flag --speed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := load(t, tt.file)
			err := e.Apply(tt.set)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(&e.Config) {
				t.Fatalf("unexpected config: %+v", e.Config)
			}
		})
	}
}

// TestShowHCLRoundTrip: what showconfig --format=hcl prints, loaded as a
// file over the defaults, gives the same configuration.
func TestShowHCLRoundTrip(t *testing.T) {
	e := load(t, `
quality = 80
bind-tcp = ["127.0.0.1:1", "[::1]:2"]
start = ["xterm -e 'echo \"hi\"'", "xeyes"]
auto-refresh-delay = 0.25
daemon = false
xvfb = "Xvfb $${HOME} %%{x} $DISPLAY"
socket-permissions = 660
env = []
encoder "x264" {
  enabled = true
  speed = 80
  tune = ["zerolatency"]
  opts = { a = 1, b = "two" }
}
auth "file" {
  filename = "/etc/xroam/passwd"
}
`, "quality = 90\n")
	if err := e.Apply([]Setting{{Option: Lookup(Options(), "clipboard-direction"), Value: "to-server", Origin: Origin{Kind: FromFlag, Name: "--clipboard-direction"}}}); err != nil {
		t.Fatal(err)
	}
	for _, all := range []bool{false, true} {
		var out bytes.Buffer
		if err := e.Show(&out, ShowOptions{Format: "hcl", All: all}); err != nil {
			t.Fatal(err)
		}
		back := New()
		if d := back.LoadSource("shown.hcl", out.Bytes()); d.HasErrors() {
			t.Fatalf("showconfig output does not load: %v\n%s", d, out.String())
		}
		for _, o := range Options() {
			if !o.Equal(&e.Config, &back.Config) {
				t.Errorf("all=%v: %s: got %#v, want %#v", all, o.Name, o.Get(&back.Config), o.Get(&e.Config))
			}
		}
		if len(back.Config.Plugins) != len(e.Config.Plugins) {
			t.Fatalf("plugins: got %d, want %d", len(back.Config.Plugins), len(e.Config.Plugins))
		}
		for _, p := range e.Config.Plugins {
			q := back.Plugin(p.Kind, p.Name)
			if q == nil {
				t.Fatalf("plugin %s %q lost", p.Kind, p.Name)
			}
			for n, a := range p.Attrs {
				if !q.Attrs[n].Value.Equals(a.Value).True() {
					t.Errorf("plugin %s %q attr %s: got %#v, want %#v", p.Kind, p.Name, n, q.Attrs[n].Value, a.Value)
				}
			}
		}
	}
}

func TestSecretsNeverShown(t *testing.T) {
	e := load(t, `
tcp-auth = ["password:value=hunter2"]
auth "password" { value = "hunter2" }
auth "exec" {
  command = "/bin/true"
  api-token = "hunter2"
}
`)
	for _, f := range Formats() {
		var out bytes.Buffer
		if err := e.Show(&out, ShowOptions{Format: f, All: true}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "hunter2") {
			t.Errorf("format %s shows a secret:\n%s", f, out.String())
		}
		if !strings.Contains(out.String(), "/bin/true") {
			t.Errorf("format %s hides a value that is not secret", f)
		}
	}
}

func TestPluginBlockMerge(t *testing.T) {
	e := load(t, `encoder "x264" {
  speed = 80
  enabled = true
}`, `encoder "x264" {
  speed = 90
}
encoder "vpx" {}`)
	p := e.Plugin("encoder", "x264")
	if p == nil || !p.Attrs["speed"].Value.Equals(cty.NumberIntVal(90)).True() || !p.Attrs["enabled"].Value.True() {
		t.Fatalf("merged block: %+v", p)
	}
	if p.Attrs["speed"].Origin.File != "f1.hcl" || p.Attrs["enabled"].Origin.File != "f0.hcl" {
		t.Errorf("origins: %+v", p.Attrs)
	}
	if e.Plugin("encoder", "vpx") == nil {
		t.Error("empty block lost")
	}
}

func TestSuggest(t *testing.T) {
	names := Names(Options())
	for in, want := range map[string]string{"bind_tcp": "bind-tcp", "qualty": "quality", "clipbaord": "clipboard", "zzzzzzzzzz": ""} {
		if got := Suggest(in, names); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzLoadSource: configuration files are edited by hand; whatever they
// hold, loading reports diagnostics and never panics.
func FuzzLoadSource(f *testing.F) {
	f.Add([]byte("quality = 80\nstart = [\"xterm\"]\nencoder \"x264\" { speed = 3 }\n"))
	f.Add([]byte("bind-tcp = \"a\"\nauth \"file\" { filename = \"x\" }"))
	f.Add([]byte("x = {"))
	f.Fuzz(func(t *testing.T, src []byte) {
		e := New()
		_ = e.LoadSource("fuzz.hcl", src)
		var out bytes.Buffer
		_ = e.Show(&out, ShowOptions{Format: "hcl"})
		_ = e.Show(&out, ShowOptions{Format: "json"})
	})
}
