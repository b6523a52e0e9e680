package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
	"github.com/xroam/xroam/core/xpra"
)

// recorder keeps the hooks' calls in the order they came.
type recorder struct {
	mu    sync.Mutex
	calls []string
	seen  chan string
}

func newRecorder() *recorder { return &recorder{seen: make(chan string, 64)} }

func (r *recorder) add(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
	r.seen <- s
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// fakeSub is a subsystem with every hook, recording each call.
type fakeSub struct {
	name    string
	rec     *recorder
	caps    wire.Dict
	capsErr error
	// ui and any are the packet types it serves to UI clients and to
	// every connection; hangUp's handler ends the connection.
	ui, any []string
	hangUp  string
}

func (f *fakeSub) Name() string { return f.name }

func (f *fakeSub) Prepare(context.Context, *attachment) (func(), error) {
	f.rec.add("prepare %s", f.name)
	return func() { f.rec.add("undo %s", f.name) }, nil
}

func (f *fakeSub) Caps(context.Context, *attachment) (wire.Dict, error) {
	f.rec.add("caps %s", f.name)
	return f.caps, f.capsErr
}

func (f *fakeSub) Attach(context.Context, *attachment) (func(), error) {
	f.rec.add("attach %s", f.name)
	return func() { f.rec.add("detach %s", f.name) }, nil
}

func (f *fakeSub) Handlers() map[string]handler {
	hs := map[string]handler{}
	serve := func(ctx context.Context, c *clientConn, pkt wire.Packet) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.rec.add("packet %s %s", f.name, pkt.Type())
		if pkt.Type() == f.hangUp {
			c.close()
			return errHangUp
		}
		return nil
	}
	for _, t := range f.ui {
		hs[t] = ui(serve)
	}
	for _, t := range f.any {
		hs[t] = anyConn(serve)
	}
	if f.hangUp != "" {
		hs[f.hangUp] = anyConn(serve)
	}
	return hs
}

// infoOnly is a subsystem with nothing but info.
type infoOnly struct{ name string }

func (i infoOnly) Name() string                        { return i.name }
func (i infoOnly) Info(context.Context) map[string]any { return map[string]any{"n": int64(1)} }

func TestHandlerTableRefusesDuplicates(t *testing.T) {
	rec := newRecorder()
	subs := []subsystem{
		&fakeSub{name: "first", rec: rec, ui: []string{"a", "shared"}},
		infoOnly{name: "quiet"},
		&fakeSub{name: "second", rec: rec, any: []string{"b", "shared"}},
	}
	_, err := handlerTable(subs)
	if err == nil || !strings.Contains(err.Error(), `"shared"`) || !strings.Contains(err.Error(), "first") || !strings.Contains(err.Error(), "second") {
		t.Fatalf("a type claimed twice: %v", err)
	}
	table, err := handlerTable(subs[:2])
	if err != nil {
		t.Fatal(err)
	}
	if r := table["shared"]; r.sub != "first" || r.anyConn {
		t.Errorf("shared routes to %+v", r)
	}
	if _, err := handlerTable([]subsystem{nilSub{}}); err == nil {
		t.Error("a nil handler was accepted")
	}
}

type nilSub struct{}

func (nilSub) Name() string                 { return "nil" }
func (nilSub) Handlers() map[string]handler { return map[string]handler{"x": {}} }

// TestServerRoutes: the server's own subsystems start without a type
// claimed twice, and each packet type reaches the feature it belongs to;
// only the control packets are served to command-line clients too.
func TestServerRoutes(t *testing.T) {
	cfg := config.Defaults()
	s := NewServer(ServerOptions{Config: &cfg})
	table, err := handlerTable(s.subs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		xpra.TypePing: "control", xpra.TypePingEcho: "control", xpra.TypeSetDeflate: "control",
		xpra.TypeDisconnect: "control", xpra.TypeShutdownServer: "control", xpra.TypeExitServer: "control",
		xpra.TypeInfoRequest: "control",
		xpra.TypeMapWindow:   "windows", xpra.TypeUnmapWindow: "windows", xpra.TypeConfigureWindow: "windows",
		xpra.TypeCloseWindow: "windows", xpra.TypeBufferRefresh: "windows", xpra.TypeFocus: "windows",
		xpra.TypeDamageSequence: "windows", xpra.TypePointerPosition: "windows", xpra.TypeButtonAction: "windows",
		xpra.TypeKeyAction: "keyboard", xpra.TypeKeyboardSync: "keyboard", xpra.TypeLayoutChanged: "keyboard",
		xpra.TypeDesktopSize:    "screen",
		xpra.TypeBandwidthLimit: "flow",
	}
	for _, ct := range xpra.ClipboardPacketTypes() {
		want[ct] = "clipboard"
	}
	for typ, sub := range want {
		r, ok := table[typ]
		if !ok {
			t.Errorf("%s: not routed, want %s", typ, sub)
			continue
		}
		if r.sub != sub {
			t.Errorf("%s: routed to %s, want %s", typ, r.sub, sub)
		}
		if r.anyConn != (sub == "control") {
			t.Errorf("%s: anyConn %v", typ, r.anyConn)
		}
	}
	for typ, r := range table {
		if _, ok := want[typ]; !ok {
			t.Errorf("%s routed to %s: add it to this test", typ, r.sub)
		}
	}
	// A subsystem's name is its key in the info tree: it must not hide
	// another's, nor the session's own keys.
	seen := map[string]bool{"server": true, "display": true, "children": true, "clients": true}
	for _, sub := range s.subs {
		if seen[sub.Name()] {
			t.Errorf("subsystem name %q is taken", sub.Name())
		}
		seen[sub.Name()] = true
	}
}

