package modules

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
	"github.com/xroam/xroam/sdk/transport"
)

// engine is one configured transport: the bind types it accepts and what
// it does with a new connection on each.
type engine struct {
	name  string
	types []string
	// plain: hand every tcp connection over as it is, parsing nothing
	// (the built-in, which runs inside the core).
	plain   bool
	tls     *tls.Config
	ssl     string
	html    http.Handler
	htmlOff bool
	timeout time.Duration
	log     *slog.Logger
	// proxy is --tcp-proxy: where tcp connections that are not for
	// this server go (empty: they go to the core, which refuses them).
	proxy string
	// rfbUpgrade is --rfb-upgrade: a tcp connection silent for this long
	// goes to the core without waiting out the handshake timeout.
	rfbUpgrade time.Duration

	h        transport.Handoff
	httpOnce sync.Once
	httpConn chan net.Conn
	upgrader websocket.Upgrader
}

func define(name string, types []string, plain bool) plugin.Transport {
	sch := commonSchema()
	if slices.Contains(types, transport.TCP) {
		sch = tcpSchema()
	}
	return plugin.Transport{Name: name, Version: Version, Schema: sch,
		New: func(_ context.Context, cfg schema.Values) (transport.Transport, error) {
			return newEngine(name, types, plain, cfg)
		}}
}

// TCP is the tcp transport: xpra's protocol handed to the core by file
// descriptor, with TLS (--ssl) and websocket (--html) upgrades.
func TCP() plugin.Transport { return define("tcp", []string{transport.TCP}, false) }

// BuiltinTCP is the tcp transport the core runs in-process when no
// plugin binary is installed: it parses nothing, so it hands every
// connection over as it is and offers no TLS or websocket upgrade.
func BuiltinTCP() plugin.Transport { return define("tcp", []string{transport.TCP}, true) }

// SSL is the ssl transport: TLS sockets carrying xpra's protocol, or
// https and wss when --ssl allows.
func SSL() plugin.Transport { return define("ssl", []string{transport.SSL}, false) }

// WS is the ws transport: HTTP and websocket sockets (ws and wss), which
// serve the HTML5 client.
func WS() plugin.Transport { return define("ws", []string{transport.WS, transport.WSS}, false) }

func newEngine(name string, types []string, plain bool, cfg schema.Values) (*engine, error) {
	e := &engine{name: name, types: types, plain: plain, log: slog.New(slog.NewTextHandler(os.Stderr, nil)).With("transport", name)}
	var err error
	if e.ssl, err = sslMode(cfg.String(AttrSSL)); err != nil {
		return nil, err
	}
	d, err := time.ParseDuration(cfg.String(AttrHandshakeTimeout))
	if err != nil || d <= 0 {
		return nil, fmt.Errorf("handshake_timeout=%q: a positive duration is required", cfg.String(AttrHandshakeTimeout))
	}
	e.timeout = d
	if slices.Contains(types, transport.TCP) {
		if e.proxy = cfg.String(AttrTCPProxy); e.proxy != "" {
			if plain {
				return nil, fmt.Errorf("--tcp-proxy=%s needs the tcp transport plugin (xroam-transport-tcp): the built-in hands every connection to the server unread", e.proxy)
			}
			if _, _, err := net.SplitHostPort(e.proxy); err != nil {
				return nil, fmt.Errorf("tcp_proxy=%q: want HOST:PORT: %w", e.proxy, err)
			}
		}
		if v := cfg.String(AttrRFBUpgrade); v != "" {
			if e.rfbUpgrade, err = time.ParseDuration(v); err != nil || e.rfbUpgrade < 0 {
				return nil, fmt.Errorf("rfb_upgrade=%q: a duration of 0s or more is required", v)
			}
		}
	}
	if plain {
		return e, nil
	}
	if e.tls, err = tlsConfig(cfg); err != nil {
		return nil, err
	}
	if e.tls == nil {
		switch {
		case slices.Contains(types, transport.SSL):
			return nil, errors.New("TLS sockets need a certificate: give --ssl-cert (and --ssl-key when the key is in its own file)")
		case slices.Contains(types, transport.TCP) && e.ssl != "auto" && e.ssl != "off":
			return nil, fmt.Errorf("--ssl=%s needs a certificate: give --ssl-cert", e.ssl)
		}
	}
	e.htmlOff = htmlOff(cfg.String(AttrHTML))
	if e.html, err = htmlHandler(cfg.String(AttrHTML)); err != nil {
		return nil, err
	}
	e.upgrader = websocket.Upgrader{Subprotocols: []string{"binary"}, HandshakeTimeout: d,
		ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	return e, nil
}

// Listen implements transport.Transport.
func (e *engine) Listen(ctx context.Context, req *transport.ListenRequest, h transport.Handoff) (*transport.ListenResponse, error) {
	e.h = h
	var ls []net.Listener
	closeAll := func() {
		for _, l := range ls {
			l.Close()
		}
	}
	resp := &transport.ListenResponse{}
	for _, b := range req.Binds {
		if !slices.Contains(e.types, b.SocketType) {
			closeAll()
			return nil, fmt.Errorf("the %s transport does not listen on %s sockets (it takes %v)", e.name, b.SocketType, e.types)
		}
		if (b.SocketType == transport.SSL || b.SocketType == transport.WSS) && e.tls == nil {
			closeAll()
			return nil, fmt.Errorf("--bind-%s=%s needs a certificate: give --ssl-cert", b.SocketType, b.Address)
		}
		l, err := net.Listen("tcp", b.Address)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("--bind-%s=%s: %w", b.SocketType, b.Address, err)
		}
		ls = append(ls, l)
		resp.Addresses = append(resp.Addresses, l.Addr().String())
	}
	for i, l := range ls {
		go e.accept(ctx, l, req.Binds[i].SocketType)
	}
	go func() {
		<-ctx.Done()
		closeAll()
	}()
	return resp, nil
}

