package clipsync

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
	"github.com/xroam/xroam/sdk/clipboard"
)

func TestParseDirection(t *testing.T) {
	for _, c := range []struct {
		in           string
		server, want Direction
	}{
		{"both", Direction{true, true}, Direction{true, true}},
		{"to-server", Direction{false, true}, Direction{true, false}},
		{"client", Direction{false, true}, Direction{true, false}},
		{"to-client", Direction{true, false}, Direction{false, true}},
		{"server", Direction{true, false}, Direction{false, true}},
		{"disabled", Direction{}, Direction{}},
		{"none", Direction{}, Direction{}},
	} {
		s, err := ParseDirection(c.in, true)
		if err != nil || s != c.server {
			t.Errorf("server %q = %+v, %v; want %+v", c.in, s, err, c.server)
		}
		cl, err := ParseDirection(c.in, false)
		if err != nil || cl != c.want {
			t.Errorf("client %q = %+v, %v; want %+v", c.in, cl, err, c.want)
		}
	}
	if _, err := ParseDirection("sideways", true); err == nil {
		t.Error("sideways accepted")
	}
	for _, n := range []string{"both", "to-server", "to-client", "disabled"} {
		d, _ := ParseDirection(n, true)
		if got := d.XpraName(true); got != n {
			t.Errorf("XpraName of %q = %q", n, got)
		}
		d, _ = ParseDirection(n, false)
		if got := d.XpraName(false); got != n {
			t.Errorf("client XpraName of %q = %q", n, got)
		}
	}
}

func TestParseEnabled(t *testing.T) {
	for in, want := range map[string]string{"yes": "x11", "": "x11", "auto": "x11", "no": "", "false": "", "x11": "x11", "MyBackend": "mybackend"} {
		b, on, err := ParseEnabled(in)
		if err != nil || b != want || on != (want != "") {
			t.Errorf("%q = %q, %v, %v", in, b, on, err)
		}
	}
	if _, _, err := ParseEnabled("../evil"); err == nil {
		t.Error("a path was accepted as a backend name")
	}
}

func TestParseNXClipboard(t *testing.T) {
	for _, c := range []struct {
		clip, dir string
		on        bool
		server    Direction
	}{
		{"client", "both", true, Direction{Receive: true}},
		{"server", "both", true, Direction{Send: true}},
		{"both", "disabled", true, Direction{true, true}},
		{"none", "both", false, Direction{true, true}},
		{"yes", "to-client", true, Direction{Send: true}},
	} {
		b, on, d, err := Parse(c.clip, c.dir, true)
		if err != nil || on != c.on || (on && (b != DefaultBackend || d != c.server)) {
			t.Errorf("Parse(%q, %q) = %q, %v, %+v, %v", c.clip, c.dir, b, on, d, err)
		}
	}
	if _, _, _, err := Parse("yes", "diagonal", true); err == nil {
		t.Error("a bad direction accepted")
	}
}

func TestLoadFilters(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("# comment\n\nsecret\n^[0-9]+$\n"), 0o600)
	res, err := LoadFilters(p)
	if err != nil || len(res) != 2 {
		t.Fatalf("%v, %v", res, err)
	}
	os.WriteFile(p, []byte("ok\n(\n"), 0o600)
	if _, err := LoadFilters(p); err == nil || !bytes.Contains([]byte(err.Error()), []byte("f:2")) {
		t.Errorf("bad regexp: %v", err)
	}
	if _, err := LoadFilters(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file was accepted")
	}
}

// fakeBackend is an in-memory backend for the protocol's unit tests; the
// real one is tested with X displays in core/x11 and tests/e2e.
type fakeBackend struct {
	mu      sync.Mutex
	claims  map[string][]string
	data    map[string]*clipboard.Data
	answers map[uint64]*clipboard.Data
	answerC chan uint64
}

func newFake() *fakeBackend {
	return &fakeBackend{claims: map[string][]string{}, data: map[string]*clipboard.Data{}, answers: map[uint64]*clipboard.Data{}, answerC: make(chan uint64, 16)}
}

func (f *fakeBackend) Watch(context.Context) (<-chan clipboard.Event, error) {
	return nil, errors.New("unused")
}
func (f *fakeBackend) Claim(_ context.Context, r *clipboard.ClaimRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.claims[r.Selection] = r.Targets
	return nil
}
func (f *fakeBackend) Release(context.Context, string) error { return nil }
func (f *fakeBackend) Read(_ context.Context, r *clipboard.ReadRequest) (*clipboard.Data, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d := f.data[r.Selection+"/"+r.Target]; d != nil {
		return d, nil
	}
	return nil, errors.New("no such target")
}
func (f *fakeBackend) Answer(_ context.Context, r *clipboard.AnswerRequest) error {
	f.mu.Lock()
	f.answers[r.ID] = r.Data
	f.mu.Unlock()
	f.answerC <- r.ID
	return nil
}

