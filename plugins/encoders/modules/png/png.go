package png

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"

	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// Version is the encoder's version.
const Version = "0.1.0"

// encodings are what the plugin serves, as its description and Info
// list them.
func encodings() []string { return []string{"png", "png/P", "png/L"} }

// Plugin returns the png encoder plugin.
func Plugin() plugin.Encoder {
	return plugin.Encoder{Name: "png", Version: Version, Encodings: encodings(),
		Schema: schema.Schema{Attrs: []schema.Attr{
			{Name: "compression", Type: schema.String, Default: "speed", Help: "speed, default or best"},
		}},
		New: func(_ context.Context, cfg schema.Values) (encoder.Encoder, error) {
			var lvl png.CompressionLevel
			switch c := cfg.String("compression"); c {
			case "speed":
				lvl = png.BestSpeed
			case "default":
				lvl = png.DefaultCompression
			case "best":
				lvl = png.BestCompression
			default:
				return nil, fmt.Errorf("png: unknown compression %q (speed, default or best)", c)
			}
			return &pngEncoder{enc: png.Encoder{CompressionLevel: lvl, BufferPool: &pool{}}}, nil
		}}
}

// pool keeps image/png's encoder buffers from one frame to the next.
type pool struct{ b *png.EncoderBuffer }

func (p *pool) Get() *png.EncoderBuffer  { b := p.b; p.b = nil; return b }
func (p *pool) Put(b *png.EncoderBuffer) { p.b = b }

type pngEncoder struct {
	mu  sync.Mutex
	enc png.Encoder
	out bytes.Buffer
	// pix is the RGB(A) copy of the last frame, reused.
	pix []byte
	// pal is png/P's palette, made on first use.
	pal color.Palette
}

func (e *pngEncoder) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: encodings(), PixelFormats: []string{"BGRX", "BGRA"}}, nil
}

// Encode writes the frame as a PNG file. BGRX frames become opaque RGB
// images; BGRA frames keep their alpha (the option "alpha" = false drops it).
func (e *pngEncoder) Encode(_ context.Context, req *encoder.Request) (*encoder.Response, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := req.Frame
	switch req.Encoding {
	case "png", "png/P", "png/L":
	default:
		return nil, fmt.Errorf("png: encoding %q not supported", req.Encoding)
	}
	if f.Format != "BGRX" && f.Format != "BGRA" {
		return nil, fmt.Errorf("png: pixel format %q not supported", f.Format)
	}
	if f.Width <= 0 || f.Height <= 0 || f.Stride < f.Width*4 || len(f.Pixels) < f.Stride*(f.Height-1)+f.Width*4 {
		return nil, fmt.Errorf("png: frame %dx%d stride %d does not fit %d bytes", f.Width, f.Height, f.Stride, len(f.Pixels))
	}
	if req.Encoding != "png" {
		return e.encode8(req.Encoding, f)
	}
	alpha := f.Format == "BGRA"
	if v, ok := req.Options["alpha"].(bool); ok && !v {
		alpha = false
	}
	n := f.Width * f.Height * 4
	if cap(e.pix) < n {
		e.pix = make([]byte, n)
	}
	pix := e.pix[:n]
	for y := 0; y < f.Height; y++ {
		src := f.Pixels[y*f.Stride : y*f.Stride+f.Width*4]
		dst := pix[y*f.Width*4 : (y+1)*f.Width*4]
		for x := 0; x < len(src); x += 4 {
			dst[x], dst[x+1], dst[x+2] = src[x+2], src[x+1], src[x]
			if alpha {
				dst[x+3] = src[x+3]
			} else {
				dst[x+3] = 0xff
			}
		}
	}
	// An image.RGBA whose alpha is all 0xff is opaque: image/png then
	// writes an RGB file, which is smaller and what xpra clients expect.
	// With alpha the pixels are not premultiplied: NRGBA says so.
	var img image.Image
	rect := image.Rect(0, 0, f.Width, f.Height)
	if alpha {
		img = &image.NRGBA{Pix: pix, Stride: f.Width * 4, Rect: rect}
	} else {
		img = &image.RGBA{Pix: pix, Stride: f.Width * 4, Rect: rect}
	}
	e.out.Reset()
	if err := e.enc.Encode(&e.out, img); err != nil {
		return nil, fmt.Errorf("png: %w", err)
	}
	return &encoder.Response{Encoding: "png", Data: bytes.Clone(e.out.Bytes()), Width: f.Width, Height: f.Height,
		Options: map[string]any{}}, nil
}