func (e *engine) accept(ctx context.Context, l net.Listener, bindType string) {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		go e.serve(c, bindType)
	}
}

func metaOf(c net.Conn, socketType, bindType string) transport.Meta {
	return transport.Meta{SocketType: socketType, BindType: bindType, Peer: c.RemoteAddr().String(), Local: c.LocalAddr().String()}
}

// serve takes one new connection to the core, through whatever handshake
// its socket type and first byte call for.
func (e *engine) serve(c net.Conn, bindType string) {
	tc, _ := c.(*net.TCPConn)
	switch bindType {
	case transport.TCP:
		if e.plain || tc == nil {
			e.pass(c, bindType, 0)
			return
		}
		pol := e.tcpPolicy()
		accepted := time.Now()
		deadline := accepted.Add(e.timeout)
		// A peer silent for --rfb-upgrade goes to the core now, not when
		// the handshake timeout is over: it is waiting for RFB's greeting.
		if e.rfbUpgrade > 0 && e.rfbUpgrade < e.timeout {
			deadline = accepted.Add(e.rfbUpgrade)
		}
		peek, err := peekBytes(tc, 1, deadline)
		if err == nil {
			if want := pol.peekWant(peek[0]); want > len(peek) {
				// A second byte only refines the guess: without it,
				// the first decides.
				if more, err := peekBytes(tc, want, deadline); len(more) > len(peek) || err == nil {
					peek = more
				}
			}
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			c.Close()
			return
		}
		switch pol.classify(peek) {
		case routeTLS:
			if s := e.handshake(c); s != nil {
				e.afterTLS(s, bindType)
			}
		case routeHTTP:
			e.serveHTTP(c, transport.WS, bindType)
		case routeProxy:
			e.forward(c)
		default:
			// xpra's protocol, or silence that the core's login
			// timeout (or RFB upgrade) deals with.
			var silent time.Duration
			if len(peek) == 0 {
				silent = time.Since(accepted)
			}
			e.pass(c, bindType, silent)
		}
	case transport.SSL:
		if s := e.handshake(c); s != nil {
			e.afterTLS(s, bindType)
		}
	case transport.WS:
		if tc != nil && e.tls != nil && e.ssl != "off" {
			if b, err := peekBytes(tc, 1, time.Now().Add(e.timeout)); err == nil && b[0] == tlsHandshake {
				if s := e.handshake(c); s != nil {
					e.serveHTTP(s, transport.WSS, bindType)
				}
				return
			}
		}
		e.serveHTTP(c, transport.WS, bindType)
	case transport.WSS:
		if s := e.handshake(c); s != nil {
			e.serveHTTP(s, transport.WSS, bindType)
		}
	default:
		c.Close()
	}
}

