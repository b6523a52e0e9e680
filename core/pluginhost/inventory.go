package pluginhost

import (
	"context"
	"fmt"

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
}

// Inventory lists the built-in plugins and every binary in dirs, asking
// each binary to describe itself, and says whether it can be used: a
// binary that does not describe itself or shares no API version is
// unavailable, and a block with `enabled = false` disables a plugin.
func Inventory(ctx context.Context, dirs []string, builtins []plugin.Servable, eff *config.Effective, apiVersions []int) []Entry {
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
		e := Entry{Kind: d.Kind, Name: d.Name, Version: d.Version, Path: "built-in", State: StateEnabled}
		if v, err := Negotiate(apiVersions, d.APIVersions); err == nil {
			e.API = v
		}
		state(&e)
		out = append(out, e)
	}
	found, ferr := Discover(dirs)
	for _, f := range found {
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
		default:
			e.Version = d.Version
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
