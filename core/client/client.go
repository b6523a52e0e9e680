package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"runtime"
	"slices"
	"time"

	"github.com/xroam/xroam/core/dial"
	"github.com/xroam/xroam/core/sockdir"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11/xclient"
	"github.com/xroam/xroam/core/xpra"
)

// Config is what an attach needs.
type Config struct {
	Paths  sockdir.Paths
	Target dial.Target
	// Display is the local X display ("" for $DISPLAY).
	Display string
	// Title is the window title template (DefaultTitle when empty).
	Title string
	// Readonly drops all keyboard and pointer input.
	Readonly bool
	// KeyShortcuts are "Mod+Mod+Key:action" bindings handled locally.
	KeyShortcuts []string
	// Encoding is the preferred encoding ("auto", "rgb", "png", "jpeg").
	Encoding string
	// Encodings restricts the encodings offered ("all" or empty: every
	// one this client decodes).
	Encodings           []string
	Quality, MinQuality int
	Speed, MinSpeed     int
	Password            []byte // answers a challenge; nil when none
	Log                 *slog.Logger
	PingInterval        time.Duration // 5 s when zero
	// PingTimeout ends the session when nothing comes from the server
	// for that long (60 s when zero, as xpra).
	PingTimeout           time.Duration
	DisconnectWaitTimeout time.Duration // 2 s when zero
	// DPI replaces the local display's resolution in the hello (0: keep).
	DPI int
	// Keyboard replaces what the hello says about the local keyboard.
	Keyboard KeyboardOverride
	// Clipboard (yes, no or a backend), ClipboardDirection and
	// ClipboardFilterFile are the clipboard options; OpenClipboard opens
	// the backend (nil: no clipboard).
	Clipboard, ClipboardDirection, ClipboardFilterFile string
	OpenClipboard                                      ClipboardOpener
	// ClipboardSelections are the selections the backend keeps
	// (CLIPBOARD and PRIMARY when empty); ClipboardMaxBytes bounds one
	// transfer (clipsync's default when zero). Both come from the
	// backend's configuration block.
	ClipboardSelections []string
	ClipboardMaxBytes   int
	// Reconnect dials again when an established connection drops (not
	// when the server ends the session), for up to ReconnectTimeout
	// (2 minutes when zero).
	Reconnect        bool
	ReconnectTimeout time.Duration
	// Border is --border=COLOR[,SIZE][:off] ("" for none).
	Border string
	// MMap is --mmap: yes to offer the server an mmap area (used when
	// it runs on the same machine), no, or the absolute path of the file
	// to use. MMapDir is where the area's file is made ("": /dev/shm or
	// the temporary directory), normally $XDG_RUNTIME_DIR.
	MMap, MMapDir string
	// KeyboardSync sends key presses and releases as they happen
	// (--keyboard-sync); without it the server types each press at once.
	KeyboardSync bool
	// Bell rings the local bell when the server forwards one (--bell);
	// without it the hello asks the server for none.
	Bell bool
	// Cursors shows the applications' cursors (--cursors); without it the
	// hello asks the server for none and the local default stays.
	Cursors bool
	// DesktopFullscreen shows the window of a desktop or shadow session
	// fullscreen, at the local screen's size for a desktop session
	// (whose screen follows its window).
	DesktopFullscreen bool
}

// ServerDisconnect is returned by Run when the server ended the session.
type ServerDisconnect struct {
	Reason string
	Extra  []string
	// Early says the session was never established (no server hello):
	// a refused login, whatever the words.
	Early bool
}

func (e *ServerDisconnect) Error() string {
	s := "the server disconnected: " + e.Reason
	if e.Early {
		s = "the server disconnected before the session could be established: " + e.Reason
	}
	for _, x := range e.Extra {
		if x != "" {
			s += ": " + x
		}
	}
	return s
}

// IsError says whether xpra would treat the disconnect as a failure.
func (e *ServerDisconnect) IsError() bool { return e.Early || xpra.DisconnectIsError(e.Reason) }