type sent struct {
	mu sync.Mutex
	ps []wire.Packet
	c  chan struct{}
}

func (s *sent) send(p wire.Packet) error {
	s.mu.Lock()
	s.ps = append(s.ps, p)
	s.mu.Unlock()
	select {
	case s.c <- struct{}{}:
	default:
	}
	return nil
}

func (s *sent) wait(t *testing.T, typ string) wire.Packet {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		for i, p := range s.ps {
			if p.Type() == typ {
				s.ps = append(s.ps[:i], s.ps[i+1:]...)
				s.mu.Unlock()
				return p
			}
		}
		s.mu.Unlock()
		select {
		case <-s.c:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %s sent", typ)
		}
	}
}

func TestSyncServerFlows(t *testing.T) {
	fb := newFake()
	out := &sent{c: make(chan struct{}, 1)}
	s := New(Config{Backend: fb, Send: out.send, Direction: Direction{true, true}, Server: true, Timeout: 300 * time.Millisecond,
		Filters: mustFilters(t, "secret")})
	defer s.Close()
	// A plain 3.1.3 client: no targets in tokens, contents with the slice fix.
	s.SetPeer(wire.Dict{"clipboard": true, "clipboard.contents-slice-fix": true})

	// Local owner change: a plain token.
	s.HandleEvent(clipboard.Event{Kind: clipboard.OwnerChanged, Selection: "CLIPBOARD"})
	if p := out.wait(t, xpra.TypeClipboardToken); len(p) != 2 {
		t.Errorf("token for a plain peer: %v", p)
	}
	// The peer pastes: contents, then a filtered one refused.
	fb.data["CLIPBOARD/UTF8_STRING"] = &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: []byte("hello")}
	s.Handle(xpra.ClipboardRequest{ID: 4, Selection: "CLIPBOARD", Target: "UTF8_STRING"}.Packet())
	if c, err := xpra.ParseClipboardContents(out.wait(t, xpra.TypeClipboardContents), 1<<20); err != nil || c.Data == nil || string(c.Data.Bytes) != "hello" || !c.SliceFix {
		t.Errorf("contents %+v, %v", c, err)
	}
	fb.data["CLIPBOARD/UTF8_STRING"] = &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: []byte("a secret")}
	s.Handle(xpra.ClipboardRequest{ID: 5, Selection: "CLIPBOARD", Target: "UTF8_STRING"}.Packet())
	out.wait(t, xpra.TypeClipboardContentsNone)

	// The peer's token: a claim, then a local paste forwarded and answered.
	s.Handle(xpra.ClipboardToken{Selection: "CLIPBOARD", Claim: true}.Packet())
	s.HandleEvent(clipboard.Event{Kind: clipboard.Wanted, Selection: "CLIPBOARD", Target: "UTF8_STRING", ID: 11})
	req, _ := xpra.ParseClipboardRequest(out.wait(t, xpra.TypeClipboardRequest))
	if pend, _ := xpra.ParseClipboardPendingRequests(out.wait(t, xpra.TypeClipboardPendingRequests)); pend.Count != 1 {
		t.Errorf("pending %v", pend)
	}
	s.Handle(xpra.ClipboardContents{ID: req.ID, Selection: "CLIPBOARD", Data: &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: []byte("from peer")}, SliceFix: true}.Packet())
	if got := <-fb.answerC; got != 11 || string(fb.answers[11].Bytes) != "from peer" {
		t.Errorf("answer %d: %+v", got, fb.answers[got])
	}
	// A peer that never answers: refused after the timeout.
	s.HandleEvent(clipboard.Event{Kind: clipboard.Wanted, Selection: "CLIPBOARD", Target: "UTF8_STRING", ID: 12})
	select {
	case got := <-fb.answerC:
		if got != 12 || fb.answers[12] != nil {
			t.Errorf("timeout answer %d: %+v", got, fb.answers[got])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an unanswered request was never refused")
	}
	// Direction: nothing goes out when sending is off.
	s.SetDirection(Direction{Receive: true})
	out.wait(t, xpra.TypeSettingChange)
	s.Handle(xpra.ClipboardRequest{ID: 6, Selection: "CLIPBOARD", Target: "UTF8_STRING"}.Packet())
	out.wait(t, xpra.TypeClipboardContentsNone)
	// Garbage is dropped without harm.
	for _, p := range []wire.Packet{{xpra.TypeClipboardToken}, {xpra.TypeClipboardContents, "x"}, {xpra.TypeClipboardEnableSelections, int64(3)}} {
		if !s.Handle(p) {
			t.Errorf("%v not taken as a clipboard packet", p)
		}
	}
}

