package x11_test

import (
	"context"
	"testing"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

func TestResizeScreen(t *testing.T) {
	x11.RouteXGBLog(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	xv, err := x11.StartXvfb(ctx, x11.XvfbConfig{Display: -1, Command: x11test.XdummyCommand(t)})
	if err != nil {
		t.Skip("Xorg dummy: ", err)
	}
	defer xv.Stop(context.Background())
	name := x11.DisplayName(xv.Display())
	for _, sz := range [][2]int{{1000, 700}, {1920, 1080}, {2400, 600}, {1000, 700}} {
		w, h, err := x11.ResizeScreen(ctx, name, sz[0], sz[1])
		if err != nil || w != sz[0] || h != sz[1] {
			t.Fatalf("resize to %v: %dx%d, %v", sz, w, h, err)
		}
		info, err := x11.Probe(ctx, name)
		if err != nil || info.Width != sz[0] || info.Height != sz[1] {
			t.Fatalf("after resizing to %v the display is %+v, %v", sz, info, err)
		}
	}
	if _, _, err := x11.ResizeScreen(ctx, name, 10, 10); err == nil {
		t.Error("a 10x10 screen was accepted")
	}

	// Xvfb's screen has a fixed size: a clear error.
	xvfb, err := x11.StartXvfb(ctx, x11.XvfbConfig{Display: -1})
	if err != nil {
		t.Skip("Xvfb: ", err)
	}
	defer xvfb.Stop(context.Background())
	// Xvfb shrinks, and grows back up to the size it started with.
	xn := x11.DisplayName(xvfb.Display())
	for _, c := range []struct{ w, h, ww, wh int }{{1000, 700, 1000, 700}, {2500, 1500, 1920, 1080}} {
		w, h, err := x11.ResizeScreen(ctx, xn, c.w, c.h)
		info, _ := x11.Probe(ctx, xn)
		if err != nil || w != c.ww || h != c.wh || info.Width != c.ww || info.Height != c.wh {
			t.Errorf("Xvfb to %dx%d: %dx%d (probe %dx%d), %v; want %dx%d", c.w, c.h, w, h, info.Width, info.Height, err, c.ww, c.wh)
		}
	}
}