// ErrConnectionLost is returned when the connection ends without a
// disconnect packet.
var ErrConnectionLost = errors.New("connection lost")

// Run attaches and shows the session's windows until the server
// disconnects (a *ServerDisconnect), the link drops, or ctx ends (then it
// says goodbye with a "client request" disconnect and returns nil).
func Run(ctx context.Context, cfg Config) error {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 5 * time.Second
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = 60 * time.Second
	}
	if cfg.DisconnectWaitTimeout <= 0 {
		cfg.DisconnectWaitTimeout = 2 * time.Second
	}
	shortcuts, err := parseShortcuts(cfg.KeyShortcuts)
	if err != nil {
		return err
	}
	if _, err := parseBorder(cfg.Border); err != nil {
		return err
	}
	// The local display lives until Run returns, not until ctx ends: on
	// SIGINT the windows must stay while the goodbye is sent.
	xctx, xcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer xcancel()
	disp, err := xclient.Open(xctx, cfg.Display, cfg.Log)
	if err != nil {
		return err
	}
	defer disp.Close()
	return runSessions(ctx, cfg, disp, shortcuts)
}

type client struct {
	cfg    Config
	log    *slog.Logger
	disp   *xclient.Display
	nc     net.Conn
	target dial.Target
	r      *wire.Reader
	w      *wire.Writer
	server wire.Dict
	start  time.Time

	windows    map[int64]*window
	byLocal    map[xclient.Window]*window
	focused    int64
	shortcuts  []shortcut
	challenged bool // a challenge was answered already
	cursor     xclient.Cursor
	clip       *clientClip  // nil when the clipboard is off
	cipher     *dial.Cipher // nil: no encryption
	// onHello is called when the server's hello arrives.
	onHello func()
	border  border
	mmap    *clientMMap // nil: no mmap area
}

type readResult struct {
	pkt wire.Packet
	err error
}

