package x11

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// QueryKeyboard reads the XKB configuration a display says it runs
// (_XKB_RULES_NAMES on the root window), as `setxkbmap -query` does.
func QueryKeyboard(ctx context.Context, display string) (KeyboardNames, error) {
	n, err := ParseDisplay(display)
	if err != nil {
		return KeyboardNames{}, fmt.Errorf("query keyboard: %w", err)
	}
	c, err := connect(ctx, display, n)
	if err != nil {
		return KeyboardNames{}, fmt.Errorf("query keyboard on %s: %w", display, err)
	}
	defer c.close()
	v, err := rootString(ctx, c, "_XKB_RULES_NAMES")
	if err != nil {
		return KeyboardNames{}, fmt.Errorf("query keyboard: %w", err)
	}
	parts := strings.Split(v, "\x00")
	for len(parts) < 5 {
		parts = append(parts, "")
	}
	return KeyboardNames{Rules: parts[0], Model: parts[1], Layout: parts[2], Variant: parts[3], Options: parts[4]}, nil
}

// SetKeyboard loads the XKB keymap that kn names onto display: the rules
// file turns the names into keycodes, types, compat and symbols, which
// the X server compiles and installs, and _XKB_RULES_NAMES records them.
// An empty Rules or Model keeps the display's own. It runs setxkbmap
// (x11-xkb-utils), the reference implementation of the rules lookup.
func SetKeyboard(ctx context.Context, display string, kn KeyboardNames) error {
	if kn.Layout == "" {
		return errors.New("set keyboard: no layout")
	}
	for _, f := range []string{kn.Rules, kn.Model, kn.Layout, kn.Variant, kn.Options} {
		// The values become arguments, never options of setxkbmap.
		if strings.HasPrefix(f, "-") || strings.ContainsAny(f, "\x00\n") {
			return fmt.Errorf("set keyboard: invalid XKB name %q", f)
		}
	}
	cur, err := QueryKeyboard(ctx, display)
	if err != nil {
		return err
	}
	if kn.Rules == "" {
		kn.Rules = cur.Rules
	}
	if kn.Model == "" {
		kn.Model = cur.Model
	}
	if cur == kn {
		// Already loaded (a client attaching again): a keymap load costs
		// tens of milliseconds of the attach.
		return nil
	}
	args := []string{"-display", display}
	if kn.Rules != "" {
		args = append(args, "-rules", kn.Rules)
	}
	if kn.Model != "" {
		args = append(args, "-model", kn.Model)
	}
	// "-option" with no value first clears the options already loaded.
	args = append(args, "-layout", kn.Layout, "-variant", kn.Variant, "-option", "")
	if kn.Options != "" {
		args = append(args, "-option", kn.Options)
	}
	cmd := exec.CommandContext(ctx, "setxkbmap", args...)
	cmd.Env = toolEnv(os.Environ())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if errors.Is(err, exec.ErrNotFound) {
			msg = "install x11-xkb-utils"
		}
		return fmt.Errorf("set keyboard %s/%s: setxkbmap: %w (%s)", kn.Layout, kn.Variant, err, msg)
	}
	got, err := QueryKeyboard(ctx, display)
	if err != nil {
		return err
	}
	if got.Layout != kn.Layout || got.Variant != kn.Variant {
		return fmt.Errorf("set keyboard: the display kept layout %q variant %q (asked %q %q): %s", got.Layout, got.Variant, kn.Layout, kn.Variant, strings.TrimSpace(out.String()))
	}
	return nil
}

// KeyboardNames is the XKB configuration of the display as its root
// window's _XKB_RULES_NAMES says (empty when the property is absent).
type KeyboardNames struct {
	Rules, Model, Layout, Variant, Options string
}

// toolEnv is the environment of the X tools the server runs for itself
// (setxkbmap): what finding the program, the display's authority and the
// locale take, and nothing else, so that a secret of the server's
// environment (a password an env auth module reads) never reaches them.
func toolEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH", k == "HOME", k == "XAUTHORITY", k == "LANG", k == "TMPDIR",
			strings.HasPrefix(k, "LC_"):
			out = append(out, kv)
		}
	}
	return out
}
