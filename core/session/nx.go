package session

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/wm"
	"github.com/xroam/xroam/core/xpra"
)

// nxState holds the session settings that NX lets an attach change
// (the options file is re-read then) and the idle clock of each client.
type nxState struct {
	// kbMu serializes keyboard changes: two clients attaching at once
	// each load a keymap.
	kbMu sync.Mutex
	mu   sync.Mutex
	// keyboard is the NX keyboard form in force (--keyboard, or the
	// options file's keyboard=).
	keyboard keyboardSpec
	// dpi is the fixed resolution (0: each client's own).
	dpi int
	// clipboardDirection is --clipboard-direction as the options file
	// last set it.
	clipboardDirection string
	idleTimeout        int
	// geometry is the options file's screen size (zero: none).
	geometry screenSize
	// fullscreen is the options file's fullscreen=1: it overrides
	// geometry and makes a desktop's window fullscreen on the client.
	fullscreen bool
	// lastInput is when each UI client last sent input.
	lastInput map[*clientConn]time.Time
}

// nxApplyTimeout bounds the keyboard and resolution changes of an attach:
// a wedged display must not hold the client's hello forever.
const nxApplyTimeout = 10 * time.Second

// nxPrepare checks the NX-style options and reads the options file,
// before the display starts: its dpi goes on Xvfb's command line.
func (s *Server) nxPrepare() error {
	if s.cfg.OptionsFile != "" {
		o, err := readOptionsFile(s.cfg.OptionsFile)
		if err != nil {
			return err
		}
		// Nothing runs yet: the file's values become the configuration.
		if o.Keyboard != nil {
			s.cfg.Keyboard = *o.Keyboard
		}
		if o.DPI != nil {
			s.cfg.DPI = *o.DPI
		}
		if o.ClipboardDirection != nil {
			s.cfg.ClipboardDirection = *o.ClipboardDirection
		}
		if o.IdleTimeout != nil {
			s.cfg.IdleTimeout = *o.IdleTimeout
		}
		// NX's view-only and full-access shadows. View only wins over
		// full access: shadowmode=1 does not undo --readonly.
		if o.ShadowFullAccess != nil {
			if s.opts.Mode != "shadow" {
				return fmt.Errorf("--options-file %s: shadowmode= is for shadow sessions", s.cfg.OptionsFile)
			}
			if !*o.ShadowFullAccess {
				s.cfg.Readonly = true
			}
		}
		s.nx.mu.Lock()
		if o.Geometry != nil {
			s.nx.geometry = *o.Geometry
		}
		if o.Fullscreen != nil {
			s.nx.fullscreen = *o.Fullscreen
		}
		s.nx.mu.Unlock()
	}
	if d := s.cfg.DPI; d != 0 && (d < x11.MinDPI || d > x11.MaxDPI) {
		return fmt.Errorf("--dpi=%d: the resolution must be from %d to %d (0: the client's)", d, x11.MinDPI, x11.MaxDPI)
	}
	if s.cfg.IdleTimeout < 0 {
		return fmt.Errorf("--idle-timeout=%d: want a number of seconds (0: never)", s.cfg.IdleTimeout)
	}
	spec, err := parseKeyboardSpec(s.cfg.Keyboard)
	if err != nil {
		return fmt.Errorf("--keyboard: %w", err)
	}
	s.nx.mu.Lock()
	s.nx.keyboard = spec
	s.nx.dpi = s.cfg.DPI
	s.nx.clipboardDirection = s.cfg.ClipboardDirection
	s.nx.idleTimeout = s.cfg.IdleTimeout
	s.nx.lastInput = map[*clientConn]time.Time{}
	s.nx.mu.Unlock()
	return nil
}

