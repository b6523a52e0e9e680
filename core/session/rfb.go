package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/core/rfb"
	"github.com/xroam/xroam/core/x11/wm"
	"github.com/xroam/xroam/sdk/auth"
)

// rfbSubsystem serves the session's screen to VNC clients (desktop and
// shadow sessions): its sockets, the connections upgraded from TCP, and
// their part of info.
type rfbSubsystem struct {
	s   *Server
	svc *rfbService // nil without RFB access
}

func (*rfbSubsystem) Name() string { return "rfb" }

// rfbService serves the session's screen to VNC clients: on --bind-rfb
// sockets, and on TCP connections that stay silent for --rfb-upgrade
// seconds. It watches the display with its own connections, so that it
// works whether or not xpra clients are attached.
type rfbService struct {
	s         *Server
	log       *slog.Logger
	mods      []authModule
	listeners []net.Listener
	wg        sync.WaitGroup
	cancel    context.CancelFunc // ends the connections, set by start
	active    atomic.Int32       // connections being served

	mu     sync.Mutex
	screen *rfb.Screen // nil until the display is watched
	wm     *wm.Manager
	root   uint32
}

// rfbRefresh is how often the RFB screen is compared whole with what
// the clients have.
const rfbRefresh = 2 * time.Second

// maxRFBConns bounds the RFB connections, handshakes included, so that a
// flood of idle connections cannot exhaust the server.
const maxRFBConns = 64

// usable reports whether the mode has a whole screen to serve.
func (r *rfbSubsystem) usable() bool {
	return r.s.opts.Mode == "desktop" || r.s.opts.Mode == "shadow"
}

// setup checks the RFB options and opens the --rfb-auth modules, so that
// a mistake stops the start with a clear message.
func (r *rfbSubsystem) setup(ctx context.Context) error {
	s := r.s
	if len(s.cfg.BindRFB) == 0 && (s.cfg.RFBUpgrade <= 0 || len(s.cfg.BindTCP) == 0) {
		return nil
	}
	if !r.usable() {
		if len(s.cfg.BindRFB) > 0 {
			return fmt.Errorf("--bind-rfb works with start-desktop and shadow only, not in %s mode", s.opts.Mode)
		}
		return nil
	}
	svc := &rfbService{s: s, log: s.log.With("part", "rfb")}
	for _, spec := range s.cfg.RFBAuth {
		sp, err := pluginhost.AuthSpecFor(spec, s.opts.Effective)
		if err != nil {
			return fmt.Errorf("--rfb-auth: %w", err)
		}
		shown := config.RedactSpec(spec)
		if s.opts.Plugins == nil {
			return fmt.Errorf("--rfb-auth=%s: no plugin host", shown)
		}
		a, err := s.opts.Plugins.Auth(ctx, sp)
		if err != nil {
			return fmt.Errorf("--rfb-auth=%s: %w", shown, err)
		}
		svc.mods = append(svc.mods, authModule{spec: shown, a: a})
	}
	r.svc = svc
	return nil
}

// listen opens the --bind-rfb sockets. Beyond loopback an RFB socket
// needs --rfb-auth, as TCP sockets need --tcp-auth.
func (r *rfbSubsystem) listen() error {
	s, svc := r.s, r.svc
	if svc == nil {
		return nil
	}
	for _, b := range s.cfg.BindRFB {
		addr, err := s.bindAddr("--bind-rfb", b)
		if err != nil {
			svc.close()
			return err
		}
		if !isLoopback(addr) {
			if len(s.cfg.RFBAuth) == 0 {
				svc.close()
				return fmt.Errorf("--bind-rfb=%s listens beyond this machine without authentication: add --rfb-auth (e.g. --rfb-auth=file:filename=PATH), or --rfb-auth=allow to let anyone in", b)
			}
			if slices.Contains(s.cfg.RFBAuth, "allow") {
				s.log.Warn("ANYONE WHO CAN REACH THIS ADDRESS CAN USE THE SESSION: --rfb-auth=allow on a non-loopback address", "bind-rfb", addr)
			}
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			svc.close()
			return fmt.Errorf("--bind-rfb=%s: %w", b, err)
		}
		s.log.Info("listening", "rfb", l.Addr().String())
		svc.listeners = append(svc.listeners, l)
	}
	return nil
}

