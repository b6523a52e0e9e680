package session

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/xpra"
)

// keyboardSpec is a parsed NX keyboard= value (--keyboard).
type keyboardSpec struct {
	// Mode is "query" (keep the display's keyboard and report it),
	// "clone" (take each attaching client's), "set" (Names), or "" when
	// no keyboard was asked for.
	Mode  string
	Names x11.KeyboardNames
}

// parseKeyboardSpec reads NX's keyboard forms: query, clone,
// <model>/<layout> (null/null means clone) and
// rmlvo/<rules>#<model>#<layout>#<variant>#<options>.
func parseKeyboardSpec(s string) (keyboardSpec, error) {
	switch s {
	case "":
		return keyboardSpec{}, nil
	case "query", "clone":
		return keyboardSpec{Mode: s}, nil
	}
	kind, rest, ok := strings.Cut(s, "/")
	if !ok {
		return keyboardSpec{}, fmt.Errorf("keyboard %q: want query, clone, MODEL/LAYOUT or rmlvo/RULES#MODEL#LAYOUT#VARIANT#OPTIONS", s)
	}
	var kn x11.KeyboardNames
	if kind == "rmlvo" {
		f := strings.Split(rest, "#")
		if len(f) != 5 {
			return keyboardSpec{}, fmt.Errorf("keyboard %q: rmlvo/ takes 5 fields separated by # (rules#model#layout#variant#options), got %d", s, len(f))
		}
		kn = x11.KeyboardNames{Rules: f[0], Model: f[1], Layout: f[2], Variant: f[3], Options: f[4]}
	} else {
		if kind == "null" && rest == "null" {
			return keyboardSpec{Mode: "clone"}, nil
		}
		kn = x11.KeyboardNames{Model: kind, Layout: rest}
	}
	if kn.Layout == "" {
		return keyboardSpec{}, fmt.Errorf("keyboard %q: no layout", s)
	}
	for _, v := range []string{kn.Rules, kn.Model, kn.Layout, kn.Variant, kn.Options} {
		if !xkbName(v) {
			return keyboardSpec{}, fmt.Errorf("keyboard %q: %q is not an XKB name", s, v)
		}
	}
	return keyboardSpec{Mode: "set", Names: kn}, nil
}

// xkbName accepts what XKB component names and option lists are made of.
func xkbName(s string) bool {
	if strings.HasPrefix(s, "-") {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-,:+().", r)
		if !ok {
			return false
		}
	}
	return true
}

// startKeyboard is the keyboard the session starts with: the NX form of
// --keyboard, then xpra's --keyboard-layout(s), -variant(s) and -options
// on top. ok is false when nothing asks for a keyboard.
func startKeyboard(spec keyboardSpec, layout string, layouts []string, variant string, variants []string, options string) (x11.KeyboardNames, bool) {
	kn := spec.Names
	set := spec.Mode == "set"
	var ls []string
	if layout != "" {
		ls = append(ls, layout)
	}
	for _, l := range layouts {
		if l != "" && !slices.Contains(ls, l) {
			ls = append(ls, l)
		}
	}
	if len(ls) > 0 {
		kn.Layout, set = strings.Join(ls, ","), true
	}
	var vs []string
	if variant != "" {
		vs = append(vs, variant)
	}
	vs = append(vs, variants...)
	if len(vs) > 0 {
		kn.Variant, set = strings.Join(vs, ","), true
	}
	if options != "" {
		kn.Options, set = options, true
	}
	if set && kn.Layout == "" {
		// A variant or options alone apply to the display's layout.
		return kn, true
	}
	return kn, set
}

// clientKeyboard is the XKB configuration an xpra client's hello
// describes (xkbmap_query_struct, else xkbmap_layout and friends).
func clientKeyboard(caps wire.Dict) (x11.KeyboardNames, bool) {
	var kn x11.KeyboardNames
	if q, ok := wire.AsDict(caps["xkbmap_query_struct"]); ok {
		kn = x11.KeyboardNames{Rules: q.Str("rules", ""), Model: q.Str("model", ""), Layout: q.Str("layout", ""), Variant: q.Str("variant", ""), Options: q.Str("options", "")}
	}
	if kn.Layout == "" {
		kn.Layout = caps.Str("xkbmap_layout", "")
		kn.Variant = caps.Str("xkbmap_variant", "")
		kn.Options = caps.Str("xkbmap_options", "")
	}
	if kn.Layout == "" {
		return kn, false
	}
	for _, v := range []string{kn.Rules, kn.Model, kn.Layout, kn.Variant, kn.Options} {
		if !xkbName(v) {
			return kn, false
		}
	}
	return kn, true
}

// applyKeyboard loads kn on the session's display and makes the window
// manager type with the new keymap.
func (s *Server) applyKeyboard(ctx context.Context, kn x11.KeyboardNames, log *slog.Logger) error {
	s.nx.kbMu.Lock()
	defer s.nx.kbMu.Unlock()
	display := fmt.Sprintf(":%d", s.display)
	if kn.Layout == "" {
		cur, err := x11.QueryKeyboard(ctx, display)
		if err != nil {
			return err
		}
		kn.Layout = cur.Layout
	}
	if err := x11.SetKeyboard(ctx, display, kn); err != nil {
		return err
	}
	if ws := s.windows(); ws != nil {
		if err := ws.wm.ReloadKeymap(); err != nil {
			return fmt.Errorf("keyboard mapping: %w", err)
		}
	}
	s.reportKeyboard(ctx, log)
	return nil
}

// reportKeyboard logs the display's XKB configuration (keyboard=query).
func (s *Server) reportKeyboard(ctx context.Context, log *slog.Logger) {
	kn, err := x11.QueryKeyboard(ctx, fmt.Sprintf(":%d", s.display))
	if err != nil {
		log.Warn("cannot read the keyboard", "err", err)
		return
	}
	log.Info("keyboard", "rules", kn.Rules, "model", kn.Model, "layout", kn.Layout, "variant", kn.Variant, "options", kn.Options)
}

// rawKeyAction types a key-action's client keycode as it is, without
// keysym translation: --keyboard-raw on the server, or a client that
// asks for it (xkbmap_raw, xpra's --keyboard-raw). It reports whether
// the packet was handled here.
func (s *Server) rawKeyAction(c *clientConn, pkt wire.Packet) bool {
	if !s.cfg.KeyboardRaw && !c.caps.Bool("xkbmap_raw", false) {
		return false
	}
	ws := s.windows()
	if ws == nil {
		return false
	}
	k, err := xpra.ParseKeyAction(pkt)
	if err != nil {
		return false
	}
	wid, pressed, code, ok := k.WID, k.Pressed, k.Keycode, k.HasKeycode
	ws.mu.Lock()
	_, sub := ws.subs[c]
	w, known := ws.wins[wid]
	focus := known && !w.OverrideRedirect && ws.focused != w.ID
	if focus {
		ws.focused = w.ID
	}
	ws.mu.Unlock()
	if !sub {
		return false
	}
	if s.cfg.Readonly || !ok {
		return true
	}
	if focus {
		ws.wm.Focus(w.ID)
	}
	ws.wm.Key(int(code), pressed)
	return true
}
