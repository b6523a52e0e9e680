package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShowconfigPlugins lists the built-in plugins and the real plugin
// binaries, each asked to describe itself, and reports a plugin a conf.d
// file switches off as disabled, with where.
func TestShowconfigPlugins(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	confDir := filepath.Join(e.Home, "conf.d")
	os.MkdirAll(confDir, 0o700)
	os.WriteFile(filepath.Join(confDir, "50-site.hcl"), []byte("auth \"exec\" {\n  enabled = false\n}\n"), 0o600)
	// A binary that does not describe itself is unavailable, not fatal.
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "xroam-auth-broken"), []byte("#!/bin/sh\nexit 3\n"), 0o755)

	out := e.MustRun("showconfig", "--plugins", "--format=json", "--plugin-dir="+suite.PluginDir, "--plugin-dir="+broken, "--config-dir="+confDir)
	var got struct {
		Plugins []struct{ Kind, Name, Version, Path, State, Why string }
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	states := map[string]string{}
	for _, p := range got.Plugins {
		key := p.Kind + "/" + p.Name
		if p.Path == "built-in" {
			key += "/built-in"
		}
		states[key] = p.State
		if p.Kind == "auth" && p.Name == "exec" && !strings.Contains(p.Why, "50-site.hcl:2:3") {
			t.Errorf("exec disabled without its origin: %q", p.Why)
		}
		if p.Name == "file" && p.Version == "" {
			t.Error("the file plugin did not report its version")
		}
	}
	for key, want := range map[string]string{
		"auth/allow/built-in": "enabled", "encoder/rgb/built-in": "enabled", "auth/file": "enabled",
		"auth/sqlite": "enabled", "auth/exec": "disabled", "auth/broken": "unavailable",
		"clipboard/x11/built-in": "enabled",
	} {
		if states[key] != want {
			t.Errorf("%s is %q, want %q", key, states[key], want)
		}
	}
	// The disabled module refuses to start a session that asks for it.
	out, code := e.Run("start", "--daemon=no", "--plugin-dir="+suite.PluginDir, "--config-dir="+confDir, "--auth=exec:command=/bin/true")
	if code != 1 || !strings.Contains(out, "disabled") {
		t.Errorf("a disabled module: exit %d, %q", code, out)
	}
}

// TestPictureHelp: --video-encoders=help and --csc-modules=help list what
// the installed video plugins have, without starting a session.
func TestPictureHelp(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	out := e.MustRun("start", "--video-encoders=help", "--plugin-dir="+suite.PluginDir)
	for _, want := range []string{"x264", "h264", "vpx", "vp8, vp9"} {
		if !strings.Contains(out, want) {
			t.Errorf("--video-encoders=help lacks %q:\n%s", want, out)
		}
	}
	out = e.MustRun("start", "--csc-modules=help", "--plugin-dir="+suite.PluginDir)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 0 && (f[0] == "go" || f[0] == "libyuv") && !strings.Contains(line, "in vpx, x264") {
			t.Errorf("--csc-modules=help: %q is not in both video plugins:\n%s", f[0], out)
		}
	}
	if !strings.Contains(out, "libyuv") || !strings.Contains(out, "go ") {
		t.Errorf("--csc-modules=help:\n%s", out)
	}
	if _, err := os.Stat(e.SockDir); err == nil {
		t.Error("a help answer created the socket directory")
	}
}
