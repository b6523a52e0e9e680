package pluginhost_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"slices"
	"testing"

	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
)

// pictureEncoder starts the png or jpeg plugin binary.
func pictureEncoder(tb testing.TB, ctx context.Context, name string) encoder.Encoder {
	tb.Helper()
	h := pluginhost.New(pluginhost.Options{Dirs: []string{pluginDir}})
	tb.Cleanup(func() { _ = h.Close() })
	if err := h.Available(plugin.KindEncoder, name, nil); err != nil {
		tb.Fatal(err)
	}
	e, err := h.Encoder(ctx, pluginhost.Spec{Name: name})
	if err != nil {
		tb.Fatal(err)
	}
	if st := h.Status(); len(st) != 1 || st[0].Builtin || st[0].PID == 0 {
		tb.Fatalf("status %+v, want a subprocess", st)
	}
	return e
}

// photoFrame draws smooth gradients with a few edges, which is what a
// lossy codec is made for, into a shared-memory frame with a padded stride.
func photoFrame(tb testing.TB, w, h int) encoder.Frame {
	tb.Helper()
	f := newFrame(tb, w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := y*f.Stride + x*4
			b := byte(128 + 100*math.Sin(float64(x)/37))
			g := byte(y * 255 / h)
			r := byte(x * 255 / w)
			if (x/64+y/64)%2 == 0 {
				r /= 2
			}
			f.Pixels[o], f.Pixels[o+1], f.Pixels[o+2], f.Pixels[o+3] = b, g, r, 0
		}
	}
	return f
}

// pixel returns the R, G, B of frame pixel x, y.
func pixel(f encoder.Frame, x, y int) (r, g, b uint8) {
	o := y*f.Stride + x*4
	return f.Pixels[o+2], f.Pixels[o+1], f.Pixels[o]
}

func TestPNGPluginLossless(t *testing.T) {
	ctx := testCtx(t)
	e := pictureEncoder(t, ctx, "png")
	info, err := e.Info(ctx)
	if err != nil || !slices.Equal(info.Encodings, []string{"png", "png/P", "png/L"}) {
		t.Fatalf("info %+v, %v", info, err)
	}
	for _, f := range []encoder.Frame{newFrame(t, 333, 77), photoFrame(t, 640, 480)} {
		resp, err := e.Encode(ctx, &encoder.Request{Encoding: "png", Frame: f, Quality: -1, Speed: -1})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Encoding != "png" || resp.Width != f.Width || resp.Height != f.Height {
			t.Fatalf("response %s %dx%d", resp.Encoding, resp.Width, resp.Height)
		}
		img, err := png.Decode(bytes.NewReader(resp.Data))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := img.(*image.RGBA); !ok {
			t.Errorf("decoded as %T, want an opaque RGB file (image.RGBA)", img)
		}
		if b := img.Bounds(); b.Dx() != f.Width || b.Dy() != f.Height {
			t.Fatalf("decoded %v, want %dx%d", b, f.Width, f.Height)
		}
		for y := 0; y < f.Height; y++ {
			for x := 0; x < f.Width; x++ {
				r, g, b, a := img.At(x, y).RGBA()
				wr, wg, wb := pixel(f, x, y)
				if uint8(r>>8) != wr || uint8(g>>8) != wg || uint8(b>>8) != wb || a != 0xffff {
					t.Fatalf("%dx%d: pixel %d,%d is %d,%d,%d,%d, want %d,%d,%d", f.Width, f.Height, x, y, r>>8, g>>8, b>>8, a>>8, wr, wg, wb)
				}
			}
		}
	}
	if _, err := e.Encode(ctx, &encoder.Request{Encoding: "jpeg", Frame: newFrame(t, 8, 8)}); err == nil {
		t.Fatal("the png plugin accepted jpeg")
	}
}

