package pipeline

import (
	"encoding/binary"
	"testing"

	"github.com/pierrec/lz4/v4"
	"github.com/xroam/xroam/core/wire"
)

func TestRGBFormatFor(t *testing.T) {
	for _, tc := range []struct {
		formats []string
		want    string
	}{
		{nil, BGRX},
		{[]string{"BGRX", "RGBX"}, BGRX},
		{[]string{"BGRA"}, BGRX},
		{[]string{"RGBX", "RGBA"}, RGBX}, // the 3.1.3 HTML5 client
		{[]string{"RGBA"}, RGBX},
		{[]string{"RGB"}, BGRX},
	} {
		if got := RGBFormatFor(tc.formats); got != tc.want {
			t.Errorf("RGBFormatFor(%v) = %s, want %s", tc.formats, got, tc.want)
		}
	}
}

// TestRGBXDraws: a client that only takes RGBX gets its draws with red
// and blue swapped and the padding byte opaque, and says so.
func TestRGBXDraws(t *testing.T) {
	p, s, _ := start(t, Config{RGBFormat: RGBX})
	p.AddWindow(1, 0x100, 20, 10)
	p.Map(1)
	d := s.next(t)
	if f := xdraw(d).Options.Str("rgb_format", ""); f != RGBX {
		t.Fatalf("rgb_format %q", f)
	}
	rc, ok := xdraw(d).Data.(wire.RawChunk)
	if !ok {
		t.Fatalf("data is %T", xdraw(d).Data)
	}
	px := make([]byte, binary.LittleEndian.Uint32(rc.Data))
	if _, err := lz4.UncompressBlock(rc.Data[4:], px); err != nil {
		t.Fatal(err)
	}
	// The fake source's BGRX pixel (9,5) is B=9 G=5 R=7 X=0.
	if i := (5*20 + 9) * 4; px[i] != 7 || px[i+1] != 5 || px[i+2] != 9 || px[i+3] != 0xff {
		t.Errorf("pixel (9,5) = %v, want [7 5 9 255]", px[i:i+4])
	}
}
