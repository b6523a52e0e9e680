package wm

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
	"github.com/xroam/xroam/sdk/shm"
)

// BenchmarkCapture1280x720 measures the capture of a full 1280x720 frame
// into a frame segment, the System V segment the pipeline hands encoders,
// as the pipeline asks for it.
func BenchmarkCapture1280x720(b *testing.B) {
	const w, h = 1280, 720
	quiet := slog.New(slog.DiscardHandler)
	x := x11test.StartXvfb(b, x11.XvfbConfig{Display: -1, Logger: quiet,
		Command: strings.Replace(x11test.Command, "1024x768x24", "1280x720x24", 1)})
	wm, err := Start(b.Context(), x11.DisplayName(x.Display()), quiet)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(wm.Close)
	if !wm.UsesSHM() {
		b.Skip("MIT-SHM is not usable")
	}
	id, err := paintTestWindow(wm, w, h)
	if err != nil {
		b.Fatal(err)
	}
	full := geom.Rect{X: 0, Y: 0, W: w, H: h}
	seg, err := shm.Create(w * h * 4)
	if err != nil {
		b.Skipf("no System V shared memory: %v", err)
	}
	b.Cleanup(func() { _ = seg.Close() })
	pix := seg.Bytes()[:w*h*4]
	b.SetBytes(int64(len(pix)))
	b.ReportAllocs()
	for b.Loop() {
		if err := wm.CaptureInto(id, full, pix); err != nil {
			b.Fatal(err)
		}
	}
	if bytes.Count(pix, []byte{0}) == len(pix) {
		b.Fatal("the frame segment holds no picture")
	}
}
