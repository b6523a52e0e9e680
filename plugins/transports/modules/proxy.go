package modules

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// route is where the tcp transport takes a new connection.
type route int

const (
	// routeCore: xpra's protocol, or silence that the core's login
	// timeout (or its RFB upgrade) deals with.
	routeCore route = iota
	// routeTLS: a TLS handshake this transport terminates.
	routeTLS
	// routeHTTP: an HTTP request (the HTML5 client, a websocket).
	routeHTTP
	// routeProxy: anything else, forwarded to --tcp-proxy.
	routeProxy
)

// tcpPolicy is what a tcp socket serves besides xpra's protocol.
type tcpPolicy struct {
	tls   bool // TLS is terminated here
	http  bool // HTTP requests are answered here
	proxy bool // --tcp-proxy is set: the rest is forwarded
}

// classify decides a connection's route from its first bytes, which may
// be fewer than peekWant says when the peer went quiet; none means
// silence. The bytes are untrusted: every value is handled.
func (p tcpPolicy) classify(peek []byte) route {
	if len(peek) == 0 {
		return routeCore
	}
	b := peek[0]
	switch {
	case b == tlsHandshake && p.tls:
		return routeTLS
	case isHTTP(b) && p.http && (!p.proxy || isHTTPMethod(peek)):
		return routeHTTP
	case !p.proxy:
		// Without a proxy the core is the only place left: it refuses
		// what is not xpra's.
		return routeCore
	case b == 'P' && (len(peek) < 2 || !isUpperASCII(peek[1])):
		// xpra's header is 'P' and a flags byte below 0x20; 'P' and a
		// capital letter is POST, PUT, PATCH or PROPFIND.
		return routeCore
	}
	return routeProxy
}

// peekWant is how many bytes classify needs once it has seen the first.
// Without a proxy the first byte is enough. With one, a second tells
// xpra's 'P' from an HTTP method, and the HTTP requests served here are
// told by their whole method (HELO is not HEAD).
func (p tcpPolicy) peekWant(first byte) int {
	switch {
	case !p.proxy:
		return 1
	case first == 'P':
		return 2
	case p.http && isHTTP(first):
		for _, m := range httpMethods {
			if m[0] == first {
				return len(m)
			}
		}
	}
	return 1
}

// httpMethods are the requests of the HTML5 client and of websocket
// clients, with the space that ends the method.
var httpMethods = [...]string{"GET ", "HEAD ", "OPTIONS "}

// isHTTPMethod reports whether peek starts with one of httpMethods, or,
// when the peer stopped short, with the start of one.
func isHTTPMethod(peek []byte) bool {
	for _, m := range httpMethods {
		n := min(len(m), len(peek))
		if string(peek[:n]) == m[:n] {
			return true
		}
	}
	return false
}

func isUpperASCII(b byte) bool { return b >= 'A' && b <= 'Z' }

// peekBytes waits until the connection has want bytes to read, or the
// deadline passes, or the peer ends, and returns what it can see without
// consuming it, so that the socket can still be handed over untouched.
// Fewer than want bytes come back with the error that stopped the wait.
func peekBytes(c *net.TCPConn, want int, deadline time.Time) ([]byte, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	_ = c.SetReadDeadline(deadline)
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, want)
	var n int
	var rerr error
	err = raw.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK)
		if rerr == syscall.EAGAIN {
			n = 0
			return false
		}
		if n < 0 {
			n = 0
		}
		// Fewer bytes than wanted: wait for the next ones to arrive.
		return rerr != nil || n == 0 || n >= want
	})
	switch {
	case n >= want:
		return buf[:n], nil
	case err != nil:
		return buf[:n], err
	case rerr != nil:
		return buf[:n], rerr
	case n == 0:
		return nil, io.EOF
	}
	return buf[:n], nil
}

// forward connects to the --tcp-proxy target and copies between it and
// c until both directions end; c is closed either way.
func (e *engine) forward(c net.Conn) {
	peer := c.RemoteAddr().String()
	d := net.Dialer{Timeout: e.timeout}
	t, err := d.Dial("tcp", e.proxy)
	if err != nil {
		e.log.Warn("closing a connection that is not xpra's protocol: the --tcp-proxy target cannot be reached",
			"peer", peer, "tcp-proxy", e.proxy, "err", err)
		c.Close()
		return
	}
	e.log.Info("forwarding a connection that is not xpra's protocol", "peer", peer, "tcp-proxy", e.proxy)
	splice(c, t)
}

// splice copies both ways between a and b. An end that closes its
// sending half has that passed on (a FIN), so that request-response
// protocols that half-close work; an error in either direction ends
// both.
func splice(a, b net.Conn) {
	var once sync.Once
	closeBoth := func() {
		once.Do(func() {
			a.Close()
			b.Close()
		})
	}
	var wg sync.WaitGroup
	half := func(dst, src net.Conn) {
		defer wg.Done()
		if _, err := io.Copy(dst, src); err != nil && !errors.Is(err, net.ErrClosed) {
			closeBoth()
			return
		}
		if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			return
		}
		closeBoth()
	}
	wg.Add(2)
	go half(a, b)
	go half(b, a)
	wg.Wait()
	closeBoth()
}