// pipeConn is a connection to a server over net.Pipe, and the peer's end.
func pipeConn(t *testing.T, s *Server, caps wire.Dict) (*clientConn, *wire.Reader, *wire.Writer, net.Conn) {
	t.Helper()
	srv, peer := net.Pipe()
	t.Cleanup(func() { srv.Close(); peer.Close() })
	c := &clientConn{s: s, nc: srv, r: wire.NewReader(srv), w: wire.NewWriter(srv), caps: caps, log: s.log, connected: time.Now()}
	return c, wire.NewReader(peer), wire.NewWriter(peer), peer
}

func fakeServer(t *testing.T, subs ...subsystem) *Server {
	t.Helper()
	cfg := config.Config{}
	s := &Server{cfg: &cfg, log: slog.New(slog.DiscardHandler), clients: map[*clientConn]struct{}{}, end: make(chan EndMode, 1), started: time.Now(), subs: subs}
	table, err := handlerTable(subs)
	if err != nil {
		t.Fatal(err)
	}
	s.handlers = table
	return s
}

func readPacket(t *testing.T, r *wire.Reader, peer net.Conn) wire.Packet {
	t.Helper()
	_ = peer.SetReadDeadline(time.Now().Add(30 * time.Second))
	pkt, err := r.ReadPacket()
	if err != nil {
		t.Fatalf("reading from the server: %v", err)
	}
	return pkt
}

func waitCall(t *testing.T, rec *recorder, want string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case got := <-rec.seen:
			if got == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %q; calls so far: %q", want, rec.list())
		}
	}
}

// TestAttachHooks: an attach runs every subsystem's prepare, caps and
// attach in the list's order, the hello merges their keys (a later
// subsystem's key wins), packets reach the subsystem that handles their
// type, and as the client leaves the detaches run last first, then the
// undos, also last first.
func TestAttachHooks(t *testing.T) {
	rec := newRecorder()
	a := &fakeSub{name: "a", rec: rec, caps: wire.Dict{"a.key": "a", "both": "from a"}, ui: []string{"pkt-a"}}
	b := &fakeSub{name: "b", rec: rec, caps: wire.Dict{"b.key": "b", "both": "from b"}, ui: []string{"pkt-b"}}
	s := fakeServer(t, a, infoOnly{name: "quiet"}, b)
	c, r, w, peer := pipeConn(t, s, wire.Dict{})
	done := make(chan struct{})
	go func() { defer close(done); s.attach(t.Context(), c, s.log) }()

	caps, err := xpra.ParseHello(readPacket(t, r, peer))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"a.key": "a", "b.key": "b", "both": "from b", "server_type": "xroam"} {
		if got := caps.Str(k, ""); got != want {
			t.Errorf("hello %s = %q, want %q", k, got, want)
		}
	}
	if !caps.Bool("notify-startup-complete", false) {
		t.Error("the session's own keys are missing from the hello")
	}
	if typ := readPacket(t, r, peer).Type(); typ != xpra.TypeStartupComplete {
		t.Fatalf("after the hello: %s", typ)
	}
	for _, typ := range []string{"pkt-b", "unknown", "pkt-a"} {
		if err := w.WritePacket(wire.Packet{typ}); err != nil {
			t.Fatal(err)
		}
	}
	waitCall(t, rec, "packet a pkt-a")
	peer.Close()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("attach did not return after the client left")
	}
	want := []string{
		"prepare a", "prepare b", "caps a", "caps b", "attach a", "attach b",
		"packet b pkt-b", "packet a pkt-a",
		"detach b", "detach a", "undo b", "undo a",
	}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Errorf("calls:\n got %q\nwant %q", got, want)
	}
	if len(s.clients) != 0 {
		t.Errorf("%d clients left registered", len(s.clients))
	}
}

