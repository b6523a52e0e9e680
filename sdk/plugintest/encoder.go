package plugintest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/shm"
)

// Frame returns a w x h frame of format in a new shared segment, with a
// padded stride as X servers produce, filled with a pattern that is
// neither flat nor noise; the segment is removed at the end of the test.
func Frame(t testing.TB, w, h int, format string) encoder.Frame {
	t.Helper()
	bpp := encoder.BytesPerPixel(format)
	if bpp == 0 {
		t.Fatalf("unknown pixel format %q", format)
	}
	stride := w*bpp + 32
	seg, err := shm.Create(stride*h + 64)
	if err != nil {
		t.Skipf("no System V shared memory: %v", err)
	}
	t.Cleanup(func() { _ = seg.Close() })
	f, err := encoder.FrameIn(seg, 64, w, h, stride, format)
	if err != nil {
		t.Fatal(err)
	}
	for y := range h {
		for x := range w {
			px := f.Pixels[y*stride+x*bpp:]
			for c := range bpp {
				px[c] = byte(x*(c+1) + y*(3-c) + (x/8^y/8)*16)
			}
			if bpp == 4 && (format[3] == 'A' || format[0] == 'A') {
				px[3] = 0xff // opaque, so that alpha-aware encoders see colour
			}
		}
	}
	return f
}

// EncoderConformance checks what every encoder plugin must do, through
// the same gRPC and shared-memory path as a plugin subprocess: a
// description the host accepts that lists the encodings served, a refusal
// of unknown configuration, an Info listing encodings (those of the
// description among them) and pixel formats, every advertised encoding of
// every advertised format encoded (frames of changing sizes, the output
// travelling back through the lent shared-memory region), calls in
// parallel, and bad requests refused without the plugin failing.
func EncoderConformance(t *testing.T, p plugin.Encoder, cfg map[string]any) {
	t.Helper()
	ctx := context.Background()
	describeConformance(t, p, plugin.KindEncoder, cfg)
	e := Encoder(t, p, cfg)
	info, err := e.Info(ctx)
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	if len(info.Encodings) == 0 || len(info.PixelFormats) == 0 {
		t.Fatalf("info %+v: an encoder lists at least one encoding and one pixel format", info)
	}
	// The host routes an encoding to the plugin whose description lists
	// it, and refuses the plugin when its Info then lacks the encoding.
	if d := p.Describe(); len(d.Encodings) == 0 {
		t.Errorf("description %+v lists no encodings: the host would ask the plugin only for %q", d, d.Name)
	} else {
		for _, enc := range d.Encodings {
			if !slices.Contains(info.Encodings, enc) {
				t.Errorf("the description lists %q, which Info %v lacks", enc, info.Encodings)
			}
		}
	}
	var formats []string
	for _, f := range info.PixelFormats {
		if encoder.BytesPerPixel(f) == 0 {
			t.Errorf("info lists pixel format %q, which encoder.BytesPerPixel does not know", f)
			continue
		}
		formats = append(formats, f)
	}
	sizes := [][2]int{{64, 48}, {1, 1}, {333, 17}, {640, 480}}
	t.Run("encode", func(t *testing.T) {
		for _, format := range formats {
			for _, size := range sizes {
				f := Frame(t, size[0], size[1], format)
				for _, enc := range info.Encodings {
					r, err := e.Encode(ctx, &encoder.Request{Encoding: enc, Frame: f, Quality: -1, Speed: -1})
					if err != nil {
						t.Errorf("%s of a %dx%d %s frame: %v", enc, size[0], size[1], format, err)
						continue
					}
					if len(r.Data) == 0 || r.Encoding == "" || r.Width <= 0 || r.Height <= 0 {
						t.Errorf("%s of a %dx%d %s frame: %d bytes, encoding %q, %dx%d", enc, size[0], size[1], format,
							len(r.Data), r.Encoding, r.Width, r.Height)
					}
				}
			}
		}
	})
	t.Run("parallel", func(t *testing.T) {
		// Each call gets its own output region: an output seen twice, or
		// one call's bytes in another's answer, shows up as an error or
		// as answers that differ from the same frames encoded one by one
		// (compared only for encoders that answer a repeated frame alike).
		enc, format := info.Encodings[0], formats[0]
		frames := make([]encoder.Frame, 6)
		want := make([][]byte, len(frames))
		stable := true
		for i := range frames {
			frames[i] = Frame(t, 96+i*8, 64+i*4, format)
			a, err1 := e.Encode(ctx, &encoder.Request{Encoding: enc, Frame: frames[i], Quality: -1, Speed: -1})
			b, err2 := e.Encode(ctx, &encoder.Request{Encoding: enc, Frame: frames[i], Quality: -1, Speed: -1})
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v %v", enc, err1, err2)
			}
			want[i] = a.Data
			stable = stable && bytes.Equal(a.Data, b.Data)
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(frames))
		for i := range frames {
			wg.Go(func() {
				for range 4 {
					r, err := e.Encode(ctx, &encoder.Request{Encoding: enc, Frame: frames[i], Quality: -1, Speed: -1})
					if err != nil {
						errs <- err
						return
					}
					if stable && !bytes.Equal(r.Data, want[i]) {
						errs <- fmt.Errorf("frame %d: the answer differs from the one-by-one answer", i)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
	t.Run("bad requests refused", func(t *testing.T) {
		f := Frame(t, 32, 32, formats[0])
		if _, err := e.Encode(ctx, &encoder.Request{Encoding: "xroam-no-such-encoding", Frame: f}); err == nil {
			t.Error("an unknown encoding was accepted")
		}
		bad := f
		bad.Shm = &encoder.Ref{SegmentID: f.Shm.SegmentID, Offset: 1 << 30}
		if _, err := e.Encode(ctx, &encoder.Request{Encoding: info.Encodings[0], Frame: bad}); err == nil {
			t.Error("a frame past its segment was accepted")
		}
		// Still serving.
		if _, err := e.Encode(ctx, &encoder.Request{Encoding: info.Encodings[0], Frame: f, Quality: -1, Speed: -1}); err != nil {
			t.Errorf("after bad requests: %v", err)
		}
	})
}
