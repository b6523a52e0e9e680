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

func TestPacketsRoundTrip(t *testing.T) {
	tok := &Token{Selection: "CLIPBOARD", Targets: []string{"UTF8_STRING", "TEXT"}, HasTargets: true, Target: "UTF8_STRING",
		Data: &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: []byte("hi")}, Claim: true}
	got, err := ParseToken(tok.Packet(), 1<<20)
	if err != nil || !reflect.DeepEqual(got, tok) {
		t.Errorf("token %+v, %v; want %+v", got, err, tok)
	}
	// The plain 3.1.3 form.
	got, err = ParseToken(wire.Packet{"clipboard-token", []byte("PRIMARY")}, 1<<20)
	if err != nil || got.Selection != "PRIMARY" || got.HasTargets || !got.Claim {
		t.Errorf("plain token %+v, %v", got, err)
	}
	for _, d := range []*clipboard.Data{
		{Type: "ATOM", Format: 32, Targets: []string{"TARGETS", "UTF8_STRING"}},
		{Type: "INTEGER", Format: 32, Bytes: []byte{1, 0, 0, 0, 2, 0, 0, 0}},
		{Type: "CARDINAL", Format: 16, Bytes: []byte{1, 0, 255, 255}},
		{Type: "image/png", Format: 8, Bytes: []byte{0x89, 'P', 'N', 'G'}},
	} {
		c := &Contents{ID: 7, Selection: "CLIPBOARD", Data: d}
		p := c.Packet(true)
		if len(p) != 8 {
			t.Errorf("contents packet without the truncated count: %v", p)
		}
		back, err := ParseContents(p, 1<<20)
		if err != nil || !reflect.DeepEqual(back, c) {
			t.Errorf("contents %+v, %v; want %+v", back, err, c)
		}
	}
	none := (&Contents{ID: 3, Selection: "PRIMARY"}).Packet(true)
	if c, err := ParseContents(none, 10); err != nil || c.Data != nil || c.ID != 3 {
		t.Errorf("contents-none %+v, %v", c, err)
	}
	if _, err := ParseContents(wire.Packet{"clipboard-contents", int64(1), "CLIPBOARD", "UTF8_STRING", int64(8), "bytes", bytes.Repeat([]byte("x"), 11)}, 10); err == nil {
		t.Error("contents over the limit accepted")
	}
	for _, bad := range []wire.Packet{
		{"clipboard-token"},
		{"clipboard-token", int64(1)},
		{"clipboard-token", ""},
		{"clipboard-token", "CLIPBOARD", "notalist"},
		{"clipboard-token", "CLIPBOARD", []any{}, "UTF8_STRING", "UTF8_STRING", int64(7), "bytes", []byte("x")},
		{"clipboard-token", "CLIPBOARD", []any{}, "UTF8_STRING", "UTF8_STRING", int64(8), "weird", []byte("x")},
	} {
		if _, err := ParseToken(bad, 100); err == nil {
			t.Errorf("bad token %v accepted", bad)
		}
	}
	for _, bad := range []wire.Packet{
		{"clipboard-request", "x", "CLIPBOARD", "UTF8_STRING"},
		{"clipboard-request", int64(1), "CLIPBOARD"},
		{"clipboard-request", int64(1), "CLIPBOARD", ""},
	} {
		if _, err := ParseRequest(bad); err == nil {
			t.Errorf("bad request %v accepted", bad)
		}
	}
}

// fakeBackend is an in-memory backend for the protocol's unit tests; the
// real one is tested with X displays in core/x11 and cmd/xroam.
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
	if p := out.wait(t, TypeToken); len(p) != 2 {
		t.Errorf("token for a plain peer: %v", p)
	}
	// The peer pastes: contents, then a filtered one refused.
	fb.data["CLIPBOARD/UTF8_STRING"] = &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: []byte("hello")}
	s.Handle(wire.Packet{TypeRequest, int64(4), "CLIPBOARD", "UTF8_STRING"})
	if p := out.wait(t, TypeContents); p.Str(6) != "hello" || len(p) != 8 {
		t.Errorf("contents %v", p)
	}
	fb.data["CLIPBOARD/UTF8_STRING"] = &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: []byte("a secret")}
	s.Handle(wire.Packet{TypeRequest, int64(5), "CLIPBOARD", "UTF8_STRING"})
	out.wait(t, TypeContentsNone)

	// The peer's token: a claim, then a local paste forwarded and answered.
	s.Handle(wire.Packet{TypeToken, "CLIPBOARD"})
	s.HandleEvent(clipboard.Event{Kind: clipboard.Wanted, Selection: "CLIPBOARD", Target: "UTF8_STRING", ID: 11})
	req := out.wait(t, TypeRequest)
	if pend := out.wait(t, TypePendingRequests); pend[1] != int64(1) {
		t.Errorf("pending %v", pend)
	}
	id, _ := req.Int(1)
	s.Handle(wire.Packet{TypeContents, id, "CLIPBOARD", "UTF8_STRING", int64(8), "bytes", []byte("from peer"), int64(0)})
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
	out.wait(t, "setting-change")
	s.Handle(wire.Packet{TypeRequest, int64(6), "CLIPBOARD", "UTF8_STRING"})
	out.wait(t, TypeContentsNone)
	// Garbage is dropped without harm.
	for _, p := range []wire.Packet{{TypeToken}, {TypeContents, "x"}, {TypeEnableSelections, int64(3)}} {
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
	p := out.wait(t, TypeToken)
	tok, err := ParseToken(p, 1<<20)
	if err != nil || tok.Target != "UTF8_STRING" || tok.Data == nil || string(tok.Data.Bytes) != "inline" || len(p) != 10 {
		t.Fatalf("greedy token %v: %+v, %v", p, tok, err)
	}
	if !reflect.DeepEqual(tok.Targets, []string{"TARGETS", "UTF8_STRING"}) {
		t.Errorf("targets %v: SAVE_TARGETS should be dropped", tok.Targets)
	}
	// The peer's token with inline data: a local paste needs no request.
	s.Handle(wire.Packet{TypeToken, "CLIPBOARD", []any{"UTF8_STRING"}, "UTF8_STRING", "UTF8_STRING", int64(8), "bytes", []byte("from browser"), true, false})
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
	s.Handle(wire.Packet{TypeToken, "CLIPBOARD"})
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