func mustFilters(t *testing.T, res ...string) []*regexp.Regexp {
	t.Helper()
	var out []*regexp.Regexp
	for _, r := range res {
		out = append(out, regexp.MustCompile(r))
	}
	return out
}

// TestSyncGreedyPeer: an HTML5-like peer (greedy, want_targets) gets the
// targets and the text inline with the token, and its inline token data
// answers local pastes without a round trip.
func TestSyncGreedyPeer(t *testing.T) {
	fb := newFake()
	out := &sent{c: make(chan struct{}, 1)}
	s := New(Config{Backend: fb, Send: out.send, Direction: Direction{true, true}, Server: true})
	defer s.Close()
	s.SetPeer(wire.Dict{"clipboard": true, "clipboard.greedy": true, "clipboard.want_targets": true})
	fb.data["CLIPBOARD/TARGETS"] = &clipboard.Data{Type: "ATOM", Format: 32, Targets: []string{"TARGETS", "UTF8_STRING", "SAVE_TARGETS"}}
	fb.data["CLIPBOARD/UTF8_STRING"] = &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: []byte("inline")}
	s.HandleEvent(clipboard.Event{Kind: clipboard.OwnerChanged, Selection: "CLIPBOARD"})
	p := out.wait(t, xpra.TypeClipboardToken)
	tok, err := xpra.ParseClipboardToken(p, 1<<20)
	if err != nil || tok.Target != "UTF8_STRING" || tok.Data == nil || string(tok.Data.Bytes) != "inline" || len(p) != 10 {
		t.Fatalf("greedy token %v: %+v, %v", p, tok, err)
	}
	if !reflect.DeepEqual(tok.Targets, []string{"TARGETS", "UTF8_STRING"}) {
		t.Errorf("targets %v: SAVE_TARGETS should be dropped", tok.Targets)
	}
	// The peer's token with inline data: a local paste needs no request.
	s.Handle(xpra.ClipboardToken{Selection: "CLIPBOARD", Targets: []string{"UTF8_STRING"}, HasTargets: true, Target: "UTF8_STRING",
		Data: &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: []byte("from browser")}, Claim: true}.Packet())
	s.HandleEvent(clipboard.Event{Kind: clipboard.Wanted, Selection: "CLIPBOARD", Target: "UTF8_STRING", ID: 21})
	if got := <-fb.answerC; got != 21 || string(fb.answers[21].Bytes) != "from browser" {
		t.Errorf("inline answer %d: %+v", got, fb.answers[got])
	}
	var claimed []string
	for range 100 {
		fb.mu.Lock()
		claimed = fb.claims["CLIPBOARD"]
		fb.mu.Unlock()
		if claimed != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !reflect.DeepEqual(claimed, []string{"UTF8_STRING"}) {
		t.Errorf("claimed with %v", claimed)
	}
}

// TestSyncStalledPeer: a peer that stops reading never blocks the
// caller of HandleEvent (the session's loop), and the local pastes it
// would have served are refused after the timeout.
func TestSyncStalledPeer(t *testing.T) {
	fb := newFake()
	stuck := make(chan struct{})
	defer close(stuck)
	s := New(Config{Backend: fb, Send: func(wire.Packet) error { <-stuck; return nil },
		Direction: Direction{true, true}, Server: true, Timeout: 200 * time.Millisecond})
	defer s.Close()
	s.SetPeer(wire.Dict{"clipboard": true})
	s.Handle(xpra.ClipboardToken{Selection: "CLIPBOARD", Claim: true}.Packet())
	const n = 200
	refused := make(chan int, 1)
	go func() {
		got := 0
		for id := range fb.answerC {
			fb.mu.Lock()
			if fb.answers[id] == nil {
				got++
			}
			fb.mu.Unlock()
			if got == n {
				refused <- got
				return
			}
		}
	}()
	done := make(chan struct{})
	go func() {
		for i := range n {
			s.HandleEvent(clipboard.Event{Kind: clipboard.Wanted, Selection: "CLIPBOARD", Target: "UTF8_STRING", ID: uint64(i + 1)})
			s.HandleEvent(clipboard.Event{Kind: clipboard.OwnerChanged, Selection: "PRIMARY"})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("HandleEvent blocked on a peer that does not read")
	}
	select {
	case <-refused:
	case <-time.After(30 * time.Second):
		t.Fatal("the pastes a stalled peer could not serve were not all refused")
	}
}
