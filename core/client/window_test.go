package client

import (
	"bytes"
	"context"
	"os/exec"
	"slices"
	"testing"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/xclient"
)

func TestExpandTitle(t *testing.T) {
	v := titleVars{title: "vim", clientMachine: "build1", serverMachine: "srv", sessionName: "work"}
	cases := map[string]string{
		"":                           "vim on build1",
		DefaultTitle:                 "vim on build1",
		"@title@":                    "vim",
		"[@session-name@] @title@":   "[work] vim",
		"@title@ (@server-machine@)": "vim (srv)",
		"plain":                      "plain",
		"@title@@title@":             "vimvim",
		"@unknown@ @title@":          "@unknown@ vim",
	}
	for tmpl, want := range cases {
		if got := expandTitle(tmpl, v); got != want {
			t.Errorf("expandTitle(%q) = %q, want %q", tmpl, got, want)
		}
	}
	// Without the application's machine, the server's hostname stands in.
	if got := expandTitle("", titleVars{title: "xterm", serverMachine: "srv"}); got != "xterm on srv" {
		t.Errorf("fallback: %q", got)
	}
}

func TestShortcuts(t *testing.T) {
	scs, err := parseShortcuts([]string{"Meta+Shift+F4:quit", "Control+F12:void"})
	if err != nil {
		t.Fatal(err)
	}
	if got := matchShortcut(scs, "F4", xclient.KeyMask1|xclient.KeyMaskShift|xclient.KeyMask2); got != "quit" {
		t.Errorf("Meta+Shift+F4 (num lock on) = %q", got)
	}
	for _, st := range []uint16{xclient.KeyMask1, xclient.KeyMaskShift, xclient.KeyMask1 | xclient.KeyMaskShift | xclient.KeyMaskControl} {
		if got := matchShortcut(scs, "F4", st); got != "" {
			t.Errorf("F4 with state %#x = %q", st, got)
		}
	}
	for _, bad := range []string{"F4", "Meta+F4:launch", "Fancy+F4:quit"} {
		if _, err := parseShortcuts([]string{bad}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestOfferedCodings(t *testing.T) {
	if got := offeredCodings(nil); !slices.Equal(got, decodedCodings()) || !slices.Contains(got, "webp") {
		t.Errorf("all: %v", got)
	}
	// h265 is not decoded here: it is dropped.
	got := offeredCodings([]string{"rgb", "webp", "vp9", "h265"})
	if !slices.Equal(got, []string{"rgb24", "rgb32", "webp", "vp9"}) {
		t.Errorf("rgb,webp,vp9,h265: %v", got)
	}
}

type countingPainter struct{ calls, pixels int }

func (p *countingPainter) Paint(_ xclient.Window, _, _, w, h int, _ []byte, _ int) error {
	p.calls++
	p.pixels += w * h
	return nil
}

func TestBlitClipsAndKeepsBacking(t *testing.T) {
	win := &window{w: 10, h: 5, backing: make([]byte, 10*5*4)}
	pix := bytes.Repeat([]byte{1, 2, 3, 0}, 4*4)
	var p countingPainter
	// A 4x4 area at (8, 3) is clipped to 2x2.
	if err := win.blit(&p, 8, 3, 4, 4, pix); err != nil {
		t.Fatal(err)
	}
	if p.calls != 1 || p.pixels != 4 {
		t.Errorf("painted %d times, %d pixels", p.calls, p.pixels)
	}
	if win.backing[(3*10+8)*4] != 1 || win.backing[(4*10+9)*4+2] != 3 || win.backing[(2*10+8)*4] != 0 {
		t.Error("backing not updated where it should be")
	}
	win.resize(12, 6)
	if win.backing[(3*12+8)*4] != 1 || len(win.backing) != 12*6*4 {
		t.Error("resize lost the pixels")
	}
}

// BenchmarkDecodePaint1280x720 decodes an lz4-compressed BGRX rgb32 frame
// (what xpra's server sends) and paints it on an Xvfb window.
func BenchmarkDecodePaint1280x720(b *testing.B) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		b.Skip("Xvfb is not installed")
	}
	x11.RouteXGBLog(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	xv, err := x11.StartXvfb(ctx, x11.XvfbConfig{Display: -1})
	if err != nil {
		b.Skip("Xvfb: ", err)
	}
	defer xv.Stop(context.Background())
	d, err := xclient.Open(ctx, x11.DisplayName(xv.Display()), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	go func() {
		for range d.Events() {
		}
	}()
	const w, h = 1280, 720
	id, err := d.CreateWindow(xclient.WindowSpec{Width: w, Height: h, Title: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	d.Map(id)
	raw, stride := rawPixels("BGRX", w, h, 0)
	data := lz4Bytes(b, raw)
	opts := wire.Dict{"rgb_format": "BGRX", "lz4": int64(1)}
	win := &window{local: id, w: w, h: h, backing: make([]byte, w*h*4)}
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for b.Loop() {
		pix, err := decodeDraw("rgb32", data, w, h, stride, opts)
		if err != nil {
			b.Fatal(err)
		}
		if err := win.blit(d, 0, 0, w, h, pix); err != nil {
			b.Fatal(err)
		}
		if err := d.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}
