package pluginhost_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/shm"
)

// fillFrame draws something compressible but not trivial.
func fillFrame(b []byte, w, h, stride int) {
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := y*stride + x*4
			b[o], b[o+1], b[o+2], b[o+3] = byte(x), byte(y), byte(x^y), 0xff
		}
	}
}

func newFrame(tb testing.TB, w, h int) encoder.Frame {
	tb.Helper()
	stride := w*4 + 64 // a padded stride, as X servers produce
	seg, err := shm.Create(stride*h + 4096)
	if err != nil {
		tb.Skipf("no System V shared memory: %v", err)
	}
	tb.Cleanup(func() { _ = seg.Close() })
	f, err := encoder.FrameIn(seg, 4096, w, h, stride, "BGRX")
	if err != nil {
		tb.Fatal(err)
	}
	fillFrame(f.Pixels, w, h, stride)
	return f
}

func encoders(tb testing.TB, ctx context.Context, compressor string) (inproc, remote encoder.Encoder) {
	tb.Helper()
	sp := pluginhost.Spec{Name: "rgb", Options: map[string][]string{"compressor": {compressor}}}
	h := pluginhost.New(pluginhost.Options{Builtins: pluginhost.DefaultBuiltins()})
	tb.Cleanup(func() { _ = h.Close() })
	inproc, err := h.Encoder(ctx, sp)
	if err != nil {
		tb.Fatal(err)
	}
	hx := pluginhost.New(pluginhost.Options{Dirs: []string{pluginDir}, Builtins: pluginhost.DefaultBuiltins(), PreferExternal: true})
	tb.Cleanup(func() { _ = hx.Close() })
	remote, err = hx.Encoder(ctx, sp)
	if err != nil {
		tb.Fatal(err)
	}
	if st := hx.Status(); len(st) != 1 || st[0].Builtin || st[0].PID == 0 {
		tb.Fatalf("status %+v, want a subprocess", st)
	}
	return inproc, remote
}

// TestEncoderSharedMemory encodes one frame in-process and through the
// plugin subprocess, which reads the pixels from the shared segment: the
// outputs must be identical.
func TestEncoderSharedMemory(t *testing.T) {
	ctx := testCtx(t)
	for _, comp := range []string{"none", "lz4", "zlib"} {
		t.Run(comp, func(t *testing.T) {
			inproc, remote := encoders(t, ctx, comp)
			f := newFrame(t, 1920, 1080)
			for _, enc := range []string{"rgb24", "rgb32"} {
				req := &encoder.Request{Encoding: enc, Frame: f}
				want, err := inproc.Encode(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				got, err := remote.Encode(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Data, want.Data) || got.Encoding != enc || got.Width != 1920 || got.Options["rowstride"] != want.Options["rowstride"] {
					t.Fatalf("%s: plugin output differs: %d bytes %v, want %d bytes %v", enc, len(got.Data), got.Options, len(want.Data), want.Options)
				}
			}
			// A frame outside shared memory is copied to a scratch segment.
			plain := f
			plain.Shm = nil
			plain.Pixels = bytes.Clone(f.Pixels)
			got, err := remote.Encode(ctx, &encoder.Request{Encoding: "rgb24", Frame: plain})
			want, _ := inproc.Encode(ctx, &encoder.Request{Encoding: "rgb24", Frame: f})
			if err != nil || !bytes.Equal(got.Data, want.Data) {
				t.Fatalf("copied frame: %v", err)
			}
		})
	}
}

func TestEncoderRejectsBadFrames(t *testing.T) {
	ctx := testCtx(t)
	_, remote := encoders(t, ctx, "none")
	f := newFrame(t, 64, 64)
	bad := f
	bad.Shm = &encoder.Ref{SegmentID: f.Shm.SegmentID, Offset: 1 << 30}
	if _, err := remote.Encode(ctx, &encoder.Request{Encoding: "rgb24", Frame: bad}); err == nil {
		t.Fatal("an offset past the segment was accepted")
	}
	if _, err := remote.Encode(ctx, &encoder.Request{Encoding: "h265", Frame: f}); err == nil {
		t.Fatal("an unknown encoding was accepted")
	}
	// The plugin survives bad requests.
	if _, err := remote.Encode(ctx, &encoder.Request{Encoding: "rgb32", Frame: f}); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkTrivialCall is the round trip of the smallest plugin call.
func BenchmarkTrivialCall(b *testing.B) {
	ctx := context.Background()
	_, remote := encoders(b, ctx, "none")
	for b.Loop() {
		if _, err := remote.Info(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode1080p encodes a 1920x1080 frame in-process and through
// the plugin subprocess; the difference is the plugin's overhead.
func BenchmarkEncode1080p(b *testing.B) {
	ctx := context.Background()
	for _, comp := range []string{"lz4", "zlib"} {
		inproc, remote := encoders(b, ctx, comp)
		f := newFrame(b, 1920, 1080)
		for _, e := range []struct {
			name string
			enc  encoder.Encoder
		}{{"inprocess", inproc}, {"plugin", remote}} {
			b.Run(comp+"/"+e.name, func(b *testing.B) {
				var n int
				for b.Loop() {
					r, err := e.enc.Encode(ctx, &encoder.Request{Encoding: "rgb24", Frame: f})
					if err != nil {
						b.Fatal(err)
					}
					n = len(r.Data)
				}
				b.ReportMetric(float64(n), "out-bytes")
			})
		}
	}
}
