package modules

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// infoConn carries what the HTTP handler needs to know of its connection.
type infoConn struct {
	net.Conn
	socketType, bindType string
}

type infoKey struct{}

// chanListener feeds connections that are already accepted (and maybe
// already through TLS) to the HTTP server.
type chanListener struct {
	c    chan net.Conn
	done chan struct{}
	once sync.Once
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.c:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{} }

// serveHTTP gives c to the engine's HTTP server: websocket upgrades reach
// the core, other requests get the HTML5 client's files.
func (e *engine) serveHTTP(c net.Conn, socketType, bindType string) {
	e.httpOnce.Do(func() {
		l := &chanListener{c: make(chan net.Conn), done: make(chan struct{})}
		e.httpConn = l.c
		srv := &http.Server{
			Handler:           e,
			ReadHeaderTimeout: e.timeout,
			IdleTimeout:       2 * time.Minute,
			ConnContext: func(ctx context.Context, c net.Conn) context.Context {
				return context.WithValue(ctx, infoKey{}, c)
			},
		}
		go func() { _ = srv.Serve(l) }()
	})
	e.httpConn <- &infoConn{Conn: &maskFixer{Conn: c}, socketType: socketType, bindType: bindType}
}

// ServeHTTP implements http.Handler.
func (e *engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ic, _ := r.Context().Value(infoKey{}).(*infoConn)
	if ic == nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if websocket.IsWebSocketUpgrade(r) {
		e.websocket(w, r, ic)
		return
	}
	if e.html == nil {
		http.Error(w, "this xroam server serves no HTML5 client (see --html)", http.StatusNotFound)
		return
	}
	e.html.ServeHTTP(w, r)
}

func (e *engine) websocket(w http.ResponseWriter, r *http.Request, ic *infoConn) {
	ws, err := e.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// Upgrade has answered the client already.
		e.log.Info("websocket handshake failed", "peer", ic.RemoteAddr().String(), "err", err)
		return
	}
	_ = ws.UnderlyingConn().SetDeadline(time.Time{})
	e.relay(&wsStream{ws: ws}, metaOf(ic, ic.socketType, ic.bindType))
}

// wsStream is a websocket as a byte stream: each write is one binary
// message, reads run across message boundaries, as xpra's framing
// carries its own lengths.
type wsStream struct {
	ws *websocket.Conn
	r  io.Reader
	wm sync.Mutex
}

func (s *wsStream) Read(p []byte) (int, error) {
	for {
		if s.r == nil {
			typ, r, err := s.ws.NextReader()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					return 0, io.EOF
				}
				return 0, err
			}
			if typ != websocket.BinaryMessage && typ != websocket.TextMessage {
				continue
			}
			s.r = r
		}
		n, err := s.r.Read(p)
		if errors.Is(err, io.EOF) {
			s.r = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func (s *wsStream) Write(p []byte) (int, error) {
	s.wm.Lock()
	defer s.wm.Unlock()
	if err := s.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// wsStream has no CloseWrite: a close frame sent right behind xpra's
// disconnect packet races with it in xpra 3.1.3's client, which then drops
// the packet and its message. The peer closes once it has read the
// packet, or transport.Pipe closes the socket a few seconds later.

func (s *wsStream) Close() error                       { return s.ws.Close() }
func (s *wsStream) LocalAddr() net.Addr                { return s.ws.LocalAddr() }
func (s *wsStream) RemoteAddr() net.Addr               { return s.ws.RemoteAddr() }
func (s *wsStream) SetDeadline(t time.Time) error      { return s.ws.UnderlyingConn().SetDeadline(t) }
func (s *wsStream) SetReadDeadline(t time.Time) error  { return s.ws.SetReadDeadline(t) }
func (s *wsStream) SetWriteDeadline(t time.Time) error { return s.ws.SetWriteDeadline(t) }
