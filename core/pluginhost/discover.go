package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xroam/xroam/sdk/plugin"
)

// SystemDir is where packages install plugins.
const SystemDir = "/usr/libexec/xroam/plugins"

// DefaultDirs returns the directories searched for plugins, first match
// wins: the --plugin-dir directories, the user's ~/.local/lib/xroam/plugins,
// the build-time directory and /usr/libexec/xroam/plugins. Empty entries
// and repeats are dropped.
func DefaultDirs(flagDirs []string, home, buildDir string) []string {
	var dirs []string
	dirs = append(dirs, flagDirs...)
	if home != "" {
		dirs = append(dirs, filepath.Join(home, ".local", "lib", "xroam", "plugins"))
	}
	dirs = append(dirs, buildDir, SystemDir)
	var out []string
	for _, d := range dirs {
		if d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// Found is a plugin binary found in a plugin directory.
type Found struct {
	Kind, Name string
	Path       string
}

// BinaryName is the file name of a plugin binary.
func BinaryName(kind, name string) string { return "xroam-" + kind + "-" + name }

// ParseBinaryName splits xroam-<kind>-<name>; ok is false for other names.
func ParseBinaryName(base string) (kind, name string, ok bool) {
	rest, ok := strings.CutPrefix(base, "xroam-")
	if !ok {
		return "", "", false
	}
	kind, name, ok = strings.Cut(rest, "-")
	return kind, name, ok && kind != "" && name != ""
}

// Discover lists the plugin binaries in dirs: executable regular files
// named xroam-<kind>-<name>. A plugin found in an earlier directory hides
// one of the same kind and name in a later one. Missing directories are
// skipped.
func Discover(dirs []string) ([]Found, error) {
	var out []Found
	seen := map[string]bool{}
	var errs []error
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("plugin directory: %w", err))
			continue
		}
		for _, e := range entries {
			kind, name, ok := ParseBinaryName(e.Name())
			if !ok || seen[kind+"/"+name] {
				continue
			}
			p := filepath.Join(d, e.Name())
			st, err := os.Stat(p)
			if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
				continue
			}
			seen[kind+"/"+name] = true
			out = append(out, Found{Kind: kind, Name: name, Path: p})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	return out, errors.Join(errs...)
}

// Describe runs `path describe` with a minimal environment and decodes its
// answer. The binary is not served: describe only prints and exits.
func Describe(ctx context.Context, path string, env []string) (*plugin.Description, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "describe")
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s describe: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	var d plugin.Description
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		return nil, fmt.Errorf("%s describe: bad output: %w", path, err)
	}
	if d.Kind == "" || d.Name == "" || len(d.APIVersions) == 0 {
		return nil, fmt.Errorf("%s describe: kind, name and api_versions are required", path)
	}
	return &d, nil
}

// Negotiate returns the highest API version in both sets, or an error
// naming both.
func Negotiate(host, plug []int) (int, error) {
	best := -1
	for _, v := range plug {
		if slices.Contains(host, v) && v > best {
			best = v
		}
	}
	if best < 0 {
		return 0, fmt.Errorf("no common plugin API version: xroam speaks %v, the plugin speaks %v", host, plug)
	}
	return best, nil
}
