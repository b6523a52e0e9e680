package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/xroam/xroam/core/mmap"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/xpra"
)

// loginTimeout bounds the wait for a new connection's hello.
const loginTimeout = 10 * time.Second

// clientConn is one connection to the server.
type clientConn struct {
	s         *Server
	nc        net.Conn
	r         *wire.Reader
	w         *wire.Writer
	caps      wire.Dict
	ui        bool
	connected time.Time
	// cipherCaps announce how this server's side decrypts (encrypted
	// connections only).
	cipherCaps wire.Dict
	// mmap is the client's mmap area until its pipeline takes it (nil:
	// none).
	mmap *mmap.Area
	// who is what the auth modules said about the user (nil without
	// any): it shapes the commands started through this connection.
	who *authResult
	// log is the connection's logger, which names the peer.
	log *slog.Logger

	closeOnce sync.Once
}

func (c *clientConn) close() {
	c.closeOnce.Do(func() { c.nc.Close() })
}

// disconnect tells the peer why it is being dropped, then closes.
func (c *clientConn) disconnect(reason string, extra ...string) {
	_ = c.nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_ = c.w.WritePacket(xpra.NewDisconnect(reason, extra...))
	// Give the peer a moment to read it before the close resets the link.
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	c.close()
}

func (s *Server) acceptLoop(ctx context.Context, l net.Listener) {
	for {
		nc, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("accept failed", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s.connWG.Add(1)
		go func() {
			defer s.connWG.Done()
			s.handle(ctx, nc)
		}()
	}
}

// waitConns waits for the connection goroutines to finish, up to ctx.
func (s *Server) waitConns(ctx context.Context) {
	done := make(chan struct{})
	go func() { s.connWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// requestKind reads what a command-line client asks for, from the request
// string or the legacy booleans of older clients.
func requestKind(caps wire.Dict) string { return xpra.RequestKind(caps) }

func (s *Server) handle(ctx context.Context, nc net.Conn) {
	nc, upgraded := s.rfb.upgrade(ctx, nc)
	if upgraded {
		return
	}
	c := &clientConn{s: s, nc: nc, r: wire.NewReader(nc), w: wire.NewWriter(nc), connected: time.Now()}
	defer c.close()
	peer := nc.RemoteAddr().String()
	if peer == "" || peer == "@" {
		peer = "unix socket"
	}
	log := s.log.With("peer", peer)
	c.log = log
	// Until it has logged in, a peer is held to a hello's size and cost
	// and to a few connections at a time (see preauth.go).
	loggedIn, err := s.preauth.enter(nc, s.log)
	if err != nil {
		log.Debug("connection refused", "err", err)
		c.disconnect(xpra.ReasonSessionBusy, err.Error())
		return
	}
	defer loggedIn()
	c.r.SetMaxPacketSize(wire.PreAuthMaxPacketSize)
	c.r.SetLimits(wire.PreAuthLimits())
	_ = nc.SetReadDeadline(time.Now().Add(loginTimeout))
	pkt, err := c.r.ReadPacket()
	if err != nil {
		// A bare connect() without a packet is how `list` probes: not an
		// error worth more than a debug line.
		if errors.Is(err, io.EOF) {
			log.Debug("connection closed before its hello")
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			c.disconnect(xpra.ReasonLoginTimeout)
		} else {
			log.Warn("invalid first packet", "err", err)
			c.disconnect(xpra.ReasonProtocolError, err.Error())
		}
		return
	}
	caps, err := xpra.ParseHello(pkt)
	if err != nil {
		log.Warn("the first packet is not a hello", "err", err)
		c.disconnect(xpra.ReasonProtocolError, "expected a hello packet")
		return
	}
	_ = nc.SetReadDeadline(time.Time{})
	c.w.Apply(wire.Negotiate(caps))
	// Encryption starts when the client asks for it; like login, it is
	// not required of version requests (xpra answers those first).
	if err := s.setupCipher(c, caps); err != nil && requestKind(caps) != "version" {
		log.Warn("encryption refused", "err", err)
		c.disconnect(xpra.ReasonAuthenticationFailed, err.Error())
		return
	}
	caps, ok := s.authenticate(ctx, c, caps, log)
	if !ok {
		return
	}
	loggedIn()
	c.r.SetMaxPacketSize(wire.DefaultMaxPacketSize)
	c.r.SetLimits(wire.DefaultLimits())
	c.caps = caps
	req := requestKind(caps)
	log.Info("new connection", "request", req, "client-type", caps.Str("client_type", ""), "version", caps.Str("version", ""))
	switch req {
	case "version":
		_ = c.w.WritePacket(c.helloPacket(s.versionCaps()))
		c.drain(5 * time.Second)
	case "info":
		hello := xpra.ProtocolCaps()
		for k, val := range xpra.InfoCaps(s.info(ctx), caps.Bool("info-namespace", false)) {
			hello[k] = val
		}
		_ = c.w.WritePacket(c.helloPacket(hello))
		c.drain(5 * time.Second)
	case "id":
		h := s.versionCaps()
		h["session-type"] = s.opts.Mode
		h["session-name"] = s.sessionName()
		h["uuid"] = s.uuid()
		h["platform"] = runtime.GOOS
		h["display"] = fmt.Sprintf(":%d", s.display)
		_ = c.w.WritePacket(c.helloPacket(h))
		c.drain(5 * time.Second)
	case "connect_test":
		h := s.versionCaps()
		h["connect_test_response"] = caps.Str("connect_test_request", "")
		_ = c.w.WritePacket(c.helloPacket(h))
		c.drain(5 * time.Second)
	case "command":
		h := xpra.ProtocolCaps()
		h["command_response"] = s.control.run(c.who, caps.List("command_request"))
		_ = c.w.WritePacket(c.helloPacket(h))
		c.drain(5 * time.Second)
	case "screenshot":
		// xpra answers with the picture itself, not a hello.
		w, h, data, err := s.win.screenshot()
		if err != nil {
			log.Warn("screenshot failed", "err", err)
			c.disconnect(xpra.ReasonServerError, "screenshot failed: "+err.Error())
			return
		}
		_ = c.w.WritePacket(xpra.Screenshot{Width: int64(w), Height: int64(h), Encoding: "png", Rowstride: int64(w * 4), Data: data}.Packet())
		c.drain(5 * time.Second)
	case "detach":
		n := s.disconnectAll(xpra.ReasonDetachRequest, c)
		log.Info("detached the clients", "count", n)
		c.disconnect(xpra.ReasonDone, fmt.Sprintf("%d other clients have been disconnected", n))
	case "stop", "exit":
		// xpra's command-line client sends shutdown-server or exit-server
		// after the hello; that packet, not the request, ends the server.
		_ = c.w.WritePacket(c.helloPacket(s.versionCaps()))
		_ = c.w.WritePacket(xpra.StartupComplete{}.Packet())
		s.serve(ctx, c)
	case "":
		if !caps.Bool("ui_client", true) {
			_ = c.w.WritePacket(c.helloPacket(s.versionCaps()))
			s.serve(ctx, c)
			return
		}
		s.attach(ctx, c, log)
	default:
		log.Warn("unsupported request", "request", req)
		c.disconnect(xpra.ReasonControlCommandError, fmt.Sprintf("request %q is not supported by this server", req))
	}
}

// drain waits for the peer to close, up to d, answering nothing: command
// clients close once they have the reply.
func (c *clientConn) drain(d time.Duration) {
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	for {
		if _, err := c.r.ReadPacket(); err != nil {
			return
		}
	}
}

// attach registers a UI client and serves it until it leaves; the
// subsystems' hooks run in their order (see subsystem.go).
func (s *Server) attach(ctx context.Context, c *clientConn, log *slog.Logger) {
	c.ui = true
	s.mu.Lock()
	var others []*clientConn
	if !s.cfg.Sharing {
		for o := range s.clients {
			if o.ui {
				others = append(others, o)
			}
		}
	}
	s.clients[c] = struct{}{}
	first := !s.uiSeen
	s.uiSeen = true
	s.mu.Unlock()
	if first {
		s.startList(s.cfg.StartAfterConnect, s.cfg.StartChildAfterConnect, "after-connect")
	}
	s.startList(s.cfg.StartOnConnect, s.cfg.StartChildOnConnect, "on-connect")
	a := &attachment{c: c, log: log}
	var undo detachStack
	fail := func(what string, err error) {
		log.Warn(what, "err", err)
		c.disconnect(xpra.ReasonServerError, err.Error())
		undo.run()
		s.removeClient(c)
	}
	for _, sub := range s.subs {
		if p, ok := sub.(preparer); ok {
			d, err := p.Prepare(ctx, a)
			if err != nil {
				fail("cannot prepare the session for the client", fmt.Errorf("%s: %w", sub.Name(), err))
				return
			}
			undo.push(d)
		}
	}
	for _, o := range others {
		o.disconnect(xpra.ReasonNewClient)
	}
	hello, err := s.uiCaps(ctx, a)
	if err != nil {
		fail("cannot describe the display", err)
		return
	}
	_ = c.w.WritePacket(c.helloPacket(hello))
	for _, sub := range s.subs {
		if at, ok := sub.(attacher); ok {
			d, err := at.Attach(ctx, a)
			if err != nil {
				fail("cannot attach the client", fmt.Errorf("%s: %w", sub.Name(), err))
				return
			}
			undo.push(d)
		}
	}
	_ = c.w.WritePacket(xpra.StartupComplete{}.Packet())
	log.Info("client attached", "uuid", c.caps.Str("uuid", ""), "hostname", c.caps.Str("hostname", ""))
	s.serve(ctx, c)
	undo.run()
	s.removeClient(c)
	log.Info("client left")
}

func (s *Server) removeClient(c *clientConn) {
	s.mu.Lock()
	delete(s.clients, c)
	left := 0
	for o := range s.clients {
		if o.ui {
			left++
		}
	}
	if left == 0 {
		s.lastSeen = time.Now()
	}
	s.mu.Unlock()
	if left == 0 && c.ui {
		s.startList(s.cfg.StartOnLastClientExit, s.cfg.StartChildOnLastClientExit, "on-last-client-exit")
	}
	if left == 0 && c.ui && s.cfg.ExitWithClient {
		s.log.Info("the last client left: stopping (--exit-with-client)")
		s.requestEnd(EndStop)
	}
}

// serve reads a connected peer's packets until it leaves, handing each
// to the subsystem that handles its type; the context the handlers get
// ends with the connection.
func (s *Server) serve(ctx context.Context, c *clientConn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for {
		pkt, err := c.r.ReadPacket()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.log.Debug("connection ended", "err", err)
			}
			return
		}
		r, ok := s.handlers[pkt.Type()]
		if !ok || (!r.anyConn && !c.ui) {
			c.log.Debug("ignored packet", "type", pkt.Type())
			continue
		}
		switch err := r.serve(ctx, c, pkt); {
		case err == nil:
		case errors.Is(err, errHangUp):
			return
		case errors.Is(err, errIgnored):
			c.log.Debug("ignored packet", "type", pkt.Type())
		default:
			c.log.Debug("packet not served", "type", pkt.Type(), "subsystem", r.sub, "err", err)
		}
	}
}

// disconnectAll drops every connected client except keep, with reason; it
// returns how many were dropped.
func (s *Server) disconnectAll(reason string, keep *clientConn) int {
	s.mu.Lock()
	var cs []*clientConn
	for c := range s.clients {
		if c != keep {
			cs = append(cs, c)
		}
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.disconnect(reason)
	}
	return len(cs)
}

func (s *Server) uuid() string {
	return fmt.Sprintf("%x-%d-%d", s.started.UnixNano(), os.Getpid(), s.display)
}

// versionCaps adds who the server is to the protocol caps.
func (s *Server) versionCaps() wire.Dict {
	host, _ := os.Hostname()
	h := xpra.ProtocolCaps()
	h["xroam.version"] = s.opts.Version
	h["build.version"] = xpra.ProtocolVersion
	h["hostname"] = host
	h["platform"] = runtime.GOOS
	h["server_type"] = "xroam"
	// `xroam upgrade` starts the new server in the same mode.
	h["server.mode"] = s.opts.Mode
	return h
}

// uiCaps is the hello for an attaching client: the session's own keys,
// then each subsystem's in order, a later key replacing an earlier one.
func (s *Server) uiCaps(ctx context.Context, a *attachment) (wire.Dict, error) {
	h := s.versionCaps()
	for k, v := range map[string]any{
		"display":                 fmt.Sprintf(":%d", s.display),
		"uuid":                    s.uuid(),
		"session_name":            s.sessionName(),
		"start_time":              s.started.Unix(),
		"server.mode":             s.opts.Mode,
		"desktop":                 s.opts.Mode == "desktop",
		"shadow":                  s.opts.Mode == "shadow",
		"readonly":                s.cfg.Readonly,
		"notify-startup-complete": true,
		"client-shutdown":         true,
		"sharing":                 s.cfg.Sharing,
		"start-new-commands":      false,
	} {
		h[k] = v
	}
	for _, sub := range s.subs {
		if cp, ok := sub.(capsProvider); ok {
			d, err := cp.Caps(ctx, a)
			if err != nil {
				return nil, err
			}
			maps.Copy(h, d)
		}
	}
	return h, nil
}

// info is the session's state as a tree; info-namespace clients get it
// nested, others flattened to dotted keys.
func (s *Server) info(ctx context.Context) map[string]any {
	host, _ := os.Hostname()
	children := map[string]any{}
	for i, ch := range s.children.List() {
		e := map[string]any{"pid": int64(ch.PID), "command": ch.Command, "child": ch.Child, "started": ch.Started.Unix(), "dead": ch.Exited}
		if ch.Exited {
			e["exit-code"] = int64(ch.ExitCode)
		}
		children[fmt.Sprint(i)] = e
	}
	s.mu.Lock()
	clients := map[string]any{}
	i := 0
	for c := range s.clients {
		clients[fmt.Sprint(i)] = map[string]any{
			"type":      c.caps.Str("client_type", ""),
			"version":   c.caps.Str("version", ""),
			"uuid":      c.caps.Str("uuid", ""),
			"hostname":  c.caps.Str("hostname", ""),
			"connected": c.connected.Unix(),
			"peer":      c.nc.RemoteAddr().String(),
		}
		i++
	}
	nclients := len(s.clients)
	s.mu.Unlock()
	clients["count"] = int64(nclients)
	display := map[string]any{"name": fmt.Sprintf(":%d", s.display), "xvfb-pid": int64(s.xvfbPID)}
	if di, err := x11.Probe(ctx, fmt.Sprintf(":%d", s.display)); err == nil {
		display["width"] = int64(di.Width)
		display["height"] = int64(di.Height)
		display["depth"] = int64(di.Depth)
		display["vendor"] = di.Vendor
		var exts []string
		for name, ok := range di.Extensions {
			if ok {
				exts = append(exts, name)
			}
		}
		sort.Strings(exts)
		display["extensions"] = exts
	} else {
		display["error"] = err.Error()
	}
	out := map[string]any{
		"server": map[string]any{
			"type":         "xroam",
			"version":      s.opts.Version,
			"protocol":     xpra.ProtocolVersion,
			"mode":         s.opts.Mode,
			"pid":          int64(os.Getpid()),
			"start_time":   s.started.Unix(),
			"uptime":       int64(time.Since(s.started).Seconds()),
			"hostname":     host,
			"platform":     runtime.GOOS,
			"socket":       s.socketPath,
			"session-name": s.sessionName(),
		},
		"display":  display,
		"children": children,
		"clients":  clients,
	}
	// Each subsystem's state is under its name.
	for _, sub := range s.subs {
		if ip, ok := sub.(infoProvider); ok {
			out[sub.Name()] = ip.Info(ctx)
		}
	}
	return out
}
