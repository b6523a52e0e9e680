package pluginhost

import (
	"github.com/xroam/xroam/core/config"
)

// ClipboardSettings are what a clipboard backend's block tells the
// protocol above it: the selections the backend keeps and its largest
// transfer. The protocol must agree with the backend, or a selection the
// backend watches is dropped and contents it refuses are asked for.
type ClipboardSettings struct {
	// Selections default to CLIPBOARD and PRIMARY.
	Selections []string
	// MaxBytes is 0 when the block does not set max_size.
	MaxBytes int
}

// ClipboardSettingsOf reads the selections and max_size attributes of a
// clipboard block (nil for none). A value of the wrong type is left to the
// backend's schema, which refuses it with its file:line:col when the
// backend starts, so it reads here as unset.
func ClipboardSettingsOf(blk *config.PluginBlock) ClipboardSettings {
	cs := ClipboardSettings{Selections: []string{"CLIPBOARD", "PRIMARY"}}
	if blk == nil {
		return cs
	}
	if a, ok := blk.Attrs["selections"]; ok {
		if v, err := plainValue(a.Value); err == nil {
			if l, ok := v.([]any); ok && len(l) > 0 {
				var sels []string
				for _, x := range l {
					if s, ok := x.(string); ok {
						sels = append(sels, s)
					}
				}
				if len(sels) == len(l) {
					cs.Selections = sels
				}
			}
		}
	}
	if a, ok := blk.Attrs["max_size"]; ok {
		if v, err := plainValue(a.Value); err == nil {
			if n, ok := v.(int64); ok && n > 0 && n <= 1<<40 {
				cs.MaxBytes = int(n)
			}
		}
	}
	return cs
}
