package wm

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/xproto"

	"github.com/pierrec/lz4/v4"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

func TestKeymapLookup(t *testing.T) {
	// Keycodes 8..: two keysyms per keycode, like a core mapping.
	syms := make([]uint32, 2*60)
	set := func(code int, ks ...uint32) { copy(syms[(code-8)*2:], ks) }
	set(10, '1', '!')
	set(36, 0xff0d)
	set(38, 'a', 'A')
	set(50, 0xffe1)
	set(60, 'x', 'a') // a second 'a' on a shifted level must not win over 38
	km := NewKeymap(8, 2, syms)
	for _, c := range []struct {
		keyval  uint32
		name    string
		code    int
		shifted bool
	}{
		{'a', "a", 38, false},
		{'A', "A", 38, true},
		{'!', "exclam", 10, true},
		{0, "Return", 36, false},
		{0xff0d, "", 36, false},
		{0x12345, "Shift_L", 50, false}, // unknown keyval: the name decides
	} {
		code, shifted, ok := km.Lookup(c.keyval, c.name)
		if !ok || code != c.code || shifted != c.shifted {
			t.Errorf("Lookup(0x%x, %q) = %d, %v, %v; want %d, %v", c.keyval, c.name, code, shifted, ok, c.code, c.shifted)
		}
	}
	if code, _, ok := km.Lookup('z', "z"); ok {
		t.Errorf("Lookup(z) = %d, want none", code)
	}
}

// wmDisplay starts an Xvfb (with cmd) and its window manager.
func wmDisplay(t *testing.T, cmd string) (*x11.Xvfb, *Manager) {
	t.Helper()
	x := x11test.StartXvfb(t, x11.XvfbConfig{Command: cmd, Display: -1})
	wm, err := Start(t.Context(), x11.DisplayName(x.Display()), x11test.Logger(t))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(wm.Close)
	return x, wm
}

