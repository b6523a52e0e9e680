package xclient

import (
	"bytes"
	"context"
	"os/exec"
	"testing"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

func paintDisplay(tb testing.TB) (*Display, Window, string) {
	tb.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		tb.Skip("Xvfb is not installed")
	}
	x11.RouteXGBLog(nil)
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	xv, err := x11.StartXvfb(ctx, x11.XvfbConfig{Display: -1})
	if err != nil {
		tb.Skip("Xvfb: ", err)
	}
	tb.Cleanup(func() { xv.Stop(context.Background()) })
	name := x11.DisplayName(xv.Display())
	d, err := Open(ctx, name, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(d.Close)
	go func() {
		for range d.Events() {
		}
	}()
	id, err := d.CreateWindow(WindowSpec{Width: 1280, Height: 720, Title: "paint"})
	if err != nil {
		tb.Fatal(err)
	}
	d.Map(id)
	return d, id, name
}

func gradient(w, h int) []byte {
	pix := make([]byte, w*h*4)
	for i := 0; i < len(pix); i += 4 {
		p := i / 4
		pix[i], pix[i+1], pix[i+2] = byte(p), byte(p>>8), byte(p/w)
	}
	return pix
}

// TestPaintThroughSHM: a large paint goes through shared memory and the
// window shows exactly the pixels painted, also from a sub-area with a
// wider stride.
func TestPaintThroughSHM(t *testing.T) {
	d, id, name := paintDisplay(t)
	const w, h = 640, 400
	pix := gradient(w+16, h)
	if err := d.Paint(id, 10, 20, w, h, pix, (w+16)*4); err != nil {
		t.Fatal(err)
	}
	if !d.UsesSHM() {
		t.Fatal("a 640x400 paint did not use MIT-SHM on a local Xvfb")
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	snap, err := x11test.SnapshotWindow(context.Background(), name, uint32(id))
	if err != nil {
		t.Fatal(err)
	}
	for y := range h {
		got := snap.Pix[((y+20)*snap.Width+10)*4:]
		want := pix[y*(w+16)*4:]
		for x := range w {
			if !bytes.Equal(got[x*4:x*4+3], want[x*4:x*4+3]) {
				t.Fatalf("pixel %d,%d: % x, want % x", x, y, got[x*4:x*4+3], want[x*4:x*4+3])
			}
		}
	}
}

// BenchmarkPaint720p compares a full 1280x720 paint through MIT-SHM
// with PutImage strips on the same Xvfb.
func BenchmarkPaint720p(b *testing.B) {
	d, id, _ := paintDisplay(b)
	pix := gradient(1280, 720)
	for _, c := range []struct {
		name  string
		paint func() error
	}{
		{"shm", func() error { return d.Paint(id, 0, 0, 1280, 720, pix, 1280*4) }},
		{"strips", func() error { return d.paintStrips(id, 0, 0, 1280, 720, pix, 1280*4) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(pix)))
			for b.Loop() {
				if err := c.paint(); err != nil {
					b.Fatal(err)
				}
				if err := d.Sync(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