// start watches the display and accepts RFB clients.
func (r *rfbSubsystem) start(ctx context.Context) {
	s, svc := r.s, r.svc
	if svc == nil {
		return
	}
	ctx, svc.cancel = context.WithCancel(ctx)
	mgr, err := wm.StartDesktop(ctx, fmt.Sprintf(":%d", s.display), "rfb", svc.log)
	if err != nil {
		svc.log.Error("cannot watch the display: no RFB service", "err", err)
		svc.close()
		return
	}
	wins := mgr.Windows()
	if len(wins) != 1 {
		svc.log.Error("cannot watch the display: no RFB service", "windows", len(wins))
		mgr.Close()
		svc.close()
		return
	}
	root := wins[0]
	scr := rfb.NewScreen(wmScreen{wm: mgr, root: root.ID}, root.Width, root.Height, svc.log)
	if cur, err := mgr.CurrentCursor(); err == nil {
		scr.SetCursor(rfbCursor(cur))
	}
	svc.mu.Lock()
	svc.screen, svc.wm, svc.root = scr, mgr, root.ID
	svc.mu.Unlock()
	svc.wg.Add(1)
	go func() {
		defer svc.wg.Done()
		for ev := range mgr.Events() {
			switch ev.Kind {
			case wm.WindowDamaged:
				scr.Damage(ev.Damage)
			case wm.WindowChanged:
				scr.Resize(ev.Window.Width, ev.Window.Height)
			case wm.CursorChanged:
				if ev.Cursor != nil {
					scr.SetCursor(rfbCursor(*ev.Cursor))
				}
			}
		}
	}()
	// Damage events can be dropped when the display is very busy: a
	// periodic compare of the whole screen repairs what they missed
	// (only changed tiles are sent).
	svc.wg.Add(1)
	go func() {
		defer svc.wg.Done()
		t := time.NewTicker(rfbRefresh)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if scr.Clients() > 0 {
					w, h := scr.Size()
					scr.Damage(geom.Rect{W: w, H: h})
				}
			}
		}
	}()
	for _, l := range svc.listeners {
		svc.wg.Add(1)
		go func() {
			defer svc.wg.Done()
			for {
				nc, err := l.Accept()
				if err != nil {
					if !errors.Is(err, net.ErrClosed) {
						svc.log.Warn("accept failed", "err", err)
					}
					return
				}
				svc.wg.Add(1)
				go func() { defer svc.wg.Done(); svc.serve(ctx, nc, "rfb", svc.mods) }()
			}
		}()
	}
}

func rfbCursor(c wm.Cursor) rfb.Cursor {
	return rfb.Cursor{Serial: c.Serial, W: c.Width, H: c.Height, XHot: c.XHot, YHot: c.YHot, Pix: c.Pix}
}

// close ends the listeners; the connections end with the server's
// context or when the display watcher closes.
func (svc *rfbService) close() {
	for _, l := range svc.listeners {
		l.Close()
	}
}

// stop ends the RFB service at shutdown.
func (r *rfbSubsystem) stop() {
	svc := r.svc
	if svc == nil {
		return
	}
	svc.close()
	if svc.cancel != nil {
		svc.cancel()
	}
	svc.mu.Lock()
	wm := svc.wm
	svc.mu.Unlock()
	if wm != nil {
		wm.Close()
	}
	done := make(chan struct{})
	go func() { svc.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		svc.log.Warn("RFB connections still running at shutdown")
	}
}

// wmScreen reads the root window for the RFB screen.
type wmScreen struct {
	wm   *wm.Manager
	root uint32
}

func (w wmScreen) Capture(r geom.Rect, dst []byte) error {
	return w.wm.CaptureInto(w.root, r, dst)
}

