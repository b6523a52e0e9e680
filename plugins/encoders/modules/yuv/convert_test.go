package yuv

import (
	"math/rand/v2"
	"strings"
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

// TestBackendsAgree checks that the converter in use (libyuv in builds
// with the extlib tag) gives the portable converter's planes, within the
// rounding that libyuv's fixed-point rows differ by, on a noise picture
// with a stride wider than the picture.
func TestBackendsAgree(t *testing.T) {
	const w, h, stride = 66, 34, 66*4 + 12
	src := make([]byte, stride*h)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range src {
		src[i] = byte(r.IntN(256))
	}
	planes := func(conv func([]byte, int, int, int, []byte, int, []byte, []byte, int)) (y, u, v []byte) {
		y, u, v = make([]byte, w*h), make([]byte, w*h/4), make([]byte, w*h/4)
		conv(src, stride, w, h, y, w, u, v, w/2)
		return y, u, v
	}
	gy, gu, gv := planes(bgrxToI420Go)
	y, u, v := planes(BGRXToI420)
	for _, p := range []struct {
		name      string
		got, want []byte
	}{{"Y", y, gy}, {"U", u, gu}, {"V", v, gv}} {
		worst := 0
		for i := range p.want {
			d := int(p.got[i]) - int(p.want[i])
			worst = max(worst, d, -d)
		}
		if worst > 2 {
			t.Errorf("%s backend %s: %s plane differs from the portable one by up to %d", Backend, p.name, p.name, worst)
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

// BenchmarkBGRXToI420Go is the portable converter on the same frame, to
// compare with the backend above.
func BenchmarkBGRXToI420Go(b *testing.B) {
	const w, h = 1280, 720
	src := make([]byte, w*h*4)
	y, u, v := make([]byte, w*h), make([]byte, w*h/4), make([]byte, w*h/4)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		bgrxToI420Go(src, w*4, w, h, y, w, u, v, w/2)
	}
}

// TestPick checks the --csc-modules choice: the first built-in converter
// of the list, and a clear error when there is none.
func TestPick(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
		err   string
	}{
		{nil, Backend, ""},
		{[]string{"all"}, Backend, ""},
		{[]string{"go"}, "go", ""},
		{[]string{"nosuch", "go"}, "go", ""},
		{[]string{"none"}, "", "none"},
		{[]string{"nosuch"}, "", "none of the colourspace converters nosuch"},
	} {
		f, name, err := Pick(tc.names)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Pick(%q) = %q, %v; want an error with %q", tc.names, name, err, tc.err)
			}
			continue
		}
		if err != nil || name != tc.want || f == nil {
			t.Errorf("Pick(%q) = %q, %v; want %q", tc.names, name, err, tc.want)
		}
	}
	if Backend == "libyuv" {
		if _, name, err := Pick([]string{"libyuv"}); err != nil || name != "libyuv" {
			t.Errorf("Pick(libyuv) = %q, %v in a libyuv build", name, err)
		}
	} else if _, _, err := Pick([]string{"libyuv"}); err == nil {
		t.Error("Pick(libyuv) succeeded in a build without libyuv")
	}
}
