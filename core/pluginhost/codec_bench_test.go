package pluginhost_test

import (
	"fmt"
	"testing"

	"github.com/xroam/xroam/sdk/encoder"
)

// BenchmarkPictureEncoders encodes a 1280x720 and a 1920x1080 frame held
// in shared memory through each picture encoder's plugin subprocess: the
// ns/op gives the frames per second, out-bytes the size of a frame.
func BenchmarkPictureEncoders(b *testing.B) {
	ctx := b.Context()
	for _, c := range []struct{ plugin, encoding string }{
		{"png", "png"}, {"png", "png/P"}, {"png", "png/L"}, {"jpeg", "jpeg"}, {"webp", "webp"},
	} {
		e := pictureEncoder(b, ctx, c.plugin)
		for _, sz := range [][2]int{{1280, 720}, {1920, 1080}} {
			f := photoFrame(b, sz[0], sz[1])
			b.Run(fmt.Sprintf("%s/%dx%d", c.encoding, sz[0], sz[1]), func(b *testing.B) {
				var n int
				for b.Loop() {
					r, err := e.Encode(ctx, &encoder.Request{Encoding: c.encoding, Frame: f, Quality: -1, Speed: -1})
					if err != nil {
						b.Fatal(err)
					}
					n = len(r.Data)
				}
				b.ReportMetric(float64(n), "out-bytes")
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fps")
			})
		}
	}
}
