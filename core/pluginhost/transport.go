package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"

	"github.com/xroam/xroam/core/pluginhost/handoff"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/transport"
)

// HandedConn is a connection a transport handed to the core; its
// LocalAddr's network is the socket type whose authentication applies.
type HandedConn = handoff.Conn

type listenAddr struct{ network, addr string }

func (a listenAddr) Network() string { return a.network }
func (a listenAddr) String() string  { return a.addr }

// Listener is a transport plugin's listening sockets as the core sees
// them: Accept returns the connections the plugin hands over, each a
// *HandedConn. A plugin restarted by the host binds the same addresses
// again and its connections come through the same Listener.
type Listener struct {
	h     *Host
	name  string
	req   transport.ListenRequest
	conns chan *handoff.Conn
	done  chan struct{}

	mu        sync.Mutex
	closed    bool
	addrs     []string
	receivers []*net.UnixConn
}

func newListener(h *Host, name string, req transport.ListenRequest) *Listener {
	return &Listener{h: h, name: name, req: req, conns: make(chan *handoff.Conn), done: make(chan struct{})}
}

// Accept implements net.Listener.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops handing connections to the core; the plugin itself stops
// with the host.
func (l *Listener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.done)
	for _, r := range l.receivers {
		r.Close()
	}
	l.receivers = nil
	return nil
}

// Addr implements net.Listener: the first bound address.
func (l *Listener) Addr() net.Addr {
	a := l.Addresses()
	if len(a) == 0 {
		return listenAddr{network: l.name}
	}
	return listenAddr{network: l.req.Binds[0].SocketType, addr: a[0]}
}

// Addresses are the bound addresses, in the order of the binds.
func (l *Listener) Addresses() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.addrs)
}

// bindRequest is what a (re)started plugin is asked to bind: after the
// first start, the addresses actually bound, so that a port 0 keeps the
// port it was given.
func (l *Listener) bindRequest() *transport.ListenRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	req := &transport.ListenRequest{Binds: slices.Clone(l.req.Binds)}
	if len(l.addrs) == len(req.Binds) {
		for i := range req.Binds {
			req.Binds[i].Address = l.addrs[i]
		}
	}
	return req
}

// attach starts receiving the connections of one plugin generation.
func (l *Listener) attach(f *os.File, addrs []string) error {
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("handoff socket: %w", err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return fmt.Errorf("handoff socket is a %T", c)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		uc.Close()
		return errors.New("listener closed")
	}
	l.addrs = slices.Clone(addrs)
	l.receivers = append(l.receivers, uc)
	l.mu.Unlock()
	go l.receive(uc)
	return nil
}

func (l *Listener) receive(uc *net.UnixConn) {
	defer func() {
		uc.Close()
		l.mu.Lock()
		l.receivers = slices.DeleteFunc(l.receivers, func(r *net.UnixConn) bool { return r == uc })
		l.mu.Unlock()
	}()
	for {
		c, err := handoff.Receive(uc)
		if errors.Is(err, handoff.ErrBad) {
			l.h.log.Warn("transport plugin handed over a bad connection", "plugin", l.name, "err", err)
			continue
		}
		if err != nil {
			// The plugin has gone; a restart attaches a new socket.
			return
		}
		select {
		case l.conns <- c:
		case <-l.done:
			c.Close()
			return
		}
	}
}

// Transport starts (or runs in-process) the transport plugin of the spec,
// has it bind req's addresses, and returns the listener its connections
// arrive on. The host restarts a crashed plugin with the same addresses.
func (h *Host) Transport(ctx context.Context, sp Spec, req transport.ListenRequest) (*Listener, error) {
	sp.Kind = plugin.KindTransport
	l := newListener(h, sp.Name, req)
	sp.listener = l
	v, err := h.open(ctx, sp)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case *remote:
		return l, nil
	case transport.Transport:
		// A built-in goes through the same handoff socket as a plugin
		// subprocess: only gRPC is left out.
		ours, theirs, err := transport.PacketPair()
		if err != nil {
			return nil, err
		}
		sc, err := net.FileConn(ours)
		ours.Close()
		if err != nil {
			theirs.Close()
			return nil, fmt.Errorf("handoff socket: %w", err)
		}
		snd := transport.NewSender(sc.(*net.UnixConn))
		resp, err := x.Listen(h.ctx, l.bindRequest(), snd)
		if err != nil {
			sc.Close()
			theirs.Close()
			return nil, fmt.Errorf("transport %q: %w", sp.Name, err)
		}
		go func() {
			<-h.ctx.Done()
			sc.Close()
		}()
		if err := l.attach(theirs, resp.Addresses); err != nil {
			return nil, err
		}
		return l, nil
	}
	return nil, fmt.Errorf("transport %q is not a transport", sp.Name)
}

// startTransport prepares a transport subprocess's start: the handoff
// socketpair, whose plugin end becomes the child's descriptor 3. The
// returned function, called once the plugin is configured, has it bind
// and attaches the host end to the listener.
func (r *remote) prepareTransport() (child *os.File, listen func(ctx context.Context, impl any) error, cleanup func(), err error) {
	ours, theirs, err := transport.PacketPair()
	if err != nil {
		return nil, nil, nil, err
	}
	cleanup = func() { ours.Close(); theirs.Close() }
	listen = func(ctx context.Context, impl any) error {
		tc, ok := impl.(*plugin.TransportClient)
		if !ok {
			return fmt.Errorf("unexpected transport client %T", impl)
		}
		resp, err := tc.Listen(ctx, r.listener.bindRequest())
		if err != nil {
			return err
		}
		theirs.Close()
		return r.listener.attach(ours, resp.Addresses)
	}
	return theirs, listen, cleanup, nil
}