// nextEvent waits for an event that match accepts.
func nextEvent(t *testing.T, wm *Manager, what string, match func(Event) bool) Event {
	t.Helper()
	timeout := time.After(x11test.Wait)
	for {
		select {
		case ev, ok := <-wm.Events():
			if !ok {
				t.Fatalf("%s: the event channel closed", what)
			}
			if match(ev) {
				return ev
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestWMManagesXterm(t *testing.T) {
	x, wm := wmDisplay(t, x11test.Command)
	if !wm.UsesSHM() {
		t.Log("MIT-SHM is not usable here: captures use GetImage")
	}
	dir := t.TempDir()
	typed := filepath.Join(dir, "typed")
	script := filepath.Join(dir, "app.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec cat > "+typed+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	app := x11test.StartApp(t, x.Display(), "xterm", "-name", "wminst", "-T", "wm-test", "-geometry", "40x10", "-e", script)
	ev := nextEvent(t, wm, "the xterm to be managed", func(ev Event) bool {
		return ev.Kind == WindowAdded && ev.Window.Title == "wm-test"
	})
	w := ev.Window
	if w.Instance != "wminst" || w.Class != "XTerm" {
		t.Errorf("class = %q, %q", w.Instance, w.Class)
	}
	if w.OverrideRedirect || len(w.Types) == 0 || w.Types[0] != "NORMAL" {
		t.Errorf("or = %v, types %v", w.OverrideRedirect, w.Types)
	}
	if w.PID != app.Process.Pid {
		t.Errorf("pid = %d, want %d", w.PID, app.Process.Pid)
	}
	if w.Hints.IncW <= 0 || w.Hints.IncH <= 0 {
		t.Errorf("size hints %+v lack xterm's increments", w.Hints)
	}
	if got, ok := wm.Window(w.ID); !ok || got.Title != "wm-test" {
		t.Errorf("Window(0x%x) = %+v, %v", w.ID, got, ok)
	}
	nextEvent(t, wm, "damage", func(ev Event) bool { return ev.Kind == WindowDamaged && ev.Window.ID == w.ID })

	// The shared-memory capture and the GetImage fallback agree.
	var shmPix, plainPix []byte
	ok := waitUntil(func() bool {
		full := geom.Rect{X: 0, Y: 0, W: w.Width, H: w.Height}
		a, err := wm.Capture(w.ID, full)
		if err != nil {
			t.Fatalf("Capture: %v", err)
		}
		wm.capMu.Lock()
		seg := wm.shm
		wm.shm = nil
		wm.capMu.Unlock()
		b, err := wm.Capture(w.ID, full)
		wm.capMu.Lock()
		wm.shm = seg
		wm.capMu.Unlock()
		if err != nil {
			t.Fatalf("Capture without shm: %v", err)
		}
		shmPix, plainPix = a, b
		// Wait for xterm to draw its text, not just its background.
		return bytes.Equal(a, b) && colourCount(a) >= 2
	})
	if !ok {
		t.Errorf("shm and GetImage captures differ (%d and %d bytes, %d colours)", len(shmPix), len(plainPix), colourCount(shmPix))
	}

	// Keys reach the focused application.
	wm.Focus(w.ID)
	for _, k := range []struct {
		ks   uint32
		name string
	}{{'h', "h"}, {'i', "i"}, {0xff0d, "Return"}} {
		code, _, ok := wm.Keymap().Lookup(k.ks, k.name)
		if !ok {
			t.Fatalf("no keycode for %s", k.name)
		}
		wm.Key(code, true)
		wm.Key(code, false)
	}
	if err := wm.Sync(); err != nil {
		t.Fatal(err)
	}
	if !waitUntil(func() bool { b, _ := os.ReadFile(typed); return string(b) == "hi\n" }) {
		b, _ := os.ReadFile(typed)
		t.Errorf("typed %q, want %q", b, "hi\n")
	}

	// Control + button 1 pops xterm's main menu: an override-redirect window.
	ctrl, _, _ := wm.Keymap().Lookup(0xffe3, "Control_L")
	wm.MovePointer(w.X+10, w.Y+10)
	wm.Key(ctrl, true)
	wm.Button(1, true)
	menu := nextEvent(t, wm, "the xterm menu", func(ev Event) bool { return ev.Kind == WindowAdded && ev.Window.OverrideRedirect })
	wm.Button(1, false)
	wm.Key(ctrl, false)
	nextEvent(t, wm, "the menu to go", func(ev Event) bool { return ev.Kind == WindowRemoved && ev.Window.ID == menu.Window.ID })

	// WM_DELETE_WINDOW closes xterm gracefully.
	wm.CloseWindow(w.ID)
	nextEvent(t, wm, "the xterm to go", func(ev Event) bool { return ev.Kind == WindowRemoved && ev.Window.ID == w.ID })
	if _, ok := wm.Window(w.ID); ok {
		t.Error("the closed window is still managed")
	}
	done := make(chan error, 1)
	go func() { done <- app.Wait() }()
	select {
	case <-done:
	case <-time.After(x11test.Wait):
		t.Error("xterm did not exit after WM_DELETE_WINDOW")
	}
}

func TestWMTitleChange(t *testing.T) {
	x, wm := wmDisplay(t, x11test.Command)
	x11test.StartApp(t, x.Display(), "xterm", "-T", "before", "-e", "sh", "-c", `sleep 1; printf '\033]2;after\007'; sleep 600`)
	ev := nextEvent(t, wm, "the xterm", func(ev Event) bool { return ev.Kind == WindowAdded && ev.Window.Title == "before" })
	nextEvent(t, wm, "the new title", func(e Event) bool {
		return e.Kind == WindowChanged && e.Window.ID == ev.Window.ID && e.Window.Title == "after"
	})
}

func TestStartWMTwice(t *testing.T) {
	x, _ := wmDisplay(t, x11test.Command)
	if wm, err := Start(t.Context(), x11.DisplayName(x.Display()), nil); err == nil {
		wm.Close()
		t.Fatal("a second window manager started")
	} else if !strings.Contains(err.Error(), "another window manager") {
		t.Errorf("error %v", err)
	}
}

func waitUntil(cond func() bool) bool {
	deadline := time.Now().Add(x11test.Wait)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

func colourCount(pix []byte) int {
	seen := map[[3]byte]bool{}
	for i := 0; i+3 < len(pix) && len(seen) < 16; i += 4 {
		seen[[3]byte{pix[i], pix[i+1], pix[i+2]}] = true
	}
	return len(seen)
}

// BenchmarkCaptureEncode720p measures what one full frame of a 1280x720
// window costs the server: the capture (shm and plain GetImage) and the
// rgb32+lz4 encoding of a busy picture.
func BenchmarkCaptureEncode720p(b *testing.B) {
	if _, err := os.Stat("/usr/bin/Xvfb"); err != nil {
		b.Skip("Xvfb is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	x, err := x11.StartXvfb(ctx, x11.XvfbConfig{Display: -1, Command: strings.Replace(x11test.Command, "1024x768x24", "1920x1080x24", 1), StartTimeout: x11test.StartTimeout})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = x.Stop(context.Background()) }()
	wm, err := Start(ctx, x11.DisplayName(x.Display()), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer wm.Close()
	const w, h = 1280, 720
	id, err := paintTestWindow(wm, w, h)
	if err != nil {
		b.Fatal(err)
	}
	full := geom.Rect{X: 0, Y: 0, W: w, H: h}
	buf := make([]byte, w*h*4)
	for _, mode := range []string{"shm", "getimage", "capture-shm", "capture-getimage", "encode"} {
		b.Run(mode, func(b *testing.B) {
			if strings.HasSuffix(mode, "getimage") {
				wm.capMu.Lock()
				seg := wm.shm
				wm.shm = nil
				wm.capMu.Unlock()
				defer func() { wm.capMu.Lock(); wm.shm = seg; wm.capMu.Unlock() }()
			} else if !wm.UsesSHM() {
				b.Skip("MIT-SHM is not usable")
			}
			var out int
			// The pipeline's rgb32 encoding: an lz4 block of the frame.
			var lz lz4.Compressor
			dst := make([]byte, lz4.CompressBlockBound(len(buf)))
			b.ResetTimer()
			for b.Loop() {
				if mode != "encode" {
					if err := wm.CaptureInto(id, full, buf); err != nil {
						b.Fatal(err)
					}
				}
				if !strings.HasPrefix(mode, "capture") {
					n, err := lz.CompressBlock(buf, dst)
					if err != nil {
						b.Fatal(err)
					}
					out += 4 + n
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
			b.ReportMetric(float64(out)/float64(b.N)/1024, "KiB/frame")
		})
	}
}

// paintTestWindow maps a w x h window and fills it with a busy pattern
// (gradients, text-like strokes and noise), like a real application.
func paintTestWindow(wm *Manager, w, h int) (uint32, error) {
	c := wm.c
	id, err := xproto.NewWindowId(c)
	if err != nil {
		return 0, fmt.Errorf("window id: %w", err)
	}
	setup := xproto.Setup(c)
	scr := setup.Roots[c.DefaultScreen]
	if err := xproto.CreateWindowChecked(c, scr.RootDepth, id, scr.Root, 0, 0, uint16(w), uint16(h), 0,
		xproto.WindowClassInputOutput, scr.RootVisual, 0, nil).Check(); err != nil {
		return 0, fmt.Errorf("create window: %w", err)
	}
	xproto.MapWindow(c, id)
	gc, err := xproto.NewGcontextId(c)
	if err != nil {
		return 0, fmt.Errorf("gc id: %w", err)
	}
	xproto.CreateGC(c, gc, xproto.Drawable(id), 0, nil)
	rows := 32
	seed := uint32(1)
	strip := make([]byte, w*rows*4)
	for y := 0; y < h; y += rows {
		for i := 0; i < w*rows; i++ {
			px, py := i%w, y+i/w
			seed = seed*1664525 + 1013904223
			v := byte(px + py)
			if (px/7+py/13)%5 == 0 {
				v = byte(seed >> 24)
			}
			strip[i*4], strip[i*4+1], strip[i*4+2] = v, byte(py), byte(px)
		}
		n := min(rows, h-y)
		if err := xproto.PutImageChecked(c, xproto.ImageFormatZPixmap, xproto.Drawable(id), gc, uint16(w), uint16(n),
			0, int16(y), 0, scr.RootDepth, strip[:w*n*4]).Check(); err != nil {
			return 0, fmt.Errorf("put image: %w", err)
		}
	}
	return uint32(id), nil
}

// TestDamageBatch: queued DAMAGE events merge into one bounding box per
// drawable, in the order the drawables were first damaged.
func TestDamageBatch(t *testing.T) {
	var b damageBatch
	ev := func(d uint32, x, y, w, h int) damage.NotifyEvent {
		return damage.NotifyEvent{Drawable: xproto.Drawable(d), Area: xproto.Rectangle{X: int16(x), Y: int16(y), Width: uint16(w), Height: uint16(h)}}
	}
	b.add(ev(7, 10, 10, 5, 5))
	b.add(ev(3, 0, 0, 1, 1))
	if n := b.add(ev(7, 0, 20, 2, 2)); n != 3 {
		t.Errorf("%d events counted, want 3", n)
	}
	if len(b.order) != 2 || b.order[0] != 7 || b.order[1] != 3 {
		t.Fatalf("order %v", b.order)
	}
	if got := b.areas[7]; got != (geom.Rect{X: 0, Y: 10, W: 15, H: 12}) {
		t.Errorf("merged area %v", got)
	}
	if got := b.areas[3]; got != (geom.Rect{X: 0, Y: 0, W: 1, H: 1}) {
		t.Errorf("single area %v", got)
	}
}