// serve runs one RFB client of a socket of type socketType ("rfb" for
// --bind-rfb, "tcp" for an upgraded connection) whose authentication is
// mods. Without any, only the session's owner (or root) on this machine
// gets in, as on xpra's sockets.
func (svc *rfbService) serve(ctx context.Context, nc net.Conn, socketType string, mods []authModule) {
	log := svc.log.With("peer", nc.RemoteAddr().String())
	rfbSocket := socketType == "rfb"
	if svc.active.Add(1) > maxRFBConns {
		svc.active.Add(-1)
		log.Warn("RFB client refused: too many connections", "max", maxRFBConns)
		nc.Close()
		return
	}
	defer svc.active.Add(-1)
	svc.mu.Lock()
	scr, wm := svc.screen, svc.wm
	svc.mu.Unlock()
	if scr == nil {
		log.Warn("RFB client refused: the display is not watched")
		nc.Close()
		return
	}
	if len(mods) == 0 {
		if uid, err := ownerOnly(nc); err != nil {
			log.Warn("RFB client refused: the socket has no authentication", "socket-type", socketType, "peer-uid", uid, "reason", err.Error())
			nc.Close()
			return
		}
	}
	check, err := svc.authorize(ctx, nc, socketType, mods)
	if err != nil {
		log.Warn("authentication failed", "err", err)
		_ = auth.FailureDelay(ctx, authFailureDelay)
		nc.Close()
		return
	}
	s := svc.s
	name := s.sessionName()
	if name == "" {
		host, _ := os.Hostname()
		name = fmt.Sprintf("%s :%d", host, s.display)
	}
	opts := rfb.Options{Name: name, Check: check, Log: log}
	if !s.cfg.Readonly {
		opts.Input = &rfbInput{log: log, wm: wm, km: wm.Keymap()}
		// A desktop session's screen follows its clients (vncviewer's
		// RemoteResize, noVNC's remote resizing), as its window does
		// for xpra clients.
		if s.screen.desktopResizable() {
			opts.Resize = func(w, h int) (int, int, error) { return s.screen.resizeDesktop(ctx, w, h, log) }
		}
	}
	log.Info("RFB client connected", "rfb-socket", rfbSocket)
	if err := scr.Serve(ctx, nc, opts); err != nil {
		log.Info("RFB client gone", "err", err)
		return
	}
	log.Info("RFB client gone")
}

// authorize runs the modules that need no password at once and returns
// the check for those that do (nil when none does: security type None).
// A module that needs the clear password (pam, exec) cannot check VNC
// authentication's DES response: it refuses the client.
func (svc *rfbService) authorize(ctx context.Context, nc net.Conn, socketType string, mods []authModule) (rfb.CheckFunc, error) {
	peer := auth.Peer{Network: "tcp", Addr: nc.RemoteAddr().String()}
	display := fmt.Sprintf(":%d", svc.s.display)
	limitPeer, limitSocket := peerKey(peer), socketKey(socketType, nc)
	if err := svc.s.limit.check(limitPeer, time.Now()); err != nil {
		return nil, err
	}
	var withPassword []authModule
	for _, m := range mods {
		prep, err := m.a.Prepare(ctx, &auth.PrepareRequest{Peer: peer, Display: display})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.spec, err)
		}
		if prep.Challenge {
			if !slices.ContainsFunc(prep.Digests, func(d string) bool { return d != auth.XOR }) {
				return nil, fmt.Errorf("%s needs the clear password, which VNC authentication does not carry", m.spec)
			}
			withPassword = append(withPassword, m)
			continue
		}
		resp, err := m.a.Authenticate(ctx, &auth.Request{Peer: peer, Display: display, SocketType: "rfb"})
		if !auth.Allowed(resp, err) {
			return nil, fmt.Errorf("%s: %s", m.spec, denial(resp, err))
		}
	}
	if len(withPassword) == 0 {
		return nil, nil
	}
	return func(ctx context.Context, chal, response []byte) error {
		for _, m := range withPassword {
			req := &auth.Request{Peer: peer, Display: display, SocketType: "rfb",
				Challenge: &auth.Challenge{Digest: auth.VNCDES, ServerSalt: chal, Response: response}}
			end, err := svc.s.limit.begin(limitPeer, limitSocket, time.Now())
			if err != nil {
				return err
			}
			resp, err := m.a.Authenticate(ctx, req)
			end(auth.Allowed(resp, err), time.Now())
			if !auth.Allowed(resp, err) {
				return fmt.Errorf("%s: %s", m.spec, denial(resp, err))
			}
			svc.log.Info("authenticated", "module", m.spec)
		}
		return nil
	}, nil
}

func denial(resp *auth.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	if resp != nil && resp.Reason != "" {
		return resp.Reason
	}
	return "denied"
}