func (c *client) run(ctx context.Context) error {
	c.setupMMap()
	defer c.mmap.close()
	h := c.hello()
	if err := c.cipher.Prepare(c.r, h); err != nil {
		return err
	}
	if err := c.send(xpra.NewHello(h)); err != nil {
		return fmt.Errorf("sending the hello: %w", err)
	}
	packets := make(chan readResult, 16)
	stopped := make(chan struct{})
	// Closing the connection ends the reader's ReadPacket; stopped ends
	// its wait to hand over a packet nobody will take.
	defer c.nc.Close()
	defer close(stopped)
	go func() {
		for {
			pkt, err := c.r.ReadPacket()
			select {
			case packets <- readResult{pkt, err}:
			case <-stopped:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	ping := time.NewTicker(c.cfg.PingInterval)
	defer ping.Stop()
	events := c.disp.Events()
	lastRecv := time.Now()
	for {
		select {
		case <-ctx.Done():
			c.goodbye(packets)
			return nil
		case rr := <-packets:
			lastRecv = time.Now()
			if rr.err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("%w: %w", ErrConnectionLost, rr.err)
			}
			done, err := c.handle(rr.pkt)
			if done || err != nil {
				return err
			}
		case ev, ok := <-events:
			if !ok {
				c.sendDisconnect(xpra.ReasonClientExit, "the local display closed")
				return errors.New("the local X display closed the connection")
			}
			if quit := c.handleEvent(ev); quit {
				c.goodbye(packets)
				return nil
			}
		case <-ping.C:
			if since := time.Since(lastRecv); since > c.cfg.PingTimeout {
				c.sendDisconnect(xpra.ReasonClientPingTimeout, fmt.Sprintf("nothing from the server for %s", since.Round(time.Second)))
				return fmt.Errorf("%w: server ping timeout: nothing received for %s", ErrConnectionLost, since.Round(time.Second))
			}
			if c.server != nil {
				c.sendLog(xpra.Ping{Time: time.Since(c.start).Milliseconds()}.Packet())
			}
		}
	}
}

// goodbye sends "client request" and waits a little for the server's
// own disconnect, as xpra's client does.
func (c *client) goodbye(packets <-chan readResult) {
	c.sendDisconnect(xpra.ReasonClientRequest, "exit on user request")
	timeout := time.After(c.cfg.DisconnectWaitTimeout)
	for {
		select {
		case rr := <-packets:
			if rr.err != nil || rr.pkt.Type() == xpra.TypeDisconnect {
				return
			}
		case <-timeout:
			return
		}
	}
}

func (c *client) sendDisconnect(reason string, extra ...string) {
	_ = c.nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_ = c.w.WritePacket(xpra.NewDisconnect(reason, extra...))
}

func (c *client) send(p wire.Packet) error { return c.w.WritePacket(p) }

// sendLog sends a packet; a failed write shows up as a read error soon
// after, so it is only logged here.
func (c *client) sendLog(p wire.Packet) {
	if err := c.w.WritePacket(p); err != nil {
		c.log.Debug("attach: sending a packet", "type", p.Type(), "err", err)
	}
}

// handle processes one server packet; done reports the end of the session.
func (c *client) handle(p wire.Packet) (done bool, err error) {
	switch p.Type() {
	case xpra.TypeHello:
		return false, c.handleHello(p)
	case xpra.TypeChallenge:
		return false, c.handleChallenge(p)
	case xpra.TypeDisconnect:
		d, _ := xpra.ParseDisconnect(p)
		c.log.Info("attach: the server disconnected", "reason", d.Reason)
		return true, &ServerDisconnect{Reason: d.Reason, Extra: d.Extra, Early: c.server == nil}
	case xpra.TypePing:
		pg, err := xpra.ParsePing(p)
		if err != nil {
			return false, nil
		}
		l1, l5, l15 := loadavg()
		pe := xpra.NewPingEcho(pg.Time, l1, l5, l15)
		if pg.SID != "" {
			pe.SID, pe.HasSID = pg.SID, true
		}
		c.sendLog(pe.Packet())
	case xpra.TypePingEcho, xpra.TypeSetDeflate:
	case xpra.TypeStartupComplete:
		c.log.Info("attach: the session is ready", "windows", len(c.windows))
	case xpra.TypeNewWindow, xpra.TypeNewOverrideRedirect:
		c.newWindow(p)
	case xpra.TypeWindowMetadata:
		c.windowMetadata(p)
	case xpra.TypeWindowMoveResize:
		if m, err := xpra.ParseWindowMoveResize(p); err == nil {
			c.moveResize(m)
		}
	case xpra.TypeConfigureOverrideRedirect:
		if m, err := xpra.ParseConfigureOverrideRedirect(p); err == nil {
			c.moveResize(xpra.WindowMoveResize{WID: m.WID, X: m.X, Y: m.Y, Width: m.Width, Height: m.Height})
		}
	case xpra.TypeWindowResized:
		c.resized(p)
	case xpra.TypeLostWindow:
		c.lostWindow(p)
	case xpra.TypeRaiseWindow:
		if r, err := xpra.ParseRaiseWindow(p); err == nil {
			if w := c.windows[r.WID]; w != nil {
				c.disp.Raise(w.local)
			}
		}
	case xpra.TypeDraw:
		c.draw(p)
	case xpra.TypeCursor:
		if c.cfg.Cursors {
			c.setCursor(p)
		}
	case xpra.TypeWindowIcon:
		c.windowIcon(p)
	case xpra.TypeBell:
		if b, err := xpra.ParseBell(p); err == nil && c.cfg.Bell {
			c.disp.Bell(int(b.Percent))
		}
	default:
		if c.clipboardPacket(p) {
			break
		}
		c.log.Debug("attach: packet ignored", "type", p.Type())
	}
	return false, nil
}

func (c *client) handleHello(p wire.Packet) error {
	caps, err := xpra.ParseHello(p)
	if err != nil {
		return fmt.Errorf("the server's hello: %w", err)
	}
	if err := c.cipher.Accept(c.w, caps); err != nil {
		return err
	}
	c.server = caps
	c.w.Apply(wire.Negotiate(caps))
	if c.mmap != nil {
		if err := c.mmap.accept(caps); err != nil {
			c.sendDisconnect(xpra.ReasonClientExit, err.Error())
			return err
		}
		if c.mmap.on {
			c.log.Info("attach: pixels come through the mmap area", "bytes", c.mmap.area.Size())
		}
	}
	if c.onHello != nil {
		c.onHello()
	}
	c.log.Info("attach: connected", "server", c.target.String(), "version", caps.Str("version", ""),
		"hostname", caps.Str("hostname", ""), "encoding", c.w.Encoding().String())
	c.sendLog(xpra.Ping{Time: time.Since(c.start).Milliseconds()}.Packet())
	c.startClipboard()
	return nil
}

func loadavg() (float64, float64, float64) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, 0, 0
	}
	var a, b5, c float64
	if _, err := fmt.Sscan(string(b), &a, &b5, &c); err != nil {
		return 0, 0, 0
	}
	return a, b5, c
}

