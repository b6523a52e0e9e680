package client

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// TestDecodeJPEG: libjpeg-turbo's pictures are Go's image/jpeg's, within
// the rounding their decoders differ by, with alpha 255; a jpeg smaller
// than the draw is padded, a larger one refused; garbage is an error.
func TestDecodeJPEG(t *testing.T) {
	const w, h = 96, 64
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) % 256), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	got, err := decodeJPEG(buf.Bytes(), w, h)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := jpeg.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := toBGRX(ref, w, h)
	var sum, worst int
	for i := range want {
		if i%4 == 3 {
			if got[i] != 255 {
				t.Fatalf("alpha %d at byte %d", got[i], i)
			}
			continue
		}
		d := int(got[i]) - int(want[i])
		d = max(d, -d)
		sum += d
		worst = max(worst, d)
	}
	if mean := float64(sum) / float64(w*h*3); mean > 1.5 || worst > 24 {
		t.Errorf("libjpeg-turbo and image/jpeg differ by %.2f on average, %d at worst", mean, worst)
	}
	// A picture smaller than the draw is padded; a larger one, whose
	// header asks for more than the draw, is refused.
	if pix, err := decodeJPEG(buf.Bytes(), 128, 80); err != nil || len(pix) != 128*80*4 {
		t.Errorf("padded: %d bytes, %v", len(pix), err)
	}
	if _, err := decodeJPEG(buf.Bytes(), 32, 16); err == nil {
		t.Error("a jpeg larger than its draw was accepted")
	}
	if _, err := decodeJPEG([]byte("not a jpeg at all"), w, h); err == nil {
		t.Error("garbage decoded")
	}
}

// BenchmarkDecodeJPEG720p decodes a 1280x720 jpeg (quality 80) into
// BGRX, with libjpeg-turbo and with Go's image/jpeg.
func BenchmarkDecodeJPEG720p(b *testing.B) {
	const w, h = 1280, 720
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x / 5), uint8(y / 3), uint8((x*y)>>8 + x%7), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.Run("libjpeg-turbo", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeJPEG(data, w, h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("image-jpeg", func(b *testing.B) {
		for b.Loop() {
			ref, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			toBGRX(ref, w, h)
		}
	})
}
