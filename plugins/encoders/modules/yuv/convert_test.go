package yuv

import (
	"math/rand/v2"
	"testing"
)

// TestBGRXToI420Colours checks the conversion against BT.601
// limited-range values of pure colours, for a whole 2x2 block.
func TestBGRXToI420Colours(t *testing.T) {
	for _, tc := range []struct {
		name    string
		b, g, r byte
		y, u, v byte
	}{
		{"black", 0, 0, 0, 16, 128, 128},
		{"white", 255, 255, 255, 235, 128, 128},
		{"red", 0, 0, 255, 82, 90, 240},
		{"green", 0, 255, 0, 145, 54, 34},
		{"blue", 255, 0, 0, 41, 240, 110},
	} {
		src := make([]byte, 2*2*4)
		for i := 0; i < 4; i++ {
			src[i*4], src[i*4+1], src[i*4+2] = tc.b, tc.g, tc.r
		}
		y, u, v := make([]byte, 4), make([]byte, 1), make([]byte, 1)
		BGRXToI420(src, 8, 2, 2, y, 2, u, v, 1)
		near := func(a, b byte) bool { return a == b || a == b+1 || a+1 == b }
		if !near(y[0], tc.y) || !near(y[3], tc.y) || !near(u[0], tc.u) || !near(v[0], tc.v) {
			t.Errorf("%s: Y %d U %d V %d, want %d %d %d", tc.name, y[0], u[0], v[0], tc.y, tc.u, tc.v)
		}
	}
}

// BenchmarkBGRXToI420 converts a 1280x720 frame, what the video
// encoders do for every picture of the S2 benchmark.
func BenchmarkBGRXToI420(b *testing.B) {
	const w, h = 1280, 720
	src := make([]byte, w*h*4)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range src {
		src[i] = byte(r.IntN(256))
	}
	y, u, v := make([]byte, w*h), make([]byte, w*h/4), make([]byte, w*h/4)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		BGRXToI420(src, w*4, w, h, y, w, u, v, w/2)
	}
}