// TestAttachCapsError: a subsystem that cannot describe itself refuses
// the client with the reason; what was prepared is undone and nothing
// attaches.
func TestAttachCapsError(t *testing.T) {
	rec := newRecorder()
	a := &fakeSub{name: "a", rec: rec}
	b := &fakeSub{name: "b", rec: rec, capsErr: errors.New("no display here")}
	s := fakeServer(t, a, b)
	c, r, _, peer := pipeConn(t, s, wire.Dict{})
	done := make(chan struct{})
	go func() { defer close(done); s.attach(t.Context(), c, s.log) }()
	d, err := xpra.ParseDisconnect(readPacket(t, r, peer))
	if err != nil {
		t.Fatal(err)
	}
	if d.Reason != xpra.ReasonServerError || !slices.ContainsFunc(d.Extra, func(e string) bool { return strings.Contains(e, "no display here") }) {
		t.Errorf("disconnect %+v", d)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("attach did not return")
	}
	want := []string{"prepare a", "prepare b", "caps a", "caps b", "undo b", "undo a"}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Errorf("calls:\n got %q\nwant %q", got, want)
	}
}

// TestServeRoutesByConnection: a connection that is not an attached UI
// client gets only the packets served to every connection; a handler's
// errHangUp ends the reading.
func TestServeRoutesByConnection(t *testing.T) {
	rec := newRecorder()
	f := &fakeSub{name: "f", rec: rec, ui: []string{"for-ui"}, any: []string{"for-all"}, hangUp: "bye"}
	s := fakeServer(t, f)
	c, _, w, _ := pipeConn(t, s, wire.Dict{})
	done := make(chan struct{})
	go func() { defer close(done); s.serve(t.Context(), c) }()
	for _, typ := range []string{"for-ui", "for-all", "bye"} {
		if err := w.WritePacket(wire.Packet{typ}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("serve went on after errHangUp")
	}
	want := []string{"packet f for-all", "packet f bye"}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Errorf("calls:\n got %q\nwant %q", got, want)
	}
}

func TestDetachStack(t *testing.T) {
	var got []int
	var d detachStack
	for i := range 3 {
		d.push(func() { got = append(got, i) })
		d.push(nil)
	}
	d.run()
	if !slices.Equal(got, []int{2, 1, 0}) {
		t.Errorf("ran %v", got)
	}
}

// TestUIHelloAndInfoKeys: the hello of an attaching client and the info
// tree have every key the server sends, whichever subsystem adds it.
func TestUIHelloAndInfoKeys(t *testing.T) {
	xv := x11test.StartXvfb(t, x11.XvfbConfig{Display: -1})
	cfg := config.Defaults()
	s := NewServer(ServerOptions{Config: &cfg, Version: "v-test"})
	s.display, s.started, s.children = xv.Display(), time.Now(), &Children{}
	c, _, _, _ := pipeConn(t, s, wire.Dict{})
	hello, err := s.uiCaps(t.Context(), &attachment{c: c, log: s.log})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range hello {
		got = append(got, fmt.Sprint(k))
	}
	slices.Sort(got)
	want := []string{"actual_desktop_size", "auto_refresh_delay", "bell", "bencode", "build.version", "client-shutdown",
		"clipboard", "compression_level", "compressors", "cursors", "desktop", "desktop_size", "display", "encoders",
		"encodings", "encodings.core", "hostname", "keyboard", "lz4", "max_desktop_size", "mmap_enabled",
		"network.bandwidth-limit", "network.bandwidth-limit-change", "notify-startup-complete", "platform", "pointer",
		"readonly", "rencode", "rencodeplus", "resize_screen", "root_window_size", "server.mode", "server_type",
		"session_name", "shadow", "sharing", "start-new-commands", "start_time", "uuid", "version",
		"window_refresh_config", "windows", "xroam.version", "zlib"}
	if !slices.Equal(got, want) {
		t.Errorf("hello keys:\n got %q\nwant %q", got, want)
	}
	if size, _ := wire.AsList(hello["desktop_size"]); len(size) != 2 {
		t.Errorf("desktop_size %v", hello["desktop_size"])
	}
	got = got[:0]
	for k := range s.info(t.Context()) {
		got = append(got, k)
	}
	slices.Sort(got)
	want = []string{"children", "clients", "clipboard", "display", "encodings", "mmap", "nx", "rfb", "server", "windows"}
	if !slices.Equal(got, want) {
		t.Errorf("info keys:\n got %q\nwant %q", got, want)
	}
}