// xvfbCommand is --xvfb with --dpi in place of the command's own -dpi.
func (s *Server) xvfbCommand() string {
	cmd := s.cfg.Xvfb
	if s.cfg.DPI <= 0 {
		return cmd
	}
	arg := " -dpi " + strconv.Itoa(s.cfg.DPI)
	xvfbDPIArg := regexp.MustCompile(`(^|\s)-dpi\s+\S+`)
	if xvfbDPIArg.MatchString(cmd) {
		return xvfbDPIArg.ReplaceAllString(cmd, arg)
	}
	return cmd + arg
}

// nxSetupDisplay applies the keyboard and the resolution to a new
// display, before the window manager and the commands start, so that
// applications start with them. A layout that cannot be loaded fails the
// start: the user asked for it.
func (s *Server) nxSetupDisplay(ctx context.Context) error {
	if s.opts.Mode == "shadow" {
		return nil
	}
	display := fmt.Sprintf(":%d", s.display)
	if s.cfg.DPI > 0 {
		if err := x11.SetDPI(ctx, display, s.cfg.DPI, s.cfg.DPI); err != nil {
			return fmt.Errorf("--dpi: %w", err)
		}
	}
	spec, geom := s.nxKeyboard(), s.nxGeometry()
	if geom != (screenSize{}) {
		s.resizeToGeometry(ctx, geom, s.log)
	}
	kn, set := startKeyboard(spec, s.cfg.KeyboardLayout, s.cfg.KeyboardLayouts, s.cfg.KeyboardVariant, s.cfg.KeyboardVariants, s.cfg.KeyboardOptions)
	if set {
		if err := s.applyKeyboard(ctx, kn, s.log); err != nil {
			return fmt.Errorf("keyboard: %w", err)
		}
	} else if spec.Mode == "query" {
		s.reportKeyboard(ctx, s.log)
	}
	return nil
}

// nxAttach runs as a UI client attaches: the options file is read again
// (NX applies it on resume), then the keyboard and the resolution follow
// the file or the client. Failures are logged; the attach goes on.
func (s *Server) nxAttach(ctx context.Context, c *clientConn, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, nxApplyTimeout)
	defer cancel()
	s.nx.mu.Lock()
	s.nx.lastInput[c] = time.Now()
	s.nx.mu.Unlock()
	if s.opts.Mode == "shadow" {
		return
	}
	changedKeyboard := false
	if s.cfg.OptionsFile != "" {
		o, err := readOptionsFile(s.cfg.OptionsFile)
		if err != nil {
			log.Warn("options file not applied: keeping the previous settings", "err", err)
		} else {
			s.nx.mu.Lock()
			if o.Keyboard != nil {
				if spec, err := parseKeyboardSpec(*o.Keyboard); err == nil && spec != s.nx.keyboard {
					s.nx.keyboard, changedKeyboard = spec, true
				}
			}
			if o.DPI != nil {
				s.nx.dpi = *o.DPI
			}
			if o.ClipboardDirection != nil {
				s.nx.clipboardDirection = *o.ClipboardDirection
			}
			var geom screenSize
			if o.Geometry != nil && *o.Geometry != s.nx.geometry {
				s.nx.geometry, geom = *o.Geometry, *o.Geometry
			}
			if o.Fullscreen != nil && *o.Fullscreen != s.nx.fullscreen {
				s.nx.fullscreen = *o.Fullscreen
				if !s.nx.fullscreen {
					// Back from fullscreen: the geometry holds again.
					geom = s.nx.geometry
				}
			}
			if s.nx.fullscreen {
				geom = screenSize{}
			}
			s.nx.mu.Unlock()
			// A desktop's window keeps the size it was laid out for, as
			// fitScreen does for clients' desktops.
			if geom != (screenSize{}) && s.opts.Mode == "seamless" {
				s.resizeToGeometry(ctx, geom, log)
			}
			log.Info("options file read again", "file", s.cfg.OptionsFile, "clipboard-direction", s.clipboardDirection())
			if o.ClipboardDirection != nil && s.clipHub() != nil {
				if code, msg := s.controlClipboardDirection([]string{*o.ClipboardDirection}); code != 0 {
					log.Warn("options file: clipboard direction not applied", "err", msg)
				}
			}
		}
	}
	s.nx.mu.Lock()
	spec, dpi := s.nx.keyboard, s.nx.dpi
	s.nx.mu.Unlock()
	switch {
	case spec.Mode == "clone":
		if kn, ok := clientKeyboard(c.caps); ok {
			if err := s.applyKeyboard(ctx, kn, log); err != nil {
				log.Warn("cannot clone the client's keyboard", "err", err)
			}
		} else {
			log.Info("keyboard=clone: the client sent no XKB layout")
		}
	case spec.Mode == "set" && changedKeyboard:
		if err := s.applyKeyboard(ctx, spec.Names, log); err != nil {
			log.Warn("cannot apply the options file's keyboard", "err", err)
		}
	case spec.Mode == "query" && changedKeyboard:
		s.reportKeyboard(ctx, log)
	}
	dx, dy := dpi, dpi
	if dpi == 0 {
		dx, dy = clientDPI(c.caps)
	}
	if dx > 0 {
		if err := x11.SetDPI(ctx, fmt.Sprintf(":%d", s.display), dx, dy); err != nil {
			log.Warn("cannot set the resolution", "err", err)
		} else {
			log.Info("resolution", "dpi-x", dx, "dpi-y", dy, "from", map[bool]string{true: "client", false: "session"}[dpi == 0])
		}
	}
}

