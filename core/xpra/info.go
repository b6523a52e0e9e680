package xpra

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/xroam/xroam/core/wire"
)

// InfoCaps turns a server's info tree into the entries of its info reply.
// With namespaces the tree keeps its nesting, as xpra sends it to a
// client that asked for "info-namespace"; without, nested keys are joined
// with dots ("server.pid"), as xpra's flat info.
func InfoCaps(tree map[string]any, namespaces bool) wire.Dict {
	if !namespaces {
		tree = flattenInfo(tree)
	}
	d := make(wire.Dict, len(tree))
	for k, v := range tree {
		d[k] = v
	}
	return d
}

// flattenInfo joins nested keys with dots.
func flattenInfo(tree map[string]any) map[string]any {
	out := map[string]any{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			if sub, ok := v.(map[string]any); ok {
				walk(key, sub)
				continue
			}
			out[key] = v
		}
	}
	walk("", tree)
	return out
}

// FormatInfo prints a decoded info reply as sorted key=value lines, nested
// dictionaries as dotted keys and lists in parentheses, the way xpra's
// info verb prints them.
func FormatInfo(w io.Writer, caps wire.Dict) error {
	lines := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if d, ok := wire.AsDict(v); ok {
			for k, val := range d {
				key := fmt.Sprint(k)
				if prefix != "" {
					key = prefix + "." + key
				}
				walk(key, val)
			}
			return
		}
		lines[prefix] = formatInfoValue(v)
	}
	walk("", map[any]any(caps))
	keys := make([]string, 0, len(lines))
	for k := range lines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, lines[k])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// formatInfoValue prints one leaf: text (decoded values may be bytes) as
// itself, a list as its elements in parentheses.
func formatInfoValue(v any) string {
	if s, ok := wire.AsString(v); ok {
		return s
	}
	if l, ok := wire.AsList(v); ok {
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = formatInfoValue(e)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprint(v)
}
