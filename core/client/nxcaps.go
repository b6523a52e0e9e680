package client

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xroam/xroam/core/wire"
)

// KeyboardOverride is what the user said about the local keyboard with
// xpra's client options (--keyboard-layout, --keyboard-raw, ...): it
// replaces what the display reports in the hello, so that a server that
// clones the client's keyboard loads this one.
type KeyboardOverride struct {
	Raw      bool
	Layout   string
	Layouts  []string
	Variant  string
	Variants []string
	Options  string
}

// The resolutions a client may ask for, as the server accepts them.
const (
	minDPI = 10
	maxDPI = 500
)

// overrideHello applies --dpi and the keyboard options to the hello.
func (c *client) overrideHello(h wire.Dict) {
	if d := c.cfg.DPI; d >= minDPI && d <= maxDPI {
		h["dpi"], h["dpi.x"], h["dpi.y"] = d, d, d
	}
	k := c.cfg.Keyboard
	if k.Raw {
		h["xkbmap_raw"] = true
	}
	q := wire.Dict{}
	if old, ok := wire.AsDict(h["xkbmap_query_struct"]); ok {
		for key, v := range old {
			q[key] = v
		}
	}
	changed := false
	var layouts []string
	if k.Layout != "" {
		layouts = append(layouts, k.Layout)
	}
	for _, l := range k.Layouts {
		if l != "" && !slices.Contains(layouts, l) {
			layouts = append(layouts, l)
		}
	}
	if len(layouts) > 0 {
		h["xkbmap_layout"] = layouts[0]
		h["xkbmap_layouts"] = layouts
		q["layout"] = strings.Join(layouts, ",")
		changed = true
	}
	var variants []string
	if k.Variant != "" {
		variants = append(variants, k.Variant)
	}
	variants = append(variants, k.Variants...)
	if len(variants) > 0 {
		h["xkbmap_variant"] = variants[0]
		h["xkbmap_variants"] = variants
		q["variant"] = strings.Join(variants, ",")
		changed = true
	} else if len(layouts) > 0 {
		// The display's variant belongs to the display's layout.
		h["xkbmap_variant"] = ""
		delete(q, "variant")
	}
	if k.Options != "" {
		h["xkbmap_options"] = k.Options
		q["options"] = k.Options
		changed = true
	}
	if !changed {
		return
	}
	h["xkbmap_query_struct"] = q
	var b strings.Builder
	for _, key := range []string{"rules", "model", "layout", "variant", "options"} {
		if v := q.Str(key, ""); v != "" {
			fmt.Fprintf(&b, "%-12s%s\n", key+":", v)
		}
	}
	h["xkbmap_query"] = b.String()
}