// clientDPI is the resolution an xpra client's hello gives (dpi.x and
// dpi.y, else dpi), 0 when absent or out of range.
func clientDPI(caps wire.Dict) (int, int) {
	ok := func(v int64) bool { return v >= x11.MinDPI && v <= x11.MaxDPI }
	d := caps.Int("dpi", 0)
	x, y := caps.Int("dpi.x", d), caps.Int("dpi.y", d)
	if !ok(x) || !ok(y) {
		if !ok(d) {
			return 0, 0
		}
		x, y = d, d
	}
	return int(x), int(y)
}

// clipboardDirection is the clipboard direction in force: the options
// file read at the last attach may have changed --clipboard-direction.
func (s *Server) clipboardDirection() string {
	s.nx.mu.Lock()
	defer s.nx.mu.Unlock()
	if s.nx.clipboardDirection == "" {
		return s.cfg.ClipboardDirection
	}
	return s.nx.clipboardDirection
}

// nxPacket looks at a client's packet before the others: input resets
// the client's idle clock, and raw keys are typed here. It reports
// whether the packet was handled.
func (s *Server) nxPacket(c *clientConn, pkt wire.Packet) bool {
	if !c.ui {
		return false
	}
	switch pkt.Type() {
	case xpra.TypeKeyAction, xpra.TypeButtonAction, xpra.TypePointerPosition:
		s.nx.mu.Lock()
		if s.nx.lastInput != nil {
			s.nx.lastInput[c] = time.Now()
		}
		s.nx.mu.Unlock()
	}
	if pkt.Type() == xpra.TypeLayoutChanged && s.layoutChanged(c, pkt) {
		return true
	}
	return pkt.Type() == xpra.TypeKeyAction && s.rawKeyAction(c, pkt)
}

// layoutChanged follows a client's new layout when the session clones
// the client's; it reports whether it handled the packet.
func (s *Server) layoutChanged(c *clientConn, pkt wire.Packet) bool {
	s.nx.mu.Lock()
	clone := s.nx.keyboard.Mode == "clone"
	s.nx.mu.Unlock()
	log := s.log.With("uuid", c.caps.Str("uuid", ""))
	if !clone {
		return false
	}
	lc, err := xpra.ParseLayoutChanged(pkt)
	if err != nil {
		return false
	}
	kn := x11.KeyboardNames{Layout: lc.Layout, Variant: lc.Variant, Options: lc.Options}
	for _, v := range []string{kn.Layout, kn.Variant, kn.Options} {
		if !xkbName(v) {
			log.Warn("layout-changed: not an XKB name", "value", v)
			return true
		}
	}
	if kn.Layout == "" {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), nxApplyTimeout)
	defer cancel()
	if err := s.applyKeyboard(ctx, kn, log); err != nil {
		log.Warn("cannot follow the client's layout", "err", err)
	}
	return true
}

