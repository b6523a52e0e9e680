package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/xroam/xroam/core/wire"
)

// The server's features are subsystems: one type per feature, in a file
// named for it (windows.go, keyboard.go, nx.go, …), listed once in
// newSubsystems. The connection code (conn.go) knows no feature by name:
// it calls the hooks each subsystem implements, in the list's order, and
// routes every packet by its type to the one subsystem that handles it.

// subsystem is one feature of the server. Besides Name it implements the
// hooks it needs, each a small interface below: preparer, capsProvider,
// attacher, packetHandler and infoProvider.
type subsystem interface {
	// Name names the subsystem in logs and errors, and is its key in the
	// info tree.
	Name() string
}

// attachment is a UI client being attached, as the attach hooks see it.
type attachment struct {
	c   *clientConn
	log *slog.Logger
}

// A preparer adapts the session to a UI client that attaches, before
// the clients it replaces (without --sharing) are dropped and before its
// hello is built. undo (nil: nothing) runs as the client leaves.
type preparer interface {
	Prepare(ctx context.Context, a *attachment) (undo func(), err error)
}

// A capsProvider adds keys to an attaching UI client's hello. The
// session's own keys come first, then each subsystem's in order: a later
// subsystem's key wins. An error refuses the client.
type capsProvider interface {
	Caps(ctx context.Context, a *attachment) (wire.Dict, error)
}

// An attacher starts serving a UI client that has its hello, before it
// is told startup-complete; detach (nil: nothing) runs as it leaves.
// Detaches run in the reverse order of the attaches, then the undos of
// the preparers, also last first.
type attacher interface {
	Attach(ctx context.Context, a *attachment) (detach func(), err error)
}

// A packetHandler serves packet types. A type has one handler in the
// whole server: two subsystems that claim the same type stop the start.
type packetHandler interface {
	Handlers() map[string]handler
}

// An infoProvider describes its state for the info request, under its
// Name in the tree.
type infoProvider interface {
	Info(ctx context.Context) map[string]any
}

// handlerFunc serves one packet of a connection. ctx ends when the
// connection does. It returns errHangUp once it has ended the connection,
// errIgnored when the packet means nothing in the connection's state (it
// is logged at debug level as an unknown one is), another error when the
// packet was not served (logged at debug level too).
type handlerFunc func(ctx context.Context, c *clientConn, pkt wire.Packet) error

// handler is how a subsystem serves one packet type.
type handler struct {
	serve handlerFunc
	// anyConn serves the packet on every connection, the command-line
	// clients' included; otherwise only attached UI clients' packets
	// reach the handler, and others are ignored.
	anyConn bool
}

// ui serves a packet of attached UI clients only.
func ui(f handlerFunc) handler { return handler{serve: f} }

// anyConn serves a packet on every connection.
func anyConn(f handlerFunc) handler { return handler{serve: f, anyConn: true} }

// parsed decodes a packet with parse before f sees it; a packet that
// does not decode is not served.
func parsed[T any](parse func(wire.Packet) (T, error), f func(context.Context, *clientConn, T) error) handlerFunc {
	return func(ctx context.Context, c *clientConn, pkt wire.Packet) error {
		p, err := parse(pkt)
		if err != nil {
			return fmt.Errorf("malformed packet: %w", err)
		}
		return f(ctx, c, p)
	}
}

var (
	// errHangUp: the handler ended the connection; serve stops reading.
	errHangUp = errors.New("connection ended by its handler")
	// errIgnored: the packet means nothing in the connection's state.
	errIgnored = errors.New("packet ignored")
)

// route is a packet type's entry in the server's table.
type route struct {
	handler
	sub string // the subsystem's name
}

// handlerTable maps every packet type the subsystems handle to its
// handler; a type claimed twice is an error.
func handlerTable(subs []subsystem) (map[string]route, error) {
	table := map[string]route{}
	for _, sub := range subs {
		ph, ok := sub.(packetHandler)
		if !ok {
			continue
		}
		hs := ph.Handlers()
		types := make([]string, 0, len(hs))
		for t := range hs {
			types = append(types, t)
		}
		sort.Strings(types)
		for _, t := range types {
			h := hs[t]
			if h.serve == nil {
				return nil, fmt.Errorf("the %s subsystem registers packet type %q without a handler", sub.Name(), t)
			}
			if prev, dup := table[t]; dup {
				return nil, fmt.Errorf("packet type %q is handled by both the %s and the %s subsystems", t, prev.sub, sub.Name())
			}
			table[t] = route{handler: h, sub: sub.Name()}
		}
	}
	return table, nil
}

// detachStack is what an attach undoes as its client leaves, last first.
type detachStack []func()

func (d *detachStack) push(f func()) {
	if f != nil {
		*d = append(*d, f)
	}
}

func (d detachStack) run() {
	for i := len(d) - 1; i >= 0; i-- {
		d[i]()
	}
}

// newSubsystems makes the server's subsystems and returns them in the
// order their hooks run: nx prepares (the options file, the keyboard and
// the resolution before anything describes the display), the screen fits
// the client's desktop before its size goes into the hello, mmap's keys
// come last (they replace mmap_enabled), the windows attach before the
// clipboard, and mmap closes after both an area no pipeline took. It
// also sets the Server's fields by which subsystems call one another.
func newSubsystems(s *Server) []subsystem {
	s.control = &controlSubsystem{s: s}
	s.nx = &nxSubsystem{s: s, lastInput: map[*clientConn]time.Time{}}
	s.screen = &screenSubsystem{s: s}
	s.win = &windowsSubsystem{s: s}
	s.keyboard = &keyboardSubsystem{s: s}
	s.encs = &encodingsSubsystem{s: s}
	s.clip = &clipboardSubsystem{s: s}
	s.flow = &flowSubsystem{s: s}
	s.mmap = &mmapSubsystem{s: s}
	s.rfb = &rfbSubsystem{s: s}
	return []subsystem{s.control, s.nx, s.screen, s.win, s.keyboard, s.encs, s.clip, s.flow, s.mmap, s.rfb}
}
