package client

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/xroam/xroam/core/wire"
)

func TestDecodeWindowIcon(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.Set(0, 0, color.NRGBA{R: 10, G: 20, B: 30, A: 255})
	img.Set(2, 1, color.NRGBA{R: 200, G: 100, B: 50, A: 128})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	w, h, pix, err := decodeWindowIcon("png", 0, 0, buf.Bytes())
	if err != nil || w != 3 || h != 2 {
		t.Fatalf("png: %dx%d, %v", w, h, err)
	}
	if got := pix[0:4]; !bytes.Equal(got, []byte{30, 20, 10, 255}) {
		t.Errorf("pixel 0,0 = % x", got)
	}
	if got := pix[20:24]; !bytes.Equal(got, []byte{50, 100, 200, 128}) {
		t.Errorf("pixel 2,1 = % x", got)
	}
	// premult_argb32 is unpremultiplied; BGRA is taken as it is.
	_, _, pm, err := decodeWindowIcon("premult_argb32", 1, 1, []byte{25, 50, 100, 128})
	if err != nil || !bytes.Equal(pm, []byte{49, 99, 199, 128}) {
		t.Errorf("premult_argb32: % x, %v", pm, err)
	}
	for _, bad := range []struct {
		coding string
		w, h   int
		data   []byte
	}{
		{"png", 0, 0, []byte("not a png")},
		{"BGRA", 2, 2, make([]byte, 15)},
		{"BGRA", 1000, 1, make([]byte, 4000)},
		{"webp", 1, 1, make([]byte, 4)},
	} {
		if _, _, _, err := decodeWindowIcon(bad.coding, bad.w, bad.h, bad.data); err == nil {
			t.Errorf("%s %dx%d: no error", bad.coding, bad.w, bad.h)
		}
	}
}

func TestMetadataStates(t *testing.T) {
	got := metadataStates(wire.Dict{"fullscreen": true, "above": false, "title": "x"}, false)
	if len(got) != 2 || !got["fullscreen"] || got["above"] {
		t.Errorf("changes: %v", got)
	}
	if all := metadataStates(wire.Dict{"sticky": true}, true); len(all) != len(stateNames()) || !all["sticky"] || all["fullscreen"] {
		t.Errorf("all: %v", all)
	}
}

func FuzzDecodeWindowIcon(f *testing.F) {
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, 2, 2)))
	f.Add("png", 2, 2, buf.Bytes())
	f.Add("BGRA", 1, 1, []byte{1, 2, 3, 4})
	f.Add("premult_argb32", 1, 1, []byte{1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, coding string, w, h int, data []byte) {
		gw, gh, pix, err := decodeWindowIcon(coding, w, h, data)
		if err != nil {
			return
		}
		if gw <= 0 || gh <= 0 || gw > maxIconSide || gh > maxIconSide || len(pix) != gw*gh*4 {
			t.Fatalf("%dx%d with %d bytes", gw, gh, len(pix))
		}
	})
}

func TestShapeRects(t *testing.T) {
	sd := wire.Dict{"Bounding.rectangles": []any{[]any{int64(1), int64(2), int64(3), int64(4)}}, "Clip.rectangles": []any{[]any{int64(1)}}}
	if r := shapeRects(sd, "Bounding.rectangles", 10, 20); len(r) != 1 || r[0].X != 11 || r[0].Y != 22 || r[0].W != 3 || r[0].H != 4 {
		t.Errorf("bounding %v", r)
	}
	if r := shapeRects(sd, "Clip.rectangles", 0, 0); r != nil {
		t.Errorf("malformed clip gave %v", r)
	}
	if r := shapeRects(sd, "ShapeInput.rectangles", 0, 0); r != nil {
		t.Errorf("absent input gave %v", r)
	}
}

func FuzzShapeRects(f *testing.F) {
	f.Add(int64(1), int64(2), int64(3), int64(4), 2)
	f.Fuzz(func(t *testing.T, x, y, w, h int64, n int) {
		n = min(max(n, 0), 100)
		l := make([]any, n)
		for i := range l {
			l[i] = []any{x, y, w, h}
		}
		r := shapeRects(wire.Dict{"k": l}, "k", 0, 0)
		if r != nil && len(r) != n {
			t.Fatalf("%d rectangles from %d", len(r), n)
		}
		for _, rc := range r {
			if rc.X < -32768 || rc.X > 32767 || rc.W > 32767 {
				t.Fatalf("out of range %v", rc)
			}
		}
	})
}

func TestParseBorder(t *testing.T) {
	for in, want := range map[string]border{
		"":             {size: 5},
		"auto,5:off":   {size: 5, auto: true},
		"red,4":        {on: true, rgb: 0xff0000, size: 4},
		"#0f0":         {on: true, rgb: 0x00ff00, size: 5},
		"#123456,2:on": {on: true, rgb: 0x123456, size: 2},
		"auto":         {on: true, auto: true, size: 5},
	} {
		got, err := parseBorder(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"red,0", "red,x", "#12345", "chartreuse-ish", "red:maybe"} {
		if _, err := parseBorder(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if a, b := autoColour("one"), autoColour("two"); a == b || a == 0 {
		t.Errorf("auto colours %06x %06x", a, b)
	}
}
