package modules_test

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/plugins/clipboard/modules"
	"github.com/xroam/xroam/sdk/clipboard"
	"github.com/xroam/xroam/sdk/plugintest"
)

func testDisplay(t *testing.T) string {
	t.Helper()
	for _, bin := range []string{"Xvfb", "xclip"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("skipping: %s is not installed: %v", bin, err)
		}
	}
	x, err := x11.StartXvfb(t.Context(), x11.XvfbConfig{Display: -1, StartTimeout: time.Minute,
		Command: "Xvfb -screen 0 320x240x24 -nolisten tcp -noreset"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = x.Stop(ctx)
	})
	return x11.DisplayName(x.Display())
}

func TestX11Conformance(t *testing.T) {
	d := testDisplay(t)
	plugintest.ClipboardConformance(t, modules.X11(), map[string]any{"display": d}, 10*time.Second)
}

func TestX11Config(t *testing.T) {
	d := testDisplay(t)
	for _, cfg := range []map[string]any{
		{},
		{"display": d, "selections": []any{"CLIPBOARD", "NOPE"}},
		{"display": d, "timeout": "-1s"},
		{"display": d, "max_size": 0},
		{"display": ":99999"},
	} {
		vals, err := modules.X11().Schema.Check(cfg)
		if err == nil {
			_, err = modules.X11().New(t.Context(), vals)
		}
		if err == nil {
			t.Errorf("configuration %v accepted", cfg)
		}
	}
}

// TestX11OverGRPC serves a paste of a claimed selection through the
// plugin protocol, the way the core does: Watch, Wanted, Answer.
func TestX11OverGRPC(t *testing.T) {
	d := testDisplay(t)
	b := plugintest.Clipboard(t, modules.X11(), map[string]any{"display": d, "selections": []any{"CLIPBOARD", "PRIMARY", "SECONDARY"}})
	evs, err := b.Watch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Claim(t.Context(), &clipboard.ClaimRequest{Selection: "SECONDARY"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan []byte, 1)
	go func() {
		out, _ := exec.CommandContext(t.Context(), "xclip", "-d", d, "-selection", "secondary", "-o").Output()
		done <- out
	}()
	var ev clipboard.Event
	select {
	case ev = <-evs:
	case <-time.After(time.Minute):
		t.Fatal("no wanted event")
	}
	if ev.Kind != clipboard.Wanted || ev.Selection != "SECONDARY" || ev.Target != "UTF8_STRING" {
		t.Fatalf("event %+v", ev)
	}
	want := bytes.Repeat([]byte("pasted through gRPC "), 20000)
	if err := b.Answer(t.Context(), &clipboard.AnswerRequest{ID: ev.ID, Data: &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: want}}); err != nil {
		t.Fatal(err)
	}
	if got := <-done; !bytes.Equal(got, want) {
		t.Errorf("xclip read %d bytes, want %d", len(got), len(want))
	}
}
