package plugintest

import (
	"context"
	"testing"
	"time"

	"github.com/xroam/xroam/sdk/clipboard"
	"github.com/xroam/xroam/sdk/plugin"
)

// Clipboard serves p in-process through gRPC with configuration cfg and
// returns the host's view of it.
func Clipboard(t testing.TB, p plugin.Clipboard, cfg map[string]any) clipboard.Backend {
	t.Helper()
	raw, err := dispense(t, p, cfg)
	if err != nil {
		t.Fatalf("configuring %s: %v", p.Name, err)
	}
	return raw.(clipboard.Backend)
}

// ClipboardConformance checks what the host relies on from a clipboard
// backend, through gRPC: a sound description, a refusal of unknown
// configuration, an event stream that ends when the host cancels it, a
// claim and release of CLIPBOARD, a refusal to read back its own claim
// (which would loop through the peer), and an error for an answer to a
// request that does not exist. No call may take longer than limit.
func ClipboardConformance(t *testing.T, p plugin.Clipboard, cfg map[string]any, limit time.Duration) {
	t.Helper()
	describeConformance(t, p, plugin.KindClipboard, cfg)
	b := Clipboard(t, p, cfg)
	call := func(t *testing.T) (context.Context, context.CancelFunc) {
		return context.WithTimeout(t.Context(), limit)
	}
	t.Run("watch ends with its context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		evs, err := b.Watch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		deadline := time.After(limit)
		for {
			select {
			case _, ok := <-evs:
				if !ok {
					return
				}
			case <-deadline:
				t.Fatal("the event channel stayed open after the context ended")
			}
		}
	})
	t.Run("claim, no read-back, release", func(t *testing.T) {
		ctx, cancel := call(t)
		defer cancel()
		if err := b.Claim(ctx, &clipboard.ClaimRequest{Selection: "CLIPBOARD", Targets: []string{"UTF8_STRING"}}); err != nil {
			t.Fatalf("claim: %v", err)
		}
		if d, err := b.Read(ctx, &clipboard.ReadRequest{Selection: "CLIPBOARD", Target: "UTF8_STRING"}); err == nil {
			t.Errorf("reading back a selection held for the peer gave %+v", d)
		}
		if err := b.Release(ctx, "CLIPBOARD"); err != nil {
			t.Errorf("release: %v", err)
		}
	})
	t.Run("answer to an unknown request", func(t *testing.T) {
		ctx, cancel := call(t)
		defer cancel()
		if err := b.Answer(ctx, &clipboard.AnswerRequest{ID: 1 << 62, Data: &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: []byte("x")}}); err == nil {
			t.Error("an answer to a request that was never made was accepted")
		}
	})
}