// offeredCodings returns the draw encodings offered: those decoded here,
// restricted by --encodings ("rgb" standing for rgb24 and rgb32).
func offeredCodings(allowed []string) []string {
	all := decodedCodings()
	if len(allowed) == 0 || slices.Contains(allowed, "all") {
		return all
	}
	var out []string
	for _, e := range all {
		if slices.Contains(allowed, e) || ((e == "rgb24" || e == "rgb32") && slices.Contains(allowed, "rgb")) {
			out = append(out, e)
		}
	}
	return out
}

// hello builds the UI client hello: the protocol keys, what is decoded
// here, the local screen and keyboard.
func (c *client) hello() wire.Dict {
	host, _ := os.Hostname()
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	core := offeredCodings(c.cfg.Encodings)
	encodings := []string{}
	for _, e := range core {
		if e == "rgb24" {
			encodings = append(encodings, "rgb")
		} else if e != "rgb32" {
			encodings = append(encodings, e)
		}
	}
	pref := c.cfg.Encoding
	if pref == "" {
		pref = "auto"
	}
	scr := c.disp.Screen()
	monitor := []any{"screen", 0, 0, scr.Width, scr.Height, scr.WidthMM, scr.HeightMM}
	dpi := 96
	if scr.WidthMM > 0 {
		dpi = int(float64(scr.Width)*25.4/float64(scr.WidthMM) + 0.5)
	}
	h := wire.Dict{
		"version":           xpra.ProtocolVersion,
		"client_type":       "xroam",
		"rencode":           true,
		"bencode":           true,
		"encoders":          []string{"rencode", "bencode"},
		"compressors":       []string{"lz4", "zlib"},
		"lz4":               true,
		"zlib":              true,
		"compression_level": int64(1),
		"hostname":          host,
		"username":          name,
		"name":              name,
		"platform":          runtime.GOOS,
		"uuid":              fmt.Sprintf("%x", time.Now().UnixNano()),
		"share":             false,
		"ui_client":         true,
		"windows":           true,
		"keyboard":          true,
		"pointer":           true,
		"cursors":           c.cfg.Cursors,
		"bell":              c.cfg.Bell,
		"notifications":     false,
		"system_tray":       false,
		"mmap":              false,
		"randr_notify":      false,
		"wants_events":      false,
		"wants_aliases":     false,
		"wants_sound":       false,
		"setting-change":    true,
		"metadata.supported": []string{"title", "pid", "size-hints", "size-constraints", "class-instance",
			"client-machine", "transient-for", "window-type", "override-redirect", "role", "xid",
			"fullscreen", "maximized", "above", "below", "sticky", "shaded", "skip-taskbar", "skip-pager", "modal", "iconic", "shape"},

		"desktop_size": []int{scr.Width, scr.Height},
		"screen_sizes": []any{[]any{scr.Name, scr.Width, scr.Height, scr.WidthMM, scr.HeightMM,
			[]any{monitor}, 0, 0, scr.Width, scr.Height}},
		"dpi":   dpi,
		"dpi.x": dpi,
		"dpi.y": dpi,

		"encoding":                pref,
		"encodings":               encodings,
		"encodings.core":          core,
		"encodings.rgb_formats":   rgbFormats(),
		"encoding.rgb_formats":    rgbFormats(),
		"encoding.scrolling":      true,
		"encoding.rgb_lz4":        true,
		"encoding.rgb_zlib":       true,
		"encoding.rgb24zlib":      true,
		"encoding.transparency":   false,
		"encoding.generic":        true,
		"encoding.client_options": true,
		"encoding.flush":          true,
		"encoding.supports_delta": []string{},
		"encoding.video_scaling":  false,
		// An xpra server offers a video encoding only with a colourspace
		// the client decodes: video pictures are decoded as 4:2:0 only.
		"encoding.full_csc_modes":   wire.Dict{"h264": []string{"YUV420P"}, "vp8": []string{"YUV420P"}, "vp9": []string{"YUV420P"}},
		"encodings.cursor":          []string{"png"},
		"encodings.window-icon":     iconEncodings(),
		"encoding.send-window-size": false,
		"keyboard_sync":             c.cfg.KeyboardSync,
		"modifiers":                 []string{},
	}
	if c.cfg.Quality > 0 {
		h["encoding.quality"] = c.cfg.Quality
	}
	if c.cfg.MinQuality > 0 {
		h["encoding.min-quality"] = c.cfg.MinQuality
	}
	if c.cfg.Speed > 0 {
		h["encoding.speed"] = c.cfg.Speed
	}
	if c.cfg.MinSpeed > 0 {
		h["encoding.min-speed"] = c.cfg.MinSpeed
	}
	if c.cfg.Password != nil {
		h["digest"], h["salt-digest"] = c.digests()
	}
	for k, v := range c.keyboardCaps() {
		h[k] = v
	}
	c.overrideHello(h)
	c.clipboardCaps(h)
	if c.mmap != nil {
		c.mmap.caps(h)
	}
	return h
}

