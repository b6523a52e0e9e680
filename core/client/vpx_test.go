package client

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/plugins/encoders/modules/vpx"
	"github.com/xroam/xroam/sdk/encoder"
)

func TestVPXRoundTrip(t *testing.T) {
	for _, coding := range []string{"vp8", "vp9"} {
		t.Run(coding, func(t *testing.T) {
			const w, h = 1280, 720
			enc := vpx.New(vpx.DefaultQuality, 10*time.Second)
			defer enc.Close()
			win := &window{wid: 1}
			defer func() { win.video.close() }()
			for i := range 5 {
				src := testPicture(w, h, i*8)
				resp, err := enc.Encode(context.Background(), &encoder.Request{Encoding: coding, Quality: -1,
					Frame:   encoder.Frame{Width: w, Height: h, Stride: w * 4, Format: "BGRX", Pixels: src},
					Options: map[string]any{"stream": "s1"}})
				if err != nil {
					t.Fatal(err)
				}
				if resp.Encoding != coding || resp.Options["frame"] != int64(i) || resp.Options["csc"] != "YUV420P" {
					t.Fatalf("frame %d: encoding %q options %v", i, resp.Encoding, resp.Options)
				}
				if wantKey := i == 0; (resp.Options["type"] == "IDR") != wantKey {
					t.Fatalf("frame %d: type %v", i, resp.Options["type"])
				}
				opts := wire.Dict{}
				for k, v := range resp.Options {
					opts[k] = v
				}
				got, err := win.decodeVideo(coding, resp.Data, w, h, opts)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				p := psnr(src, got)
				t.Logf("frame %d: %d bytes, PSNR %.1f dB", i, len(resp.Data), p)
				if p < 30 {
					t.Fatalf("frame %d: PSNR %.1f dB, want >= 30", i, p)
				}
			}
			// A new size restarts the stream with a key frame.
			src := testPicture(640, 480, 0)
			resp, err := enc.Encode(context.Background(), &encoder.Request{Encoding: coding, Quality: -1,
				Frame:   encoder.Frame{Width: 640, Height: 480, Stride: 640 * 4, Format: "BGRX", Pixels: src},
				Options: map[string]any{"stream": "s1"}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Options["frame"] != int64(0) || resp.Options["type"] != "IDR" {
				t.Fatalf("after a resize: options %v, want frame 0 key frame", resp.Options)
			}
			got, err := win.decodeVideo(coding, resp.Data, 640, 480, wire.Dict{"frame": int64(0), "csc": "YUV420P"})
			if err != nil {
				t.Fatal(err)
			}
			if p := psnr(src, got); p < 30 {
				t.Fatalf("after a resize: PSNR %.1f dB", p)
			}
			// "restart" starts the stream again.
			resp, err = enc.Encode(context.Background(), &encoder.Request{Encoding: coding, Quality: -1,
				Frame:   encoder.Frame{Width: 640, Height: 480, Stride: 640 * 4, Format: "BGRX", Pixels: src},
				Options: map[string]any{"stream": "s1", "restart": true}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Options["frame"] != int64(0) {
				t.Fatalf("after a restart: options %v, want frame 0", resp.Options)
			}
			// Odd sizes and foreign formats are refused, not encoded wrong.
			if _, err := enc.Encode(context.Background(), &encoder.Request{Encoding: coding,
				Frame: encoder.Frame{Width: 3, Height: 2, Stride: 12, Format: "BGRX", Pixels: make([]byte, 24)}}); err == nil {
				t.Fatal("an odd width was accepted")
			}
			if _, err := enc.Encode(context.Background(), &encoder.Request{Encoding: coding,
				Frame: encoder.Frame{Width: 2, Height: 2, Stride: 8, Format: "RGB", Pixels: make([]byte, 16)}}); err == nil {
				t.Fatal("an RGB frame was accepted")
			}
		})
	}
}

func TestVPXDecodeRejectsGarbage(t *testing.T) {
	for _, coding := range []string{"vp8", "vp9"} {
		win := &window{wid: 1}
		if _, err := win.decodeVideo(coding, []byte("not vpx at all, not at all"), 64, 64, wire.Dict{"frame": int64(0)}); err == nil {
			t.Fatalf("%s: garbage decoded", coding)
		}
		if _, err := win.decodeVideo(coding, []byte{0, 0, 1}, 64, 64, wire.Dict{"csc": "YUV444P"}); err == nil {
			t.Fatalf("%s: a 4:4:4 stream was accepted", coding)
		}
		win.video.close()
	}
}

// BenchmarkVPX encodes a moving 720p and 1080p picture as vp8 and vp9
// streams and reports the bytes per frame.
func BenchmarkVPX(b *testing.B) {
	for _, coding := range []string{"vp8", "vp9"} {
		for _, sz := range []struct{ w, h int }{{1280, 720}, {1920, 1080}} {
			b.Run(coding+"/"+itoa(sz.w)+"x"+itoa(sz.h), func(b *testing.B) {
				enc := vpx.New(vpx.DefaultQuality, time.Minute)
				defer enc.Close()
				frames := [][]byte{testPicture(sz.w, sz.h, 0), testPicture(sz.w, sz.h, 8)}
				var total int
				b.SetBytes(int64(sz.w * sz.h * 4))
				b.ResetTimer()
				for i := range b.N {
					resp, err := enc.Encode(context.Background(), &encoder.Request{Encoding: coding, Quality: -1,
						Frame:   encoder.Frame{Width: sz.w, Height: sz.h, Stride: sz.w * 4, Format: "BGRX", Pixels: frames[i%2]},
						Options: map[string]any{"stream": "b"}})
					if err != nil {
						b.Fatal(err)
					}
					total += len(resp.Data)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fps")
				b.ReportMetric(float64(total)/float64(b.N), "bytes/frame")
			})
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func FuzzVPXDecode(f *testing.F) {
	enc := vpx.New(vpx.DefaultQuality, time.Minute)
	defer enc.Close()
	src := testPicture(64, 48, 0)
	for i, coding := range []string{"vp8", "vp9"} {
		resp, err := enc.Encode(context.Background(), &encoder.Request{Encoding: coding, Quality: -1,
			Frame: encoder.Frame{Width: 64, Height: 48, Stride: 256, Format: "BGRX", Pixels: src}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(resp.Data, 64, 48, i == 1)
	}
	f.Add([]byte{0x9d, 0x01, 0x2a, 0x10, 0, 0x10, 0}, 16, 16, false)
	f.Fuzz(func(t *testing.T, data []byte, w, h int, vp9 bool) {
		coding := "vp8"
		if vp9 {
			coding = "vp9"
		}
		win := &window{wid: 1}
		defer func() { win.video.close() }()
		pix, err := win.decodeVideo(coding, data, w%300, h%300, wire.Dict{"frame": int64(0)})
		if err == nil && len(pix) != (w%300)*(h%300)*4 {
			t.Fatalf("%d bytes for %dx%d", len(pix), w%300, h%300)
		}
	})
}
