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

// nxSubsystem is the NX-style session settings (nxagent's options):
// --keyboard, --dpi, --idle-timeout, --options-file and its geometry and
// fullscreen. It holds the settings an attach may change (the options
// file is read again then) and the idle clock of each client.
type nxSubsystem struct {
	s *Server

	mu sync.Mutex
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

func (*nxSubsystem) Name() string { return "nx" }

// prepare checks the NX-style options and reads the options file, before
// the display starts: its dpi goes on Xvfb's command line.
func (n *nxSubsystem) prepare() error {
	s := n.s
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
		n.mu.Lock()
		if o.Geometry != nil {
			n.geometry = *o.Geometry
		}
		if o.Fullscreen != nil {
			n.fullscreen = *o.Fullscreen
		}
		n.mu.Unlock()
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
	n.mu.Lock()
	n.keyboard = spec
	n.dpi = s.cfg.DPI
	n.clipboardDirection = s.cfg.ClipboardDirection
	n.idleTimeout = s.cfg.IdleTimeout
	n.mu.Unlock()
	return nil
}

// xvfbCommand is --xvfb with --dpi in place of the command's own -dpi.
func (n *nxSubsystem) xvfbCommand() string {
	cfg := n.s.cfg
	cmd := cfg.Xvfb
	if cfg.DPI <= 0 {
		return cmd
	}
	arg := " -dpi " + strconv.Itoa(cfg.DPI)
	xvfbDPIArg := regexp.MustCompile(`(^|\s)-dpi\s+\S+`)
	if xvfbDPIArg.MatchString(cmd) {
		return xvfbDPIArg.ReplaceAllString(cmd, arg)
	}
	return cmd + arg
}

// setupDisplay applies the keyboard and the resolution to a new display,
// before the window manager and the commands start, so that applications
// start with them. A layout that cannot be loaded fails the start: the
// user asked for it.
func (n *nxSubsystem) setupDisplay(ctx context.Context) error {
	s := n.s
	if s.opts.Mode == "shadow" {
		return nil
	}
	display := fmt.Sprintf(":%d", s.display)
	if s.cfg.DPI > 0 {
		if err := x11.SetDPI(ctx, display, s.cfg.DPI, s.cfg.DPI); err != nil {
			return fmt.Errorf("--dpi: %w", err)
		}
	}
	spec, geom := n.keyboardInForce(), n.geometrySize()
	if geom != (screenSize{}) {
		n.resizeToGeometry(ctx, geom, s.log)
	}
	kn, set := startKeyboard(spec, s.cfg.KeyboardLayout, s.cfg.KeyboardLayouts, s.cfg.KeyboardVariant, s.cfg.KeyboardVariants, s.cfg.KeyboardOptions)
	if set {
		if err := s.keyboard.apply(ctx, kn, s.log); err != nil {
			return fmt.Errorf("keyboard: %w", err)
		}
	} else if spec.Mode == "query" {
		s.keyboard.report(ctx, s.log)
	}
	return nil
}

// Prepare runs as a UI client attaches: its idle clock starts, the
// options file is read again (NX applies it on resume), then the keyboard
// and the resolution follow the file or the client. Failures are logged;
// the attach goes on. The undo forgets the idle clock.
func (n *nxSubsystem) Prepare(ctx context.Context, a *attachment) (func(), error) {
	s, c, log := n.s, a.c, a.log
	ctx, cancel := context.WithTimeout(ctx, nxApplyTimeout)
	defer cancel()
	n.mu.Lock()
	n.lastInput[c] = time.Now()
	n.mu.Unlock()
	undo := func() {
		n.mu.Lock()
		delete(n.lastInput, c)
		n.mu.Unlock()
	}
	if s.opts.Mode == "shadow" {
		return undo, nil
	}
	changedKeyboard := false
	if s.cfg.OptionsFile != "" {
		o, err := readOptionsFile(s.cfg.OptionsFile)
		if err != nil {
			log.Warn("options file not applied: keeping the previous settings", "err", err)
		} else {
			n.mu.Lock()
			if o.Keyboard != nil {
				if spec, err := parseKeyboardSpec(*o.Keyboard); err == nil && spec != n.keyboard {
					n.keyboard, changedKeyboard = spec, true
				}
			}
			if o.DPI != nil {
				n.dpi = *o.DPI
			}
			if o.ClipboardDirection != nil {
				n.clipboardDirection = *o.ClipboardDirection
			}
			var geom screenSize
			if o.Geometry != nil && *o.Geometry != n.geometry {
				n.geometry, geom = *o.Geometry, *o.Geometry
			}
			if o.Fullscreen != nil && *o.Fullscreen != n.fullscreen {
				n.fullscreen = *o.Fullscreen
				if !n.fullscreen {
					// Back from fullscreen: the geometry holds again.
					geom = n.geometry
				}
			}
			if n.fullscreen {
				geom = screenSize{}
			}
			n.mu.Unlock()
			// A desktop's window keeps the size it was laid out for, as
			// the screen subsystem does for clients' desktops.
			if geom != (screenSize{}) && s.opts.Mode == "seamless" {
				n.resizeToGeometry(ctx, geom, log)
			}
			log.Info("options file read again", "file", s.cfg.OptionsFile, "clipboard-direction", n.clipboardDirectionInForce())
			if o.ClipboardDirection != nil && s.clip.current() != nil {
				if code, msg := s.clip.setDirection([]string{*o.ClipboardDirection}); code != 0 {
					log.Warn("options file: clipboard direction not applied", "err", msg)
				}
			}
		}
	}
	n.mu.Lock()
	spec, dpi := n.keyboard, n.dpi
	n.mu.Unlock()
	switch {
	case spec.Mode == "clone":
		if kn, ok := clientKeyboard(c.caps); ok {
			if err := s.keyboard.apply(ctx, kn, log); err != nil {
				log.Warn("cannot clone the client's keyboard", "err", err)
			}
		} else {
			log.Info("keyboard=clone: the client sent no XKB layout")
		}
	case spec.Mode == "set" && changedKeyboard:
		if err := s.keyboard.apply(ctx, spec.Names, log); err != nil {
			log.Warn("cannot apply the options file's keyboard", "err", err)
		}
	case spec.Mode == "query" && changedKeyboard:
		s.keyboard.report(ctx, log)
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
	return undo, nil
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

// clipboardDirectionInForce is the clipboard direction in force: the
// options file read at the last attach may have changed
// --clipboard-direction.
func (n *nxSubsystem) clipboardDirectionInForce() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.clipboardDirection == "" {
		return n.s.cfg.ClipboardDirection
	}
	return n.clipboardDirection
}

// touch restarts a client's idle clock: it sent input.
func (n *nxSubsystem) touch(c *clientConn) {
	n.mu.Lock()
	if n.lastInput != nil {
		n.lastInput[c] = time.Now()
	}
	n.mu.Unlock()
}

// checkIdle disconnects the clients that sent no input for
// --idle-timeout seconds, with xpra's reason; the session lives on.
func (n *nxSubsystem) checkIdle() {
	n.mu.Lock()
	t := time.Duration(n.idleTimeout) * time.Second
	var idle []*clientConn
	if t > 0 {
		for c, last := range n.lastInput {
			if time.Since(last) > t {
				idle = append(idle, c)
				delete(n.lastInput, c)
			}
		}
	}
	n.mu.Unlock()
	for _, c := range idle {
		n.s.log.Info("no input for --idle-timeout: disconnecting the client", "seconds", int(t.Seconds()), "uuid", c.caps.Str("uuid", ""))
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

// Info is the NX session settings in force.
func (n *nxSubsystem) Info(context.Context) map[string]any {
	n.mu.Lock()
	defer n.mu.Unlock()
	kb := n.keyboard.Mode
	if kb == "set" {
		k := n.keyboard.Names
		kb = fmt.Sprintf("rmlvo/%s#%s#%s#%s#%s", k.Rules, k.Model, k.Layout, k.Variant, k.Options)
	}
	return map[string]any{
		"keyboard":            kb,
		"dpi":                 int64(n.dpi),
		"idle-timeout":        int64(n.idleTimeout),
		"clipboard-direction": n.clipboardDirection,
		"report-wids":         n.s.cfg.ReportWids,
		"options-file":        n.s.cfg.OptionsFile,
		"fullscreen":          n.fullscreen,
	}
}

// geometrySize is the options file's screen size, zero when it gives
// none or when fullscreen=1 lets the client's desktop size the screen.
func (n *nxSubsystem) geometrySize() screenSize {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fullscreen {
		return screenSize{}
	}
	return n.geometry
}

// fullscreenOn reports the options file's fullscreen=1.
func (n *nxSubsystem) fullscreenOn() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.fullscreen
}

// keyboardInForce is the NX keyboard form in force.
func (n *nxSubsystem) keyboardInForce() keyboardSpec {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.keyboard
}

// resizeToGeometry resizes the screen to the options file's geometry=
// (Xvfb cannot grow past the size it started with: the size is clamped).
func (n *nxSubsystem) resizeToGeometry(ctx context.Context, g screenSize, log *slog.Logger) {
	w, h, err := x11.ResizeScreen(ctx, fmt.Sprintf(":%d", n.s.display), g.W, g.H)
	if err != nil {
		log.Warn("options file: geometry not applied", "geometry", fmt.Sprintf("%dx%d", g.W, g.H), "err", err)
		return
	}
	log.Info("options file: screen resized", "geometry", fmt.Sprintf("%dx%d", g.W, g.H), "size", fmt.Sprintf("%dx%d", w, h))
}
