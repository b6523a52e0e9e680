package pluginhost_test

import (
	"bytes"
	"testing"

	"github.com/gen2brain/webp"

	"github.com/xroam/xroam/sdk/encoder"
)

// TestWebPPlugin: through the plugin subprocess, quality 100 is lossless
// (the exact pixels come back), lower qualities stay above a PSNR bound,
// and the request's speed picks libwebp's effort, which the draw's
// options report.
func TestWebPPlugin(t *testing.T) {
	ctx := testCtx(t)
	e := pictureEncoder(t, ctx, "webp")
	f := photoFrame(t, 320, 200)
	sizes := map[int]int{}
	for _, c := range []struct{ quality, speed, wantSpeed int }{{100, -1, 100}, {80, 100, 100}, {80, 1, 0}} {
		resp, err := e.Encode(ctx, &encoder.Request{Encoding: "webp", Frame: f, Quality: c.quality, Speed: c.speed})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Options["quality"] != int64(c.quality) || resp.Options["speed"] != int64(c.wantSpeed) {
			t.Errorf("quality %d speed %d: options %v", c.quality, c.speed, resp.Options)
		}
		all, err := webp.DecodeAll(bytes.NewReader(resp.Data))
		if err != nil || len(all.Image) != 1 {
			t.Fatalf("decoding: %v", err)
		}
		p := psnr(f, all.Image[0])
		switch {
		case c.quality == 100 && p < 1000:
			t.Errorf("lossless: PSNR %.1f dB, want exact", p)
		case p < 30:
			t.Errorf("quality %d speed %d: PSNR %.1f dB", c.quality, c.speed, p)
		}
		sizes[c.speed] = len(resp.Data)
		t.Logf("quality %d speed %d: %d bytes, PSNR %.1f dB", c.quality, c.speed, len(resp.Data), p)
	}
	if sizes[1] > sizes[100] {
		t.Errorf("the slowest method made %d bytes, more than the fastest's %d", sizes[1], sizes[100])
	}
	if _, err := e.Encode(ctx, &encoder.Request{Encoding: "png", Frame: f}); err == nil {
		t.Fatal("the webp plugin accepted png")
	}
}
