package pluginhost_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xroam/xroam/sdk/encoder"
)

// TestVPXPlugin: the plugin subprocess encodes vp8 and vp9 streams whose
// frame numbers and key-frame flag survive the trip back over gRPC.
func TestVPXPlugin(t *testing.T) {
	ctx := context.Background()
	e := pictureEncoder(t, ctx, "vpx")
	for _, coding := range []string{"vp8", "vp9"} {
		f := newFrame(t, 320, 240)
		for i := range 3 {
			moveBlock(f, i)
			resp, err := e.Encode(ctx, &encoder.Request{Encoding: coding, Frame: f, Quality: -1, Speed: -1,
				Options: map[string]any{"stream": "t/" + coding}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Encoding != coding || fmt.Sprint(resp.Options["frame"]) != fmt.Sprint(i) || resp.Options["csc"] != "YUV420P" || (resp.Options["type"] == "IDR") != (i == 0) {
				t.Fatalf("%s frame %d: encoding %q options %v", coding, i, resp.Encoding, resp.Options)
			}
			// A vp8 key frame starts with the start code 9d 01 2a after
			// its 3-byte tag; a vp9 frame with the frame marker 0b10.
			switch {
			case coding == "vp8" && i == 0 && (len(resp.Data) < 6 || resp.Data[3] != 0x9d || resp.Data[4] != 0x01 || resp.Data[5] != 0x2a):
				t.Fatalf("vp8 key frame: % x…, not a vp8 key frame", resp.Data[:min(len(resp.Data), 6)])
			case coding == "vp9" && (len(resp.Data) < 1 || resp.Data[0]>>6 != 2):
				t.Fatalf("vp9 frame %d: % x…, not a vp9 frame", i, resp.Data[:min(len(resp.Data), 6)])
			}
		}
	}
	if _, err := e.Encode(ctx, &encoder.Request{Encoding: "h264", Frame: newFrame(t, 64, 64)}); err == nil {
		t.Fatal("the vpx plugin accepted h264")
	}
}

// BenchmarkVPXPlugin encodes vp8 and vp9 streams of 1280x720 and
// 1920x1080 frames through the plugin subprocess (frames in shared
// memory): fps and bytes per frame, as BenchmarkX264 does for h264.
func BenchmarkVPXPlugin(b *testing.B) {
	ctx := context.Background()
	e := pictureEncoder(b, ctx, "vpx")
	for _, coding := range []string{"vp8", "vp9"} {
		for _, sz := range []struct {
			name string
			w, h int
		}{{"720p", 1280, 720}, {"1080p", 1920, 1080}} {
			b.Run(coding+"/"+sz.name, func(b *testing.B) {
				f := newFrame(b, sz.w, sz.h)
				var bytes, i int
				t0 := time.Now()
				for b.Loop() {
					moveBlock(f, i)
					i++
					r, err := e.Encode(ctx, &encoder.Request{Encoding: coding, Frame: f, Quality: -1, Speed: -1,
						Options: map[string]any{"stream": "bench/" + coding + "/" + sz.name}})
					if err != nil {
						b.Fatal(err)
					}
					bytes += len(r.Data)
				}
				b.ReportMetric(float64(i)/time.Since(t0).Seconds(), "fps")
				b.ReportMetric(float64(bytes)/float64(max(i, 1)), "bytes/frame")
			})
		}
	}
}
