package stream

import (
	"strings"
	"testing"

	"github.com/xroam/xroam/plugins/encoders/modules/yuv"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/schema"
)

func TestConfig(t *testing.T) {
	s := schema.Schema{Attrs: Attrs(50, "quality")}
	for _, c := range []struct {
		in      map[string]any
		q       int
		idle    string
		csc     string
		wantErr string
	}{
		{in: map[string]any{}, q: 50, idle: "10s", csc: yuv.Backend},
		{in: map[string]any{"quality": 90, "idle": "2s"}, q: 90, idle: "2s", csc: yuv.Backend},
		{in: map[string]any{"csc": []string{"nosuch", "go"}}, q: 50, idle: "10s", csc: "go"},
		{in: map[string]any{"csc": []string{"nosuch"}}, wantErr: "x: none of the colourspace converters nosuch is built in"},
		{in: map[string]any{"quality": 0}, wantErr: "x: quality 0 is not in 1..100"},
		{in: map[string]any{"quality": 101}, wantErr: "x: quality 101 is not in 1..100"},
		{in: map[string]any{"idle": "0s"}, wantErr: "x: idle 0s is not positive"},
	} {
		v, err := s.Check(c.in)
		if err != nil {
			t.Fatalf("%v: %v", c.in, err)
		}
		got, err := Config("x", v)
		q, idle := got.Quality, got.Idle
		if c.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.wantErr) {
				t.Errorf("%v: err %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || q != c.q || idle.String() != c.idle || got.CSC != c.csc || got.Convert == nil {
			t.Errorf("%v: %d %s %q %v, want %d %s %q", c.in, q, idle, got.CSC, err, c.q, c.idle, c.csc)
		}
	}
}

func TestCheckFrame(t *testing.T) {
	frame := func(w, h, stride int, format string, n int) encoder.Frame {
		return encoder.Frame{Width: w, Height: h, Stride: stride, Format: format, Pixels: make([]byte, n)}
	}
	for _, c := range []struct {
		name    string
		f       encoder.Frame
		maxSide int
		wantErr string // a part of the error; "" for none
	}{
		{"bgrx", frame(4, 2, 16, "BGRX", 32), 0, ""},
		{"bgra", frame(4, 2, 16, "BGRA", 32), 0, ""},
		{"wide stride, short last row", frame(4, 2, 20, "BGRX", 36), 0, ""},
		{"rgb", frame(4, 2, 16, "RGBX", 32), 0, `pixel format "RGBX"`},
		{"short pixels", frame(4, 2, 16, "BGRX", 31), 0, "does not fit 31 bytes"},
		{"short stride", frame(4, 2, 12, "BGRX", 32), 0, "stride 12"},
		{"zero width", frame(0, 2, 16, "BGRX", 32), 0, "does not fit"},
		{"odd width", frame(3, 2, 12, "BGRX", 24), 0, "must be even"},
		{"odd height", frame(4, 3, 16, "BGRX", 48), 0, "must be even"},
		{"at the limit", frame(8, 2, 32, "BGRX", 64), 8, ""},
		{"over the limit", frame(10, 2, 40, "BGRX", 80), 8, "does not fit"},
		{"no limit", frame(10, 2, 40, "BGRX", 80), 0, ""},
	} {
		err := CheckFrame("x", c.f, c.maxSide)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.HasPrefix(err.Error(), "x: ")):
			t.Errorf("%s: err %v, want one with %q", c.name, err, c.wantErr)
		}
	}
}

func TestQuality(t *testing.T) {
	for _, c := range []struct{ req, def, want int }{
		{0, 50, 50}, {-1, 80, 80}, {30, 50, 30}, {100, 50, 100}, {150, 50, 100}, {0, 0, 1}, {1, 50, 1},
	} {
		if got := Quality(c.req, c.def); got != c.want {
			t.Errorf("Quality(%d, %d) = %d, want %d", c.req, c.def, got, c.want)
		}
	}
}
