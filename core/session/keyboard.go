package session

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/xpra"
)

// keyboardSubsystem types the clients' keys on the display (keys.go finds
// the keycodes) and loads keyboard layouts: the session's own (--keyboard,
// see nx.go), a cloned client's, a client's new one (layout-changed).
type keyboardSubsystem struct {
	s *Server
	// mu serializes keyboard changes: two clients attaching at once
	// each load a keymap.
	mu sync.Mutex
}

func (*keyboardSubsystem) Name() string { return "keyboard" }

func (kb *keyboardSubsystem) Caps(context.Context, *attachment) (wire.Dict, error) {
	return wire.Dict{"keyboard": !kb.s.cfg.Readonly}, nil
}

func (kb *keyboardSubsystem) Handlers() map[string]handler {
	return map[string]handler{
		xpra.TypeKeyAction:     ui(kb.keyAction),
		xpra.TypeKeyboardSync:  ui(parsed(xpra.ParseKeyboardSync, kb.keyboardSync)),
		xpra.TypeLayoutChanged: ui(kb.layoutChanged),
	}
}

// keyAction types a client's key. Input keeps the client from idling
// out (see nx.go), whatever becomes of it.
func (kb *keyboardSubsystem) keyAction(_ context.Context, c *clientConn, pkt wire.Packet) error {
	s := kb.s
	s.nx.touch(c)
	ws, wc, err := s.win.client(c)
	if err != nil || s.cfg.Readonly {
		return err
	}
	k, err := xpra.ParseKeyAction(pkt)
	if err != nil {
		return fmt.Errorf("malformed packet: %w", err)
	}
	if kb.raw(c) {
		kb.rawKey(ws, k)
		return nil
	}
	if kb.unsyncedKey(ws, wc, k) {
		return nil
	}
	kb.press(ws, k, c.log)
	return nil
}

// keyboardSync is a client switching keyboard synchronisation on or off
// (see unsyncedKey).
func (kb *keyboardSubsystem) keyboardSync(_ context.Context, c *clientConn, ks xpra.KeyboardSync) error {
	_, wc, err := kb.s.win.client(c)
	if err != nil {
		return err
	}
	wc.keySync.Store(ks.Enabled)
	return nil
}

// layoutChanged follows a client's new layout when the session clones
// the client's (NX's keyboard=clone); otherwise the packet is ignored.
func (kb *keyboardSubsystem) layoutChanged(ctx context.Context, c *clientConn, pkt wire.Packet) error {
	s := kb.s
	if s.nx.keyboardInForce().Mode != "clone" {
		return errIgnored
	}
	log := s.log.With("uuid", c.caps.Str("uuid", ""))
	lc, err := xpra.ParseLayoutChanged(pkt)
	if err != nil {
		return errIgnored
	}
	kn := x11.KeyboardNames{Layout: lc.Layout, Variant: lc.Variant, Options: lc.Options}
	for _, v := range []string{kn.Layout, kn.Variant, kn.Options} {
		if !xkbName(v) {
			log.Warn("layout-changed: not an XKB name", "value", v)
			return nil
		}
	}
	if kn.Layout == "" {
		return nil
	}
	// The layout changes even when the client leaves meanwhile.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), nxApplyTimeout)
	defer cancel()
	if err := kb.apply(ctx, kn, log); err != nil {
		log.Warn("cannot follow the client's layout", "err", err)
	}
	return nil
}

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

// apply loads kn on the session's display and makes the window manager
// type with the new keymap.
func (kb *keyboardSubsystem) apply(ctx context.Context, kn x11.KeyboardNames, log *slog.Logger) error {
	kb.mu.Lock()
	defer kb.mu.Unlock()
	s := kb.s
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
	if ws := s.win.current(); ws != nil {
		if err := ws.wm.ReloadKeymap(); err != nil {
			return fmt.Errorf("keyboard mapping: %w", err)
		}
	}
	kb.report(ctx, log)
	return nil
}

// report logs the display's XKB configuration (keyboard=query).
func (kb *keyboardSubsystem) report(ctx context.Context, log *slog.Logger) {
	kn, err := x11.QueryKeyboard(ctx, fmt.Sprintf(":%d", kb.s.display))
	if err != nil {
		log.Warn("cannot read the keyboard", "err", err)
		return
	}
	log.Info("keyboard", "rules", kn.Rules, "model", kn.Model, "layout", kn.Layout, "variant", kn.Variant, "options", kn.Options)
}

// raw says whether c's keys are typed by their keycode as it is, without
// keysym translation: --keyboard-raw on the server, or a client that
// asks for it (xkbmap_raw, xpra's --keyboard-raw).
func (kb *keyboardSubsystem) raw(c *clientConn) bool {
	return kb.s.cfg.KeyboardRaw || c.caps.Bool("xkbmap_raw", false)
}

// rawKey types a key-action's client keycode as it is.
func (kb *keyboardSubsystem) rawKey(ws *windowSet, k xpra.KeyAction) {
	ws.mu.Lock()
	w, known := ws.wins[k.WID]
	focus := known && !w.OverrideRedirect && ws.focused != w.ID
	if focus {
		ws.focused = w.ID
	}
	ws.mu.Unlock()
	if !k.HasKeycode {
		return
	}
	if focus {
		ws.wm.Focus(w.ID)
	}
	ws.wm.Key(int(k.Keycode), k.Pressed)
}
