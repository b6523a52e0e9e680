package plugintest_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xroam/xroam/sdk/clipboard"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/plugintest"
	"github.com/xroam/xroam/sdk/schema"
)

// memClipboard is a clipboard with no display: a third party's simplest
// backend, which the conformance suite must accept.
type memClipboard struct {
	mu     sync.Mutex
	owned  map[string][]string
	events chan clipboard.Event
}

func (m *memClipboard) Watch(ctx context.Context) (<-chan clipboard.Event, error) {
	out := make(chan clipboard.Event)
	go func() {
		defer close(out)
		for {
			select {
			case ev := <-m.events:
				out <- ev
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (m *memClipboard) Claim(_ context.Context, r *clipboard.ClaimRequest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.owned[r.Selection] = r.Targets
	return nil
}

func (m *memClipboard) Release(_ context.Context, sel string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.owned, sel)
	return nil
}

func (m *memClipboard) Read(_ context.Context, r *clipboard.ReadRequest) (*clipboard.Data, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.owned[r.Selection]; ok {
		return nil, errors.New("held for the peer")
	}
	return &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: []byte("local " + r.Selection)}, nil
}

func (m *memClipboard) Answer(_ context.Context, r *clipboard.AnswerRequest) error {
	if r.ID != 1 {
		return errors.New("no such request")
	}
	return nil
}

func memPlugin(m *memClipboard) plugin.Clipboard {
	return plugin.Clipboard{Name: "mem", Version: "1",
		Schema: schema.Schema{Attrs: []schema.Attr{{Name: "display", Type: schema.String}}},
		New:    func(context.Context, schema.Values) (clipboard.Backend, error) { return m, nil }}
}

func TestClipboardHarness(t *testing.T) {
	m := &memClipboard{owned: map[string][]string{}, events: make(chan clipboard.Event, 4)}
	plugintest.ClipboardConformance(t, memPlugin(m), map[string]any{"display": ":0"}, 5*time.Second)
	b := plugintest.Clipboard(t, memPlugin(m), nil)
	evs, err := b.Watch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	m.events <- clipboard.Event{Kind: clipboard.Wanted, Selection: "PRIMARY", Target: "UTF8_STRING", ID: 1}
	select {
	case ev := <-evs:
		if ev.Kind != clipboard.Wanted || ev.ID != 1 || ev.Selection != "PRIMARY" {
			t.Errorf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the event did not cross gRPC")
	}
	d, err := b.Read(t.Context(), &clipboard.ReadRequest{Selection: "CLIPBOARD", Target: "UTF8_STRING"})
	if err != nil || string(d.Bytes) != "local CLIPBOARD" {
		t.Errorf("read %+v, %v", d, err)
	}
	if err := b.Claim(t.Context(), &clipboard.ClaimRequest{Selection: "SECONDARY", Targets: []string{"image/png"}}); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	got := m.owned["SECONDARY"]
	m.mu.Unlock()
	if !slices.Equal(got, []string{"image/png"}) {
		t.Errorf("claimed targets %v", got)
	}
	if err := b.Answer(t.Context(), &clipboard.AnswerRequest{ID: 1, Data: &clipboard.Data{Type: "ATOM", Format: 32, Targets: []string{"TARGETS"}}}); err != nil {
		t.Errorf("answer: %v", err)
	}
}
