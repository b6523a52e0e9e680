package session

import (
	"strings"
	"testing"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
)

func TestParseNXOptions(t *testing.T) {
	o, err := parseNXOptions("f", []byte("nx/nx,keyboard=rmlvo/base%23pc105%23de%2Cus%23nodeadkeys%23lv3:rwin_switch, dpi=120,\nclipboard=server,timeout=60\n"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Keyboard == nil || *o.Keyboard != "rmlvo/base#pc105#de,us#nodeadkeys#lv3:rwin_switch" {
		t.Errorf("keyboard %v", o.Keyboard)
	}
	if o.DPI == nil || *o.DPI != 120 || o.ClipboardDirection == nil || *o.ClipboardDirection != "to-client" || o.IdleTimeout == nil || *o.IdleTimeout != 60 {
		t.Errorf("parsed %+v", o)
	}
	o, err = parseNXOptions("f", []byte("geometry=1024x768"))
	if err != nil || o.Geometry == nil || *o.Geometry != (screenSize{1024, 768}) {
		t.Errorf("geometry: %+v %v", o, err)
	}
	for in, want := range map[string]bool{"fullscreen=1": true, "fullscreen=0": false, "fullscreen=true": true} {
		o, err = parseNXOptions("f", []byte(in))
		if err != nil || o.Fullscreen == nil || *o.Fullscreen != want {
			t.Errorf("%s: %+v %v", in, o, err)
		}
	}
	o, err = parseNXOptions("f", []byte("kbtype=pc105/de"))
	if err != nil || o.Keyboard == nil || *o.Keyboard != "pc105/de" || o.DPI != nil {
		t.Errorf("kbtype: %+v %v", o, err)
	}
	for in, want := range map[string]bool{"shadowmode=0": false, "shadowmode=1": true} {
		o, err = parseNXOptions("f", []byte(in))
		if err != nil || o.ShadowFullAccess == nil || *o.ShadowFullAccess != want {
			t.Errorf("%s: %+v %v", in, o, err)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"shadowmode=2", "f:1:1: shadowmode: \"2\" is not 0 (view only) or 1 (full access)"},
		{"shadowuid=7", `the NX option "shadowuid" has no xroam equivalent`},
		{"dpi=120,bogus=1", `f:1:9: unknown NX option "bogus"`},
		{"dpi=120,\n  rootless=1", `f:2:3: the NX option "rootless" has no xroam equivalent`},
		{"fullscreen=maybe", `f:1:1: fullscreen: "maybe" is not 1 or 0`},
		{"dpi=5", "f:1:1: dpi:"},
		{"clipboard=sideways", "f:1:1: clipboard:"},
		{"geometry=800x600+10+10", "f:1:1: geometry: \"800x600+10+10\": offsets are not supported"},
		{"geometry=big", "f:1:1: geometry: \"big\" is not WIDTHxHEIGHT"},
		{"keyboard=pc105", "f:1:1: keyboard:"},
		{"keyboard=rmlvo/a#b#c", "f:1:1: keyboard: keyboard \"rmlvo/a#b#c\": rmlvo/ takes 5 fields"},
		{"keyboard=pc105/-x", "is not an XKB name"},
		{"timeout=-1", "f:1:1: timeout:"},
		{"dpi", `"dpi" is not key=value`},
		{"dpi=%zz", "bad URL encoding"},
		{"\xff", "not UTF-8"},
	} {
		_, err := parseNXOptions("f", []byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestParseKeyboardSpec(t *testing.T) {
	for in, want := range map[string]keyboardSpec{
		"":          {},
		"query":     {Mode: "query"},
		"clone":     {Mode: "clone"},
		"null/null": {Mode: "clone"},
		"pc105/de":  {Mode: "set", Names: x11.KeyboardNames{Model: "pc105", Layout: "de"}},
		"rmlvo/base#pc105#de,us#nodeadkeys#lv3:rwin_switch": {Mode: "set", Names: x11.KeyboardNames{
			Rules: "base", Model: "pc105", Layout: "de,us", Variant: "nodeadkeys", Options: "lv3:rwin_switch"}},
	} {
		got, err := parseKeyboardSpec(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"de", "rmlvo/", "rmlvo/a#b##d#e", "pc105/", "pc105/d e", "x/$(id)"} {
		if _, err := parseKeyboardSpec(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestStartKeyboard(t *testing.T) {
	kn, ok := startKeyboard(keyboardSpec{}, "de", []string{"de", "us"}, "nodeadkeys", nil, "ctrl:nocaps")
	if !ok || kn != (x11.KeyboardNames{Layout: "de,us", Variant: "nodeadkeys", Options: "ctrl:nocaps"}) {
		t.Errorf("%+v %v", kn, ok)
	}
	if _, ok := startKeyboard(keyboardSpec{Mode: "clone"}, "", nil, "", nil, ""); ok {
		t.Error("clone asked for a start keyboard")
	}
	kn, ok = startKeyboard(keyboardSpec{Mode: "set", Names: x11.KeyboardNames{Model: "pc105", Layout: "fr"}}, "", nil, "", nil, "")
	if !ok || kn.Layout != "fr" || kn.Model != "pc105" {
		t.Errorf("%+v %v", kn, ok)
	}
}

func TestClientHelloKeyboardAndDPI(t *testing.T) {
	caps := wire.Dict{"xkbmap_query_struct": map[any]any{"rules": "evdev", "model": "pc105", "layout": "fr"}, "dpi": int64(100), "dpi.x": int64(120), "dpi.y": int64(110)}
	kn, ok := clientKeyboard(caps)
	if !ok || kn != (x11.KeyboardNames{Rules: "evdev", Model: "pc105", Layout: "fr"}) {
		t.Errorf("%+v %v", kn, ok)
	}
	if x, y := clientDPI(caps); x != 120 || y != 110 {
		t.Errorf("dpi %d %d", x, y)
	}
	if x, _ := clientDPI(wire.Dict{"dpi": int64(9000)}); x != 0 {
		t.Errorf("out of range dpi taken: %d", x)
	}
	if _, ok := clientKeyboard(wire.Dict{"xkbmap_layout": "-rf"}); ok {
		t.Error("a layout that is an option was accepted")
	}
}

func FuzzParseNXOptions(f *testing.F) {
	f.Add([]byte("keyboard=pc105/de,dpi=120,clipboard=both,timeout=60"))
	f.Add([]byte("nx/nx,kbtype=rmlvo/base%23pc105%23de%23%23,\ngeometry=1x1"))
	f.Add([]byte("=,=,%,\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := parseNXOptions("f", b)
		if err == nil && o.Keyboard != nil {
			if _, err := parseKeyboardSpec(*o.Keyboard); err != nil {
				t.Fatalf("accepted keyboard %q: %v", *o.Keyboard, err)
			}
		}
	})
}

func TestXvfbCommandDPI(t *testing.T) {
	for _, c := range []struct {
		cmd  string
		dpi  int
		want string
	}{
		{"Xvfb -screen 0 800x600x24 -dpi 96 -noreset", 144, "Xvfb -screen 0 800x600x24 -dpi 144 -noreset"},
		{"Xvfb -dpi 96", 120, "Xvfb -dpi 120"},
		{"Xvfb -screen 0 800x600x24", 120, "Xvfb -screen 0 800x600x24 -dpi 120"},
		{"Xvfb -dpi 96", 0, "Xvfb -dpi 96"},
	} {
		n := &nxSubsystem{s: &Server{cfg: &config.Config{Xvfb: c.cmd, DPI: c.dpi}}}
		if got := n.xvfbCommand(); got != c.want {
			t.Errorf("%q with %d: %q, want %q", c.cmd, c.dpi, got, c.want)
		}
	}
}
