package client

import (
	"testing"

	"github.com/xroam/xroam/core/wire"
)

func TestOverrideHello(t *testing.T) {
	h := wire.Dict{"dpi": 96, "xkbmap_layout": "us", "xkbmap_variant": "intl",
		"xkbmap_query_struct": wire.Dict{"rules": "evdev", "model": "pc105", "layout": "us", "variant": "intl"}}
	c := &client{cfg: Config{DPI: 144, Keyboard: KeyboardOverride{Raw: true, Layout: "de", Layouts: []string{"de", "us"}, Options: "ctrl:nocaps"}}}
	c.overrideHello(h)
	q, _ := wire.AsDict(h["xkbmap_query_struct"])
	if h["dpi.x"] != 144 || h["xkbmap_raw"] != true || h["xkbmap_layout"] != "de" || h["xkbmap_variant"] != "" ||
		q.Str("layout", "") != "de,us" || q.Str("variant", "") != "" || q.Str("options", "") != "ctrl:nocaps" || q.Str("rules", "") != "evdev" {
		t.Errorf("hello %v", h)
	}
	if want := "rules:      evdev\nmodel:      pc105\nlayout:     de,us\noptions:    ctrl:nocaps\n"; h["xkbmap_query"] != want {
		t.Errorf("xkbmap_query %q, want %q", h["xkbmap_query"], want)
	}
	// Nothing asked: the hello is the display's.
	h = wire.Dict{"dpi": 96, "xkbmap_layout": "us"}
	(&client{cfg: Config{DPI: 5000}}).overrideHello(h)
	if h["dpi"] != 96 || len(h) != 2 {
		t.Errorf("hello changed: %v", h)
	}
}
