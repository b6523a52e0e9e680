package pluginhost_test

import (
	"bytes"
	"context"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/sdk/clipboard"
)

// clipDisplay starts an Xvfb for a clipboard test, or skips without Xvfb
// or xclip.
func clipDisplay(t *testing.T) string {
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

func xclipSet(t *testing.T, display, text string) {
	t.Helper()
	cmd := exec.Command("xclip", "-d", display, "-selection", "clipboard", "-i")
	cmd.Stdin = bytes.NewReader([]byte(text))
	if err := cmd.Run(); err != nil {
		t.Fatalf("xclip -i: %v", err)
	}
}

func nextClipEvent(t *testing.T, evs <-chan clipboard.Event, kind clipboard.EventKind) clipboard.Event {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatal("the event channel closed")
			}
			if ev.Kind == kind {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event", kind)
		}
	}
}

// TestClipboardPluginSurvivesCrash runs the x11 backend as a subprocess:
// owner changes reach the host through the event stream, reads work, and
// after the plugin is killed the host restarts it and the same stream
// carries the next change.
func TestClipboardPluginSurvivesCrash(t *testing.T) {
	d := clipDisplay(t)
	ctx := testCtx(t)
	h := newHost(t, func(o *pluginhost.Options) {
		o.Backoff = pluginhost.ExponentialBackoff(50*time.Millisecond, time.Second)
		o.HealthInterval = 200 * time.Millisecond
	})
	b, err := h.Clipboard(ctx, pluginhost.Spec{Name: "x11", Options: map[string][]string{"display": {d}}})
	if err != nil {
		t.Fatal(err)
	}
	st := h.Status()
	if len(st) != 1 || st[0].Builtin || st[0].PID == 0 {
		t.Fatalf("status %+v: want one plugin subprocess", st)
	}
	evs, err := b.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	xclipSet(t, d, "before the crash")
	nextClipEvent(t, evs, clipboard.OwnerChanged)
	got, err := b.Read(ctx, &clipboard.ReadRequest{Selection: "CLIPBOARD", Target: "UTF8_STRING"})
	if err != nil || string(got.Bytes) != "before the crash" {
		t.Fatalf("read %+v, %v", got, err)
	}
	if err := syscall.Kill(st[0].PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		s := h.Status()[0]
		if s.State == pluginhost.StateRunning && s.PID != st[0].PID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not restarted: %+v", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The restarted plugin's stream may take a moment to be re-opened.
	for i := 0; ; i++ {
		xclipSet(t, d, "after the crash")
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatal("the event channel closed at the crash")
			}
			if ev.Kind != clipboard.OwnerChanged {
				continue
			}
		case <-time.After(2 * time.Second):
			if i < 10 {
				continue
			}
			t.Fatal("no owner change after the restart")
		}
		break
	}
	got, err = b.Read(ctx, &clipboard.ReadRequest{Selection: "CLIPBOARD", Target: "UTF8_STRING"})
	if err != nil || string(got.Bytes) != "after the crash" {
		t.Fatalf("read after the restart: %+v, %v", got, err)
	}
}