// psnr compares a decoded image with the frame, over R, G and B.
func psnr(f encoder.Frame, img image.Image) float64 {
	var se float64
	for y := 0; y < f.Height; y++ {
		for x := 0; x < f.Width; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			wr, wg, wb := pixel(f, x, y)
			for _, d := range []float64{float64(r>>8) - float64(wr), float64(g>>8) - float64(wg), float64(b>>8) - float64(wb)} {
				se += d * d
			}
		}
	}
	mse := se / float64(3*f.Width*f.Height)
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

func TestJPEGPluginQuality(t *testing.T) {
	ctx := testCtx(t)
	e := pictureEncoder(t, ctx, "jpeg")
	f := photoFrame(t, 640, 480)
	var prevSize int
	for _, q := range []int{-1, 50, 80, 95} {
		resp, err := e.Encode(ctx, &encoder.Request{Encoding: "jpeg", Frame: f, Quality: q, Speed: -1})
		if err != nil {
			t.Fatal(err)
		}
		wantQ := q
		if q < 0 {
			wantQ = 80
		}
		if got := resp.Options["quality"]; got != int64(wantQ) && got != float64(wantQ) {
			t.Errorf("quality %d: options %v", q, resp.Options)
		}
		img, err := jpeg.Decode(bytes.NewReader(resp.Data))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != f.Width || b.Dy() != f.Height {
			t.Fatalf("decoded %v", b)
		}
		p := psnr(f, img)
		t.Logf("quality %d: %d bytes, PSNR %.1f dB", q, len(resp.Data), p)
		if p < 30 {
			t.Errorf("quality %d: PSNR %.1f dB, want > 30", q, p)
		}
		if q > 0 && len(resp.Data) <= prevSize {
			t.Errorf("quality %d: %d bytes, not more than at the previous quality (%d)", q, len(resp.Data), prevSize)
		}
		if q > 0 {
			prevSize = len(resp.Data)
		}
	}
	if _, err := e.Encode(ctx, &encoder.Request{Encoding: "jpeg", Frame: encoder.Frame{Width: 8, Height: 8, Stride: 32, Format: "RGB565", Pixels: make([]byte, 256)}}); err == nil {
		t.Fatal("an unknown pixel format was accepted")
	}
}

// TestJPEGPluginConfig: the plugin's quality attribute is the default
// for requests that name none; a bad one stops the start.
func TestJPEGPluginConfig(t *testing.T) {
	ctx := testCtx(t)
	h := pluginhost.New(pluginhost.Options{Dirs: []string{pluginDir}})
	t.Cleanup(func() { _ = h.Close() })
	e, err := h.Encoder(ctx, pluginhost.Spec{Name: "jpeg", Options: map[string][]string{"quality": {"95"}}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.Encode(ctx, &encoder.Request{Encoding: "jpeg", Frame: photoFrame(t, 64, 64), Quality: -1})
	if err != nil {
		t.Fatal(err)
	}
	if q := resp.Options["quality"]; q != int64(95) && q != float64(95) {
		t.Fatalf("options %v, want quality 95", resp.Options)
	}
	if _, err := h.Encoder(ctx, pluginhost.Spec{Name: "jpeg", Options: map[string][]string{"quality": {"101"}}}); err == nil {
		t.Fatal("quality 101 was accepted")
	}
}

// BenchmarkPictureEncode encodes 720p and 1080p frames through the png
// and jpeg plugin subprocesses, the frames passed by shared memory.
func BenchmarkPictureEncode(b *testing.B) {
	ctx := context.Background()
	for _, name := range []string{"png", "jpeg"} {
		e := pictureEncoder(b, ctx, name)
		for _, sz := range []struct{ w, h int }{{1280, 720}, {1920, 1080}} {
			f := photoFrame(b, sz.w, sz.h)
			b.Run(name+"/"+image.Pt(sz.w, sz.h).String(), func(b *testing.B) {
				var n int
				for b.Loop() {
					r, err := e.Encode(ctx, &encoder.Request{Encoding: name, Frame: f, Quality: -1, Speed: -1})
					if err != nil {
						b.Fatal(err)
					}
					n = len(r.Data)
				}
				b.ReportMetric(float64(n), "out-bytes")
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
			})
		}
	}
}