// upgrade hands a TCP connection that sends nothing for --rfb-upgrade
// seconds to the RFB server, as xpra does. Otherwise it returns the
// connection with the byte it read put back.
func (r *rfbSubsystem) upgrade(ctx context.Context, nc net.Conn) (net.Conn, bool) {
	s, svc := r.s, r.svc
	if svc == nil || s.cfg.RFBUpgrade <= 0 || nc.LocalAddr().Network() != "tcp" {
		return nc, false
	}
	// A transport that waited for the first byte says how long the peer
	// has been silent: the rest of --rfb-upgrade is waited here.
	wait := time.Duration(s.cfg.RFBUpgrade) * time.Second
	if hc, ok := nc.(*pluginhost.HandedConn); ok && hc.Meta.SilentMillis > 0 {
		wait = max(wait-time.Duration(hc.Meta.SilentMillis)*time.Millisecond, 50*time.Millisecond)
	}
	_ = nc.SetReadDeadline(time.Now().Add(wait))
	var b [1]byte
	n, err := nc.Read(b[:])
	_ = nc.SetReadDeadline(time.Time{})
	if n == 1 {
		return &prefixConn{Conn: nc, first: b[:1]}, false
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		return nc, false
	}
	// The socket's own authentication applies, as it would to an xpra
	// client (a password module's secret becomes the VNC password); a
	// socket without any takes --rfb-auth, and without either only the
	// session's owner gets in.
	st, mods := s.authChain(nc)
	if len(mods) == 0 {
		mods = svc.mods
	}
	svc.wg.Add(1)
	defer svc.wg.Done()
	svc.serve(ctx, nc, st, mods)
	return nc, true
}

// prefixConn is a connection whose first bytes were already read.
type prefixConn struct {
	net.Conn
	first []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.first) > 0 {
		n := copy(b, p.first)
		p.first = p.first[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// rfbInput injects one RFB client's keyboard and pointer with XTest.
type rfbInput struct {
	log     *slog.Logger
	wm      *wm.Manager
	km      *wm.Keymap
	buttons uint8
	shift   int // shift keys held
}

func (in *rfbInput) Key(keysym uint32, down bool) {
	code, shifted, ok := in.km.Lookup(keysym, "")
	if !ok {
		if !down {
			return
		}
		// A character the display's layout lacks gets a spare keycode.
		c, ok := in.wm.BindKeysym(keysym)
		if !ok {
			in.log.Debug("dropping a key: no keycode is free for it", "keysym", keysym)
			return
		}
		code = c
	}
	if keysym == 0xffe1 || keysym == 0xffe2 {
		if down {
			in.shift++
		} else if in.shift > 0 {
			in.shift--
		}
	}
	// A shifted keysym sent without shift (some clients send 'A' alone)
	// gets a shift press around it.
	if shifted && in.shift == 0 && down {
		if sc := in.wm.ShiftKeycode(); sc != 0 {
			in.wm.Key(sc, true)
			in.wm.Key(code, true)
			in.wm.Key(sc, false)
			return
		}
	}
	in.wm.Key(code, down)
}

func (in *rfbInput) Pointer(buttons uint8, x, y int) {
	if x >= 0 && y >= 0 {
		in.wm.MovePointer(x, y)
	}
	for i := range 8 {
		bit := uint8(1) << i
		if buttons&bit != in.buttons&bit {
			in.wm.Button(i+1, buttons&bit != 0)
		}
	}
	in.buttons = buttons
}

// Info is the RFB service's sockets and clients.
func (r *rfbSubsystem) Info(context.Context) map[string]any {
	s, svc := r.s, r.svc
	if svc == nil {
		return map[string]any{"enabled": false}
	}
	var socks []string
	for _, l := range svc.listeners {
		socks = append(socks, l.Addr().String())
	}
	info := map[string]any{"enabled": true, "sockets": socks, "upgrade": int64(s.cfg.RFBUpgrade), "auth": svc.authNames()}
	svc.mu.Lock()
	scr := svc.screen
	svc.mu.Unlock()
	if scr != nil {
		info["clients"] = int64(scr.Clients())
	}
	return info
}

func (svc *rfbService) authNames() []string {
	names := []string{}
	for _, m := range svc.mods {
		name, _, _ := strings.Cut(m.spec, ":")
		names = append(names, name)
	}
	return names
}
