package pluginhost

import (
	"context"
	"fmt"
	"slices"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/sdk/plugin"
)

// Plugin states as showconfig reports them.
const (
	StateEnabled     = "enabled"
	StateDisabled    = "disabled"
	StateUnavailable = "unavailable"
)

// Entry is one plugin known to this installation.
type Entry struct {
	Kind, Name string
	Version    string
	// Path is the binary, or "built-in".
	Path string
	// API is the negotiated plugin API version (0 when unavailable).
	API   int
	State string
	// Why explains a disabled or unavailable state.
	Why string
	// Encodings are the xpra encodings an encoder serves, as its
	// description lists them; for one whose description lists none (a
	// plugin built before descriptions did) or could not be read, the
	// encoding of its own name. Empty for the other kinds, and for a
	// binary hidden by the built-in of its name.
	Encodings []string
}

// Inventory lists the built-in plugins and every binary in dirs, asking
// each binary to describe itself, and says whether it can be used: a
// binary that does not describe itself or shares no API version is
// unavailable, and a block with `enabled = false` disables a plugin.
func Inventory(ctx context.Context, dirs []string, builtins []plugin.Servable, eff *config.Effective, apiVersions []int) []Entry {
	return inventory(ctx, dirs, builtins, eff, apiVersions, "")
}

// inventory is Inventory of the plugins of one kind ("" for every kind),
// which runs only that kind's binaries.
func inventory(ctx context.Context, dirs []string, builtins []plugin.Servable, eff *config.Effective, apiVersions []int, kind string) []Entry {
	var out []Entry
	state := func(e *Entry) {
		if eff == nil {
			return
		}
		if off, at := Disabled(eff.Plugin(e.Kind, e.Name)); off {
			e.State, e.Why = StateDisabled, fmt.Sprintf("enabled = false at %s", at)
		}
	}
	builtin := map[string]bool{}
	for _, b := range builtins {
		d := b.Describe()
		builtin[d.Kind+"/"+d.Name] = true
		if kind != "" && d.Kind != kind {
			continue
		}
		e := Entry{Kind: d.Kind, Name: d.Name, Version: d.Version, Path: "built-in", State: StateEnabled,
			Encodings: servedEncodings(d.Kind, d.Name, d.Encodings)}
		if v, err := Negotiate(apiVersions, d.APIVersions); err == nil {
			e.API = v
		}
		state(&e)
		out = append(out, e)
	}
	found, ferr := Discover(dirs)
	for _, f := range found {
		if kind != "" && f.Kind != kind {
			continue
		}
		e := Entry{Kind: f.Kind, Name: f.Name, Path: f.Path, State: StateEnabled}
		if builtin[f.Kind+"/"+f.Name] {
			// The host runs the built-in unless told to prefer binaries.
			e.State, e.Why = StateDisabled, "the built-in of the same name is used"
			out = append(out, e)
			continue
		}
		d, err := Describe(ctx, f.Path, MinimalEnv())
		switch {
		case err != nil:
			e.State, e.Why = StateUnavailable, err.Error()
			e.Encodings = servedEncodings(f.Kind, f.Name, nil)
		default:
			e.Version = d.Version
			e.Encodings = servedEncodings(f.Kind, f.Name, d.Encodings)
			if v, err := Negotiate(apiVersions, d.APIVersions); err != nil {
				e.State, e.Why = StateUnavailable, err.Error()
			} else {
				e.API = v
				state(&e)
			}
		}
		out = append(out, e)
	}
	if ferr != nil {
		out = append(out, Entry{Kind: "?", Name: "?", State: StateUnavailable, Why: ferr.Error()})
	}
	return out
}

// servedEncodings is an Entry's Encodings: those listed, or for an encoder
// that lists none the encoding of its name, which is the one encoding
// such a plugin was asked for before descriptions listed them.
func servedEncodings(kind, name string, listed []string) []string {
	switch {
	case kind != plugin.KindEncoder:
		return nil
	case len(listed) == 0:
		return []string{name}
	}
	return slices.Clone(listed)
}