// keyboardCaps describes the local keyboard the way xpra's client does,
// so that the server can map client keycodes and keysyms to its own.
func (c *client) keyboardCaps() wire.Dict {
	kn := c.disp.KeyboardNames()
	h := wire.Dict{}
	if kn.Layout != "" {
		h["xkbmap_layout"] = kn.Layout
		h["xkbmap_layouts"] = []string{kn.Layout}
		h["xkbmap_variant"] = kn.Variant
		q := wire.Dict{"rules": kn.Rules, "model": kn.Model, "layout": kn.Layout}
		query := fmt.Sprintf("rules:      %s\nmodel:      %s\nlayout:     %s\n", kn.Rules, kn.Model, kn.Layout)
		if kn.Variant != "" {
			q["variant"] = kn.Variant
			query += fmt.Sprintf("variant:    %s\n", kn.Variant)
		}
		if kn.Options != "" {
			q["options"] = kn.Options
			query += fmt.Sprintf("options:    %s\n", kn.Options)
		}
		h["xkbmap_query_struct"] = q
		h["xkbmap_query"] = query
	}
	keycodes := []any{}
	x11codes := map[any]any{}
	for _, km := range c.disp.Keymap() {
		names := make([]any, len(km.Names))
		for i, n := range km.Names {
			names[i] = n
		}
		x11codes[int64(km.Keycode)] = names
		for level := 0; level < 2 && level < len(km.Keysyms); level++ {
			if km.Keysyms[level] != 0 && km.Names[level] != "" {
				keycodes = append(keycodes, []any{int64(km.Keysyms[level]), km.Names[level], int64(km.Keycode), 0, level})
			}
		}
	}
	h["xkbmap_keycodes"] = keycodes
	h["xkbmap_x11_keycodes"] = x11codes
	mm := map[any]any{}
	for k, v := range c.disp.ModifierMeanings() {
		mm[k] = v
	}
	h["xkbmap_mod_meanings"] = mm
	return h
}
