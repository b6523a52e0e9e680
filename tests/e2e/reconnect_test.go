package e2e

import (
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// cutProxy forwards TCP connections to a server and can cut them all,
// as a network failure does, while it keeps accepting new ones.
type cutProxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
	cuts  int
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{l: l}
	t.Cleanup(func() { l.Close(); p.cut() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) addr() string { return p.l.Addr().String() }

// cut closes every connection made so far.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.cuts++
}

// TestAttachReconnects: when the connection drops, xroam attach connects
// again and shows the windows again; when the server stops, it exits.
func TestAttachReconnects(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	addr := fmt.Sprintf("127.0.0.1:%d", suite.FreePort(t))
	n := e.Start("--start=xterm -T recon -geometry 40x10", "--bind-tcp="+addr)
	srv := WaitWindow(t, n, "recon")
	p := newCutProxy(t, addr)

	cd := ClientDisplay(t)
	a := e.Attach(cd, "tcp://"+p.addr()+"/", "--encoding=rgb")
	first := WaitWindow(t, cd, "recon")
	srvWaitSamePixels(t, n, srv.ID, cd, first.ID)

	p.cut()
	// The window of the lost connection goes, a new one comes with the
	// application's pixels.
	var again uint32
	WaitFor(t, "the window to come back after the reconnect", func() bool {
		w := WaitWindow(t, cd, "recon")
		again = w.ID
		return w.ID != first.ID
	})
	srvWaitSamePixels(t, n, srv.ID, cd, again)
	select {
	case err := <-a.Done:
		a.Done <- err
		t.Fatalf("xroam attach exited after the connection dropped: %v", err)
	default:
	}

	// A server that ends the session is not reconnected to.
	e.MustRun("stop", fmt.Sprintf(":%d", n))
	select {
	case err := <-a.Done:
		a.Done <- err
	case <-time.After(30 * time.Second):
		t.Fatalf("xroam attach did not exit after the server stopped:\n%s", a.Out.String())
	}
}