// tcpPolicy says what a tcp socket serves besides xpra's protocol. With
// --tcp-proxy, HTTP stays here only when the HTML5 client is served, so
// that a web server sharing the port gets its requests.
func (e *engine) tcpPolicy() tcpPolicy {
	p := tcpPolicy{tls: e.tls != nil && e.ssl != "off", http: !e.htmlOff, proxy: e.proxy != ""}
	if p.proxy {
		p.http = e.html != nil
	}
	return p
}

// tlsHandshake is the first byte of a TLS record carrying a ClientHello.
const tlsHandshake = 0x16

// isHTTP reports whether a first byte starts an HTTP method the HTML5
// client or a websocket client sends (GET, HEAD, OPTIONS). xpra's packets
// start with 'P'.
func isHTTP(b byte) bool { return b == 'G' || b == 'H' || b == 'O' }

// pass hands a plain socket to the core by its descriptor; silent is
// how long it has sent nothing (0: it has, or nobody waited).
func (e *engine) pass(c net.Conn, bindType string, silent time.Duration) {
	defer c.Close()
	fc, ok := c.(interface{ File() (*os.File, error) })
	if !ok {
		return
	}
	f, err := fc.File()
	if err != nil {
		e.log.Warn("cannot hand the connection over", "err", err)
		return
	}
	defer f.Close()
	meta := metaOf(c, bindType, bindType)
	meta.Mode = transport.ModeFD
	meta.SilentMillis = silent.Milliseconds()
	if err := e.h.Pass(meta, f); err != nil {
		e.log.Warn("cannot hand the connection over", "peer", meta.Peer, "err", err)
	}
}

// handshake does the server side of TLS within the handshake timeout; it
// returns nil (and closes c) on failure.
func (e *engine) handshake(c net.Conn) *tls.Conn {
	s := tls.Server(c, e.tls)
	ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
	defer cancel()
	if err := s.HandshakeContext(ctx); err != nil {
		e.log.Info("TLS handshake failed", "peer", c.RemoteAddr().String(), "err", err)
		c.Close()
		return nil
	}
	return s
}

// afterTLS decides what a TLS stream carries: https/wss when its first
// byte is an HTTP method and --ssl allows it, else xpra's protocol.
func (e *engine) afterTLS(s *tls.Conn, bindType string) {
	wantWWW := e.ssl != "tcp" && (bindType != transport.TCP || !e.htmlOff)
	// On a tcp socket with --tcp-proxy, what TLS carries is classified
	// as plain bytes are: what is not for this server is forwarded.
	pol := tcpPolicy{http: wantWWW, proxy: bindType == transport.TCP && e.proxy != ""}
	if pol.proxy {
		pol.http = wantWWW && e.html != nil
	}
	if !wantWWW && !pol.proxy {
		e.relay(s, metaOf(s, transport.SSL, bindType))
		return
	}
	br := bufio.NewReader(s)
	_ = s.SetReadDeadline(time.Now().Add(e.timeout))
	peek, err := br.Peek(1)
	if err == nil {
		if want := pol.peekWant(peek[0]); want > 1 {
			if more, _ := br.Peek(want); len(more) > len(peek) {
				peek = more
			}
		}
	}
	_ = s.SetReadDeadline(time.Time{})
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		s.Close()
		return
	}
	bc := &bufConn{Conn: s, r: br}
	switch pol.classify(peek) {
	case routeHTTP:
		e.serveHTTP(bc, transport.WSS, bindType)
	case routeProxy:
		e.forward(bc)
	default:
		if e.ssl == "www" {
			s.Close()
			return
		}
		e.relay(bc, metaOf(s, transport.SSL, bindType))
	}
}

// relay hands the core a socketpair and copies between it and c.
func (e *engine) relay(c net.Conn, meta transport.Meta) {
	r, err := e.h.Relay(meta)
	if err != nil {
		e.log.Warn("cannot hand the connection over", "peer", meta.Peer, "err", err)
		c.Close()
		return
	}
	transport.Pipe(c, r)
}

// bufConn is a conn whose first bytes were peeked through r.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *bufConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
