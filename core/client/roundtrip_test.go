package client

import (
	"context"
	"math"
	"testing"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/plugins/encoders/modules/jpeg"
	"github.com/xroam/xroam/plugins/encoders/modules/png"
	"github.com/xroam/xroam/plugins/encoders/modules/webp"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
)

// newEncoder builds a server-side encoder module with its defaults.
func newEncoder(t *testing.T, p plugin.Encoder) encoder.Encoder {
	t.Helper()
	vals, err := p.Schema.Check(map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.New(context.Background(), vals)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// gradientFrame is a BGRX frame of smooth gradients with a padded stride.
func gradientFrame(w, h int) encoder.Frame {
	stride := w*4 + 32
	pix := make([]byte, stride*h)
	for y := range h {
		for x := range w {
			o := y*stride + x*4
			pix[o] = byte(128 + 100*math.Sin(float64(x)/23))
			pix[o+1] = byte(y * 255 / h)
			pix[o+2] = byte(x * 255 / w)
			pix[o+3] = 0
		}
	}
	return encoder.Frame{Width: w, Height: h, Stride: stride, Format: "BGRX", Pixels: pix}
}

// psnrBGRX compares decoded BGRX pixels with want, over B, G and R.
func psnrBGRX(got, want []byte) float64 {
	var se float64
	for i := 0; i < len(got); i += 4 {
		for c := range 3 {
			d := float64(got[i+c]) - float64(want[i+c])
			se += d * d
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(3*len(got)/4)))
}

// TestEncoderRoundTrip encodes a known picture with each server-side
// encoder and decodes it as the client decodes a draw: lossless
// encodings must give back the exact pixels (png/L the exact luma), the
// others stay above a PSNR bound.
func TestEncoderRoundTrip(t *testing.T) {
	const w, h = 203, 117
	f := gradientFrame(w, h)
	want := make([]byte, 0, w*h*4)
	luma := make([]byte, 0, w*h*4)
	for y := range h {
		row := f.Pixels[y*f.Stride : y*f.Stride+w*4]
		want = append(want, row...)
		for x := 0; x < len(row); x += 4 {
			l := byte((299*int(row[x+2]) + 587*int(row[x+1]) + 114*int(row[x]) + 500) / 1000)
			luma = append(luma, l, l, l, 0)
		}
	}
	pngEnc, jpegEnc, webpEnc := newEncoder(t, png.Plugin()), newEncoder(t, jpeg.Plugin()), newEncoder(t, webp.Plugin())
	for _, c := range []struct {
		name, encoding string
		enc            encoder.Encoder
		quality        int
		want           []byte
		minPSNR        float64 // +Inf: exact
	}{
		{"png", "png", pngEnc, -1, want, math.Inf(1)},
		{"png/L", "png/L", pngEnc, -1, luma, math.Inf(1)},
		// The fixed 3-3-2 palette is off by up to half a step per
		// channel (18 for red and green, 43 for blue) on gradients.
		{"png/P", "png/P", pngEnc, -1, want, 20},
		{"jpeg", "jpeg", jpegEnc, -1, want, 30},
		{"webp-lossy", "webp", webpEnc, -1, want, 35},
		{"webp-lossless", "webp", webpEnc, 100, want, math.Inf(1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := c.enc.Encode(context.Background(), &encoder.Request{Encoding: c.encoding, Frame: f, Quality: c.quality, Speed: -1})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Encoding != c.encoding || resp.Width != w || resp.Height != h {
				t.Fatalf("response %s %dx%d", resp.Encoding, resp.Width, resp.Height)
			}
			got, err := decodeDraw(resp.Encoding, resp.Data, w, h, 0, wire.Dict{})
			if err != nil {
				t.Fatal(err)
			}
			p := psnrBGRX(got, c.want)
			if math.IsInf(c.minPSNR, 1) {
				sameColours(t, got, c.want)
			} else if p < c.minPSNR {
				t.Errorf("PSNR %.1f dB, want at least %.1f", p, c.minPSNR)
			}
			t.Logf("%s: %d bytes, PSNR %.1f dB", c.name, len(resp.Data), p)
		})
	}
}

// FuzzDecodeDraw feeds network bytes to the client's draw decoder: it
// must return an error or a picture of the asked size, never panic.
func FuzzDecodeDraw(f *testing.F) {
	pngEnc := newEncoderF(f, png.Plugin())
	fr := gradientFrame(16, 9)
	for _, enc := range []string{"png", "png/P", "png/L"} {
		r, err := pngEnc.Encode(context.Background(), &encoder.Request{Encoding: enc, Frame: fr})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc, r.Data, 16, 9)
	}
	webpEnc := newEncoderF(f, webp.Plugin())
	for _, q := range []int{50, 100} {
		r, err := webpEnc.Encode(context.Background(), &encoder.Request{Encoding: "webp", Frame: fr, Quality: q})
		if err != nil {
			f.Fatal(err)
		}
		f.Add("webp", r.Data, 16, 9)
	}
	f.Add("rgb24", []byte{1, 2, 3}, 1, 1)
	f.Fuzz(func(t *testing.T, coding string, data []byte, w, h int) {
		if w > 512 || h > 512 {
			return
		}
		out, err := decodeDraw(coding, data, w, h, 0, wire.Dict{})
		if err == nil && len(out) != w*h*4 {
			t.Fatalf("%s: %d bytes for %dx%d", coding, len(out), w, h)
		}
	})
}

func newEncoderF(f *testing.F, p plugin.Encoder) encoder.Encoder {
	vals, err := p.Schema.Check(map[string]any{})
	if err != nil {
		f.Fatal(err)
	}
	e, err := p.New(context.Background(), vals)
	if err != nil {
		f.Fatal(err)
	}
	return e
}
