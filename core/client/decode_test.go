package client

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/pierrec/lz4/v4"

	"github.com/xroam/xroam/core/wire"
)

// testPixel is the colour of pixel (x, y) of the test pictures.
func testPixel(x, y int) (r, g, b byte) { return byte(x * 7), byte(y * 13), byte(x*y + 5) }

// wantBGRX is the decoded form of the test picture.
func wantBGRX(w, h int) []byte {
	out := make([]byte, 0, w*h*4)
	for y := range h {
		for x := range w {
			r, g, b := testPixel(x, y)
			out = append(out, b, g, r, 0)
		}
	}
	return out
}

// rawPixels lays out the test picture in an xpra rgb_format with padding
// at the end of each row.
func rawPixels(format string, w, h, pad int) ([]byte, int) {
	bpp := 4
	if len(format) == 3 {
		bpp = 3
	}
	stride := w*bpp + pad
	buf := make([]byte, stride*h)
	for y := range h {
		for x := range w {
			r, g, b := testPixel(x, y)
			p := buf[y*stride+x*bpp:]
			for i, ch := range format {
				switch ch {
				case 'R':
					p[i] = r
				case 'G':
					p[i] = g
				case 'B':
					p[i] = b
				default:
					p[i] = 0xee
				}
			}
		}
	}
	return buf, stride
}

// sameColours compares BGRX buffers ignoring the fourth byte.
func sameColours(t *testing.T, got, want []byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d bytes, want %d", len(got), len(want))
	}
	for i := 0; i < len(got); i += 4 {
		if !bytes.Equal(got[i:i+3], want[i:i+3]) {
			t.Fatalf("pixel %d: got %v, want %v", i/4, got[i:i+3], want[i:i+3])
		}
	}
}

func zlibBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func lz4Bytes(t testing.TB, b []byte) []byte {
	t.Helper()
	out := make([]byte, 4+lz4.CompressBlockBound(len(b)))
	binary.LittleEndian.PutUint32(out, uint32(len(b)))
	var c lz4.Compressor
	n, err := c.CompressBlock(b, out[4:])
	if err != nil || n == 0 {
		t.Fatalf("lz4: %d, %v", n, err)
	}
	return out[:4+n]
}

func TestDecodeRGB(t *testing.T) {
	const w, h = 13, 7
	want := wantBGRX(w, h)
	for _, coding := range []string{"rgb24", "rgb32"} {
		for _, format := range []string{"BGRX", "BGRA", "RGBX", "RGBA", "RGB", "BGR"} {
			for _, pad := range []int{0, 3, 12} {
				for _, comp := range []string{"none", "zlib", "lz4"} {
					raw, stride := rawPixels(format, w, h, pad)
					opts := wire.Dict{"rgb_format": format}
					data := raw
					switch comp {
					case "zlib":
						data, opts["zlib"] = zlibBytes(raw), int64(1)
					case "lz4":
						data, opts["lz4"] = lz4Bytes(t, raw), int64(1)
					}
					rowstride := stride
					if pad == 0 {
						rowstride = 0 // "width * bytes per pixel"
					}
					got, err := decodeDraw(coding, data, w, h, rowstride, opts)
					if err != nil {
						t.Fatalf("%s %s pad %d %s: %v", coding, format, pad, comp, err)
					}
					sameColours(t, got, want)
				}
			}
		}
	}
}

func TestDecodeRGBDefaultFormat(t *testing.T) {
	const w, h = 4, 3
	raw, _ := rawPixels("RGB", w, h, 0)
	got, err := decodeDraw("rgb24", raw, w, h, 0, wire.Dict{})
	if err != nil {
		t.Fatal(err)
	}
	sameColours(t, got, wantBGRX(w, h))
	raw, _ = rawPixels("RGBX", w, h, 0)
	if got, err = decodeDraw("rgb32", raw, w, h, 0, wire.Dict{}); err != nil {
		t.Fatal(err)
	}
	sameColours(t, got, wantBGRX(w, h))
}

func TestDecodePNG(t *testing.T) {
	const w, h = 17, 9
	for _, alpha := range []bool{false, true} {
		var img image.Image
		if alpha {
			m := image.NewNRGBA(image.Rect(0, 0, w, h))
			for y := range h {
				for x := range w {
					r, g, b := testPixel(x, y)
					m.Set(x, y, color.NRGBA{r, g, b, 0xff})
				}
			}
			img = m
		} else {
			m := image.NewRGBA(image.Rect(0, 0, w, h))
			for y := range h {
				for x := range w {
					r, g, b := testPixel(x, y)
					m.Set(x, y, color.RGBA{r, g, b, 0xff})
				}
			}
			img = m
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		got, err := decodeDraw("png", buf.Bytes(), w, h, 0, wire.Dict{})
		if err != nil {
			t.Fatal(err)
		}
		sameColours(t, got, wantBGRX(w, h))
	}
}

func TestDecodeErrors(t *testing.T) {
	raw, _ := rawPixels("BGRX", 4, 4, 0)
	cases := []struct {
		name   string
		coding string
		data   []byte
		w, h   int
		stride int
		opts   wire.Dict
	}{
		{"short", "rgb32", raw[:20], 4, 4, 0, wire.Dict{"rgb_format": "BGRX"}},
		{"zero size", "rgb32", raw, 0, 4, 0, wire.Dict{}},
		{"huge", "rgb32", raw, 30000, 30000, 0, wire.Dict{}},
		{"small stride", "rgb32", raw, 4, 4, 8, wire.Dict{"rgb_format": "BGRX"}},
		{"bad format", "rgb32", raw, 4, 4, 0, wire.Dict{"rgb_format": "r210"}},
		{"bad zlib", "rgb32", raw, 4, 4, 0, wire.Dict{"zlib": int64(1)}},
		{"bad lz4", "rgb32", []byte{64, 0, 0, 0, 0xff, 0xff}, 4, 4, 0, wire.Dict{"lz4": int64(1)}},
		{"lz4 bomb", "rgb32", []byte{0xff, 0xff, 0xff, 0x7f, 0}, 4, 4, 0, wire.Dict{"lz4": int64(1)}},
		{"zlib bomb", "rgb32", zlibBytes(make([]byte, 1<<20)), 4, 4, 0, wire.Dict{"zlib": int64(1)}},
		{"brotli", "rgb32", raw, 4, 4, 0, wire.Dict{"brotli": int64(1)}},
		{"bad png", "png", raw, 4, 4, 0, wire.Dict{}},
		{"bad jpeg", "jpeg", raw, 4, 4, 0, wire.Dict{}},
		{"webp", "webp", raw, 4, 4, 0, wire.Dict{}},
	}
	for _, c := range cases {
		if _, err := decodeDraw(c.coding, c.data, c.w, c.h, c.stride, c.opts); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// BenchmarkDecode1280x720 is the decoding half of
// BenchmarkDecodePaint1280x720: an lz4 BGRX rgb32 frame to BGRX.
func BenchmarkDecode1280x720(b *testing.B) {
	const w, h = 1280, 720
	raw, stride := rawPixels("BGRX", w, h, 0)
	data := lz4Bytes(b, raw)
	opts := wire.Dict{"rgb_format": "BGRX", "lz4": int64(1)}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := decodeDraw("rgb32", data, w, h, stride, opts); err != nil {
			b.Fatal(err)
		}
	}
}
