package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/pipeline"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/sdk"
	"github.com/xroam/xroam/sdk/plugin"
)

// pluginDirs are the directories searched for plugin binaries.
func pluginDirs(inv *Invocation) []string {
	return pluginhost.DefaultDirs(inv.Config.Config.PluginDir, inv.Env.Getenv("HOME"), inv.Env.Build.PluginDir)
}

// showPlugins prints every plugin this installation has, with its version
// and whether it can be used (showconfig --plugins).
func showPlugins(ctx context.Context, inv *Invocation) error {
	dirs := pluginDirs(inv)
	entries := pluginhost.Inventory(ctx, dirs, inv.Env.Build.Builtins, inv.Config, sdk.APIVersions())
	switch inv.Flags["format"] {
	case "json":
		type jentry struct {
			Kind    string `json:"kind"`
			Name    string `json:"name"`
			Version string `json:"version"`
			Path    string `json:"path"`
			API     int    `json:"api_version,omitempty"`
			State   string `json:"state"`
			Why     string `json:"why,omitempty"`
			// Encodings are what an encoder serves.
			Encodings []string `json:"encodings,omitempty"`
		}
		out := struct {
			Dirs    []string `json:"dirs"`
			Plugins []jentry `json:"plugins"`
		}{Dirs: dirs, Plugins: []jentry{}}
		for _, e := range entries {
			out.Plugins = append(out.Plugins, jentry{e.Kind, e.Name, e.Version, e.Path, e.API, e.State, e.Why, e.Encodings})
		}
		enc := json.NewEncoder(inv.Env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "text", "":
		fmt.Fprintf(inv.Env.Stdout, "# plugin directories: %v\n", dirs)
		tw := tabwriter.NewWriter(inv.Env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tNAME\tVERSION\tSTATE\tPATH")
		for _, e := range entries {
			state := e.State
			if e.Why != "" {
				state += " (" + e.Why + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Kind, e.Name, e.Version, state, e.Path)
		}
		return tw.Flush()
	}
	return &UsageError{Msg: "--plugins lists plugins as text or json"}
}

// videoEncodersHelp answers --video-encoders=help: each video encoder
// plugin (an installed encoder whose description lists a video encoding,
// or a name the option accepts), the video encodings it serves, and
// whether this installation can use it.
func videoEncodersHelp(ctx context.Context, inv *Invocation) error {
	found := map[string]pluginhost.Entry{}
	for _, e := range pluginhost.Inventory(ctx, pluginDirs(inv), inv.Env.Build.Builtins, inv.Config, sdk.APIVersions()) {
		if _, seen := found[e.Name]; !seen && e.Kind == plugin.KindEncoder && slices.ContainsFunc(e.Encodings, pipeline.IsVideo) {
			found[e.Name] = e
		}
	}
	names := slices.Collect(maps.Keys(found))
	if o := config.Lookup(config.Options(), "video-encoders"); o != nil {
		for _, n := range o.Enum {
			if n != "all" && n != "none" && n != "help" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	fmt.Fprintln(inv.Env.Stdout, "video encoders (--video-encoders=all, none, or a comma-separated list of):")
	tw := tabwriter.NewWriter(inv.Env.Stdout, 0, 4, 2, ' ', 0)
	for _, n := range names {
		state, encs := "not installed", "-"
		if e, ok := found[n]; ok {
			state = e.State
			if e.Why != "" {
				state += " (" + e.Why + ")"
			}
			var video []string
			for _, enc := range e.Encodings {
				if pipeline.IsVideo(enc) {
					video = append(video, enc)
				}
			}
			encs = strings.Join(video, ", ")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", n, encs, state)
	}
	return tw.Flush()
}

// cscModules describes the colourspace converters that --csc-modules
// names, fastest first.
var cscModules = [...]struct{ name, what string }{
	{"libyuv", "SIMD rows of Debian's libyuv"},
	{"go", "portable Go, the reference"},
}

// cscModulesHelp answers --csc-modules=help: each converter, and which
// installed video encoder plugins have it built in (the default of their
// csc attribute lists those, fastest first).
func cscModulesHelp(ctx context.Context, inv *Invocation) error {
	has := map[string][]string{}
	found, _ := pluginhost.Discover(pluginDirs(inv))
	for _, f := range found {
		if f.Kind != plugin.KindEncoder {
			continue
		}
		d, err := pluginhost.Describe(ctx, f.Path, pluginhost.MinimalEnv())
		if err != nil || !slices.ContainsFunc(d.Encodings, pipeline.IsVideo) {
			continue
		}
		for _, a := range d.Schema.Attrs {
			if list, ok := a.Default.([]any); ok && a.Name == "csc" {
				for _, m := range list {
					if s, ok := m.(string); ok && !slices.Contains(has[s], f.Name) {
						has[s] = append(has[s], f.Name)
					}
				}
			}
		}
	}
	fmt.Fprintln(inv.Env.Stdout, "colourspace converters (--csc-modules=all, none, or a comma-separated list of):")
	tw := tabwriter.NewWriter(inv.Env.Stdout, 0, 4, 2, ' ', 0)
	for _, m := range cscModules {
		in := "in no installed video encoder"
		if len(has[m.name]) > 0 {
			in = "in " + strings.Join(has[m.name], ", ")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.name, m.what, in)
	}
	return tw.Flush()
}