// nxDetach forgets a client's idle clock.
func (s *Server) nxDetach(c *clientConn) {
	s.nx.mu.Lock()
	delete(s.nx.lastInput, c)
	s.nx.mu.Unlock()
}

// checkIdle disconnects the clients that sent no input for
// --idle-timeout seconds, with xpra's reason; the session lives on.
func (s *Server) checkIdle() {
	s.nx.mu.Lock()
	t := time.Duration(s.nx.idleTimeout) * time.Second
	var idle []*clientConn
	if t > 0 {
		for c, last := range s.nx.lastInput {
			if time.Since(last) > t {
				idle = append(idle, c)
				delete(s.nx.lastInput, c)
			}
		}
	}
	s.nx.mu.Unlock()
	for _, c := range idle {
		s.log.Info("no input for --idle-timeout: disconnecting the client", "seconds", int(t.Seconds()), "uuid", c.caps.Str("uuid", ""))
		go c.disconnect(xpra.ReasonIdleTimeout)
	}
}

// reportWid logs nxagent -reportwids style lines for --report-wids.
func (ws *windowSet) reportWid(w wm.Window, wid int64, what string) {
	if !ws.reportWids {
		return
	}
	ws.log.Info(fmt.Sprintf("xroam: window 0x%x %s", w.ID, what), "report", "wid", "xid", fmt.Sprintf("0x%x", w.ID), "wid", wid, "event", what, "title", w.Title)
}

// nxInfo is the NX session settings in force, for info.
func (s *Server) nxInfo() map[string]any {
	s.nx.mu.Lock()
	defer s.nx.mu.Unlock()
	kb := s.nx.keyboard.Mode
	if kb == "set" {
		n := s.nx.keyboard.Names
		kb = fmt.Sprintf("rmlvo/%s#%s#%s#%s#%s", n.Rules, n.Model, n.Layout, n.Variant, n.Options)
	}
	return map[string]any{
		"keyboard":            kb,
		"dpi":                 int64(s.nx.dpi),
		"idle-timeout":        int64(s.nx.idleTimeout),
		"clipboard-direction": s.nx.clipboardDirection,
		"report-wids":         s.cfg.ReportWids,
		"options-file":        s.cfg.OptionsFile,
		"fullscreen":          s.nx.fullscreen,
	}
}

// nxGeometry is the options file's screen size, zero when it gives none
// or when fullscreen=1 lets the client's desktop size the screen.
func (s *Server) nxGeometry() screenSize {
	s.nx.mu.Lock()
	defer s.nx.mu.Unlock()
	if s.nx.fullscreen {
		return screenSize{}
	}
	return s.nx.geometry
}

// nxFullscreen reports the options file's fullscreen=1.
func (s *Server) nxFullscreen() bool {
	s.nx.mu.Lock()
	defer s.nx.mu.Unlock()
	return s.nx.fullscreen
}

func (s *Server) nxKeyboard() keyboardSpec {
	s.nx.mu.Lock()
	defer s.nx.mu.Unlock()
	return s.nx.keyboard
}

// resizeToGeometry resizes the screen to the options file's geometry=
// (Xvfb cannot grow past the size it started with: the size is clamped).
func (s *Server) resizeToGeometry(ctx context.Context, g screenSize, log *slog.Logger) {
	w, h, err := x11.ResizeScreen(ctx, fmt.Sprintf(":%d", s.display), g.W, g.H)
	if err != nil {
		log.Warn("options file: geometry not applied", "geometry", fmt.Sprintf("%dx%d", g.W, g.H), "err", err)
		return
	}
	log.Info("options file: screen resized", "geometry", fmt.Sprintf("%dx%d", g.W, g.H), "size", fmt.Sprintf("%dx%d", w, h))
}
