package rgb

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/pierrec/lz4/v4"

	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// Version is the encoder's version.
const Version = "0.1.0"

// Plugin returns the rgb encoder plugin.
func Plugin() plugin.Encoder {
	return plugin.Encoder{Name: "rgb", Version: Version,
		Schema: schema.Schema{Attrs: []schema.Attr{
			{Name: "compressor", Type: schema.String, Default: "lz4", Help: "lz4, zlib or none"},
			{Name: "zlib_level", Type: schema.Int, Default: 1, Help: "zlib level 1-9"},
		}},
		New: func(_ context.Context, cfg schema.Values) (encoder.Encoder, error) {
			c := cfg.String("compressor")
			lvl := int(cfg.Int("zlib_level"))
			switch c {
			case "lz4", "none":
			case "zlib":
				if lvl < 1 || lvl > 9 {
					return nil, fmt.Errorf("rgb: zlib_level %d is not in 1..9", lvl)
				}
			default:
				return nil, fmt.Errorf("rgb: unknown compressor %q (lz4, zlib or none)", c)
			}
			return &rgbEncoder{compressor: c, level: lvl}, nil
		}}
}

type rgbEncoder struct {
	compressor string
	level      int
}

func (e *rgbEncoder) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: []string{"rgb24", "rgb32"}, PixelFormats: []string{"BGRX", "BGRA"}}, nil
}

func (e *rgbEncoder) Encode(_ context.Context, req *encoder.Request) (*encoder.Response, error) {
	f := req.Frame
	if f.Format != "BGRX" && f.Format != "BGRA" {
		return nil, fmt.Errorf("rgb: pixel format %q not supported", f.Format)
	}
	if f.Width <= 0 || f.Height <= 0 || f.Stride < f.Width*4 || len(f.Pixels) < f.Stride*(f.Height-1)+f.Width*4 {
		return nil, fmt.Errorf("rgb: frame %dx%d stride %d does not fit %d bytes", f.Width, f.Height, f.Stride, len(f.Pixels))
	}
	var raw []byte
	var format string
	var rowstride int
	switch req.Encoding {
	case "rgb32", "rgb":
		format, rowstride = f.Format, f.Width*4
		raw = make([]byte, rowstride*f.Height)
		for y := 0; y < f.Height; y++ {
			copy(raw[y*rowstride:(y+1)*rowstride], f.Pixels[y*f.Stride:])
		}
	case "rgb24":
		format, rowstride = "BGR", f.Width*3
		raw = make([]byte, rowstride*f.Height)
		for y := 0; y < f.Height; y++ {
			src := f.Pixels[y*f.Stride : y*f.Stride+f.Width*4]
			dst := raw[y*rowstride : (y+1)*rowstride]
			for x, d := 0, 0; x < len(src); x, d = x+4, d+3 {
				dst[d], dst[d+1], dst[d+2] = src[x], src[x+1], src[x+2]
			}
		}
	default:
		return nil, fmt.Errorf("rgb: encoding %q not supported", req.Encoding)
	}
	enc := req.Encoding
	if enc == "rgb" {
		enc = "rgb32"
	}
	opts := map[string]any{"rgb_format": format, "rowstride": int64(rowstride)}
	data := raw
	switch e.compressor {
	case "lz4":
		out := make([]byte, 4+lz4.CompressBlockBound(len(raw)))
		binary.LittleEndian.PutUint32(out, uint32(len(raw)))
		var c lz4.Compressor
		n, err := c.CompressBlock(raw, out[4:])
		if err != nil {
			return nil, fmt.Errorf("rgb: lz4: %w", err)
		}
		if n > 0 {
			data = out[:4+n]
			opts["lz4"] = int64(1)
		}
	case "zlib":
		var b bytes.Buffer
		w, err := zlib.NewWriterLevel(&b, e.level)
		if err != nil {
			return nil, fmt.Errorf("rgb: zlib: %w", err)
		}
		if _, err := w.Write(raw); err != nil {
			return nil, fmt.Errorf("rgb: zlib: %w", err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("rgb: zlib: %w", err)
		}
		data = b.Bytes()
		opts["zlib"] = int64(e.level)
	}
	return &encoder.Response{Encoding: enc, Data: data, Width: f.Width, Height: f.Height, Options: opts}, nil
}
