package pluginhost_test

import (
	"slices"
	"testing"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/pluginhost"
)

func TestClipboardSettingsOf(t *testing.T) {
	def := pluginhost.ClipboardSettingsOf(nil)
	if !slices.Equal(def.Selections, []string{"CLIPBOARD", "PRIMARY"}) || def.MaxBytes != 0 {
		t.Errorf("no block: %+v", def)
	}
	for _, c := range []struct {
		src  string
		sels []string
		max  int
	}{
		{`clipboard "x11" {
  selections = ["CLIPBOARD", "PRIMARY", "SECONDARY"]
  max_size   = 1048576
}`, []string{"CLIPBOARD", "PRIMARY", "SECONDARY"}, 1 << 20},
		{`clipboard "x11" {
  selections = ["SECONDARY", 3]
  max_size   = "big"
}`, []string{"CLIPBOARD", "PRIMARY"}, 0},
		{`clipboard "x11" { timeout = "2s" }`, []string{"CLIPBOARD", "PRIMARY"}, 0},
	} {
		e := config.New()
		if d := e.LoadSource("40-clipboard.hcl", []byte(c.src)); d.HasErrors() {
			t.Fatalf("%s: %v", c.src, d)
		}
		got := pluginhost.ClipboardSettingsOf(e.Plugin("clipboard", "x11"))
		if !slices.Equal(got.Selections, c.sels) || got.MaxBytes != c.max {
			t.Errorf("%s: %+v, want %v %d", c.src, got, c.sels, c.max)
		}
	}
}
