package client

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/plugins/encoders/modules/x264"
	"github.com/xroam/xroam/sdk/encoder"
)

// testPicture is a w x h BGRX picture with gradients, blocks and fine
// text-like detail, so that a broken colour conversion or a misplaced
// plane shows up in the PSNR.
func testPicture(w, h, shift int) []byte {
	pix := make([]byte, w*h*4)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y*w + x) * 4
			pix[i] = byte((x + shift) * 255 / w)
			pix[i+1] = byte(y * 255 / h)
			pix[i+2] = byte(((x+shift)/64 + y/64) % 2 * 200)
			if (x+shift)%97 < 3 && y%13 < 9 {
				pix[i], pix[i+1], pix[i+2] = 0, 0, 0
			}
			pix[i+3] = 255
		}
	}
	return pix
}

// psnr compares two BGRX pictures on their colour channels.
func psnr(a, b []byte) float64 {
	var se float64
	var n int
	for i := range a {
		if i%4 == 3 {
			continue
		}
		d := float64(a[i]) - float64(b[i])
		se += d * d
		n++
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}

func TestH264RoundTrip(t *testing.T) {
	const w, h = 1280, 720
	enc := x264.New(x264.DefaultQuality, 10*time.Second)
	defer enc.Close()
	win := &window{wid: 1}
	defer win.video.close()
	for i := range 5 {
		src := testPicture(w, h, i*8)
		resp, err := enc.Encode(context.Background(), &encoder.Request{Encoding: "h264", Quality: -1,
			Frame:   encoder.Frame{Width: w, Height: h, Stride: w * 4, Format: "BGRX", Pixels: src},
			Options: map[string]any{"wid": int64(1)}})
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Options["frame"]; got != int64(i) {
			t.Fatalf("frame %d: frame option %v", i, got)
		}
		if wantIDR := i == 0; (resp.Options["type"] == "IDR") != wantIDR {
			t.Fatalf("frame %d: type %v", i, resp.Options["type"])
		}
		opts := wire.Dict{}
		for k, v := range resp.Options {
			opts[k] = v
		}
		got, err := win.decodeH264(resp.Data, w, h, opts)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		p := psnr(src, got)
		t.Logf("frame %d: %d bytes, PSNR %.1f dB", i, len(resp.Data), p)
		if p < 30 {
			t.Fatalf("frame %d: PSNR %.1f dB, want >= 30", i, p)
		}
	}
	// A new size restarts the stream with an IDR frame.
	src := testPicture(640, 480, 0)
	resp, err := enc.Encode(context.Background(), &encoder.Request{Encoding: "h264", Quality: -1,
		Frame:   encoder.Frame{Width: 640, Height: 480, Stride: 640 * 4, Format: "BGRX", Pixels: src},
		Options: map[string]any{"wid": int64(1)}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Options["frame"] != int64(0) || resp.Options["type"] != "IDR" {
		t.Fatalf("after a resize: options %v, want frame 0 IDR", resp.Options)
	}
	got, err := win.decodeH264(resp.Data, 640, 480, wire.Dict{"frame": int64(0), "csc": "YUV420P"})
	if err != nil {
		t.Fatal(err)
	}
	if p := psnr(src, got); p < 30 {
		t.Fatalf("after a resize: PSNR %.1f dB", p)
	}
	// Odd sizes and foreign formats are refused, not encoded wrong.
	if _, err := enc.Encode(context.Background(), &encoder.Request{Encoding: "h264",
		Frame: encoder.Frame{Width: 3, Height: 2, Stride: 12, Format: "BGRX", Pixels: make([]byte, 24)}}); err == nil {
		t.Fatal("an odd width was accepted")
	}
}

func TestH264DecodeRejectsGarbage(t *testing.T) {
	win := &window{wid: 1}
	defer win.video.close()
	if _, err := win.decodeH264([]byte("not h264 at all, not at all"), 64, 64, wire.Dict{"frame": int64(0)}); err == nil {
		t.Fatal("garbage decoded")
	}
	if _, err := win.decodeH264([]byte{0, 0, 1}, 64, 64, wire.Dict{"csc": "YUV444P"}); err == nil {
		t.Fatal("a 4:4:4 stream was accepted")
	}
}

func FuzzH264Decode(f *testing.F) {
	enc := x264.New(x264.DefaultQuality, time.Minute)
	defer enc.Close()
	src := testPicture(64, 48, 0)
	resp, err := enc.Encode(context.Background(), &encoder.Request{Encoding: "h264", Quality: -1,
		Frame: encoder.Frame{Width: 64, Height: 48, Stride: 256, Format: "BGRX", Pixels: src}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(resp.Data, 64, 48)
	f.Add([]byte{0, 0, 0, 1, 0x67}, 16, 16)
	f.Fuzz(func(t *testing.T, data []byte, w, h int) {
		win := &window{wid: 1}
		defer win.video.close()
		pix, err := win.decodeH264(data, w%300, h%300, wire.Dict{"frame": int64(0)})
		if err == nil && len(pix) != (w%300)*(h%300)*4 {
			t.Fatalf("%d bytes for %dx%d", len(pix), w%300, h%300)
		}
	})
}
