package webp

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"sync"

	"github.com/gen2brain/webp"

	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// Version is the encoder's version.
const Version = "0.1.0"

// DefaultQuality is the lossy quality when neither the request nor the
// configuration sets one.
const DefaultQuality = 80

// encodings are what the plugin serves, as its description and Info
// list them.
func encodings() []string { return []string{"webp"} }

// Plugin returns the webp encoder plugin.
func Plugin() plugin.Encoder {
	return plugin.Encoder{Name: "webp", Version: Version, Encodings: encodings(),
		Schema: schema.Schema{Attrs: []schema.Attr{
			{Name: "quality", Type: schema.Int, Default: DefaultQuality, Help: "lossy quality 1-99 when the request has none (100: lossless)"},
			{Name: "lossless", Type: schema.Bool, Default: false, Help: "always encode losslessly"},
			{Name: "method", Type: schema.Int, Default: 0, Help: "libwebp's effort, 0 (fastest) to 6 (smallest)"},
		}},
		New: func(_ context.Context, cfg schema.Values) (encoder.Encoder, error) {
			q, m := int(cfg.Int("quality")), int(cfg.Int("method"))
			if q < 1 || q > 100 {
				return nil, fmt.Errorf("webp: quality %d is not in 1..100", q)
			}
			if m < 0 || m > 6 {
				return nil, fmt.Errorf("webp: method %d is not in 0..6", m)
			}
			return &webpEncoder{quality: q, method: m, lossless: cfg.Bool("lossless")}, nil
		}}
}

type webpEncoder struct {
	quality, method int
	lossless        bool

	mu  sync.Mutex
	out bytes.Buffer
	// pix is the NRGBA copy of the last frame, reused.
	pix []byte
}

func (e *webpEncoder) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: encodings(), PixelFormats: []string{"BGRX", "BGRA"}}, nil
}

// Encode writes the frame as a WebP picture. BGRX frames are opaque; BGRA
// frames keep their alpha. The draw's "quality" option says what was
// used (100: lossless), "speed" the effort (100: libwebp's fastest).
func (e *webpEncoder) Encode(_ context.Context, req *encoder.Request) (*encoder.Response, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := req.Frame
	if req.Encoding != "webp" {
		return nil, fmt.Errorf("webp: encoding %q not supported", req.Encoding)
	}
	if f.Format != "BGRX" && f.Format != "BGRA" {
		return nil, fmt.Errorf("webp: pixel format %q not supported", f.Format)
	}
	// WebP's own limit is 16383 pixels a side.
	if f.Width <= 0 || f.Height <= 0 || f.Width > 16383 || f.Height > 16383 || f.Stride < f.Width*4 ||
		len(f.Pixels) < f.Stride*(f.Height-1)+f.Width*4 {
		return nil, fmt.Errorf("webp: frame %dx%d stride %d does not fit %d bytes", f.Width, f.Height, f.Stride, len(f.Pixels))
	}
	q := e.quality
	if req.Quality > 0 {
		q = min(req.Quality, 100)
	}
	lossless := e.lossless || q >= 100
	// Speed 100 is libwebp's fastest method (0), speed 1 its slowest (6).
	method := e.method
	if req.Speed > 0 {
		method = 6 - min(req.Speed, 100)*6/100
	}
	alpha := f.Format == "BGRA"
	n := f.Width * f.Height * 4
	if cap(e.pix) < n {
		e.pix = make([]byte, n)
	}
	pix := e.pix[:n]
	for y := 0; y < f.Height; y++ {
		src := f.Pixels[y*f.Stride : y*f.Stride+f.Width*4]
		dst := pix[y*f.Width*4 : (y+1)*f.Width*4]
		for x := 0; x < len(src); x += 4 {
			dst[x], dst[x+1], dst[x+2], dst[x+3] = src[x+2], src[x+1], src[x], 0xff
			if alpha {
				dst[x+3] = src[x+3]
			}
		}
	}
	img := &image.NRGBA{Pix: pix, Stride: f.Width * 4, Rect: image.Rect(0, 0, f.Width, f.Height)}
	e.out.Reset()
	// Exact keeps the colour of fully transparent pixels, which X
	// windows without alpha still show.
	if err := webp.Encode(&e.out, img, webp.Options{Quality: q, Lossless: lossless, Method: method, Exact: true}); err != nil {
		return nil, fmt.Errorf("webp: %w", err)
	}
	if lossless {
		q = 100
	}
	return &encoder.Response{Encoding: "webp", Data: bytes.Clone(e.out.Bytes()), Width: f.Width, Height: f.Height,
		Options: map[string]any{"quality": int64(q), "speed": int64(100 - method*100/6)}}, nil
}
