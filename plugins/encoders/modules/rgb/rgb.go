package rgb

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"sync"

	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/lz4block"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// Version is the encoder's version.
const Version = "0.1.0"

// encodings are what the plugin serves, as its description and Info
// list them.
func encodings() []string { return []string{"rgb24", "rgb32"} }

// Plugin returns the rgb encoder plugin.
func Plugin() plugin.Encoder {
	return plugin.Encoder{Name: "rgb", Version: Version, Encodings: encodings(),
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
	// raws holds *[]byte scratch rows for a compressor's input, outs
	// *[]byte for lz4's output when no output is lent, lz4s
	// *lz4block.Compressor and zlibs *zlib.Writer: a frame's worth of fresh
	// memory per call costs more than lz4 itself at 1080p.
	raws, outs, lz4s, zlibs sync.Pool
}

// scratch returns n bytes to build raw rows in: the lent output when they
// are the output, else a pooled buffer (put back by the caller).
func (e *rgbEncoder) scratch(n int, out []byte) ([]byte, *[]byte) {
	if e.compressor == "none" {
		if cap(out) >= n {
			return out[:n], nil
		}
		return make([]byte, n), nil
	}
	return e.buffer(&e.raws, n)
}

// buffer returns n bytes from pool, and the pointer to put back.
func (e *rgbEncoder) buffer(pool *sync.Pool, n int) ([]byte, *[]byte) {
	p, _ := pool.Get().(*[]byte)
	if p == nil || cap(*p) < n {
		b := make([]byte, n)
		p = &b
	}
	return (*p)[:n], p
}

func (e *rgbEncoder) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: encodings(), PixelFormats: []string{"BGRX", "BGRA"}}, nil
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
	var pooled *[]byte
	var format string
	var rowstride int
	switch req.Encoding {
	case "rgb32", "rgb":
		format, rowstride = f.Format, f.Width*4
		raw, pooled = e.scratch(rowstride*f.Height, req.Output)
		for y := 0; y < f.Height; y++ {
			copy(raw[y*rowstride:(y+1)*rowstride], f.Pixels[y*f.Stride:])
		}
	case "rgb24":
		format, rowstride = "BGR", f.Width*3
		raw, pooled = e.scratch(rowstride*f.Height, req.Output)
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
	if pooled != nil {
		defer e.raws.Put(pooled)
	}
	enc := req.Encoding
	if enc == "rgb" {
		enc = "rgb32"
	}
	opts := map[string]any{"rgb_format": format, "rowstride": int64(rowstride)}
	data := raw
	switch e.compressor {
	case "lz4":
		// Into the lent output, or else a pooled buffer the output is
		// copied out of: the bound is far larger than a typical output.
		out := req.Output[:0]
		var spare *[]byte
		if need := lz4block.Bound(len(raw)); cap(out) < need {
			out, spare = e.buffer(&e.outs, need)
			out = out[:0]
			defer e.outs.Put(spare)
		}
		c, _ := e.lz4s.Get().(*lz4block.Compressor)
		if c == nil {
			c = new(lz4block.Compressor)
		}
		var err error
		data, err = c.Append(out, raw)
		e.lz4s.Put(c)
		if err != nil {
			return nil, fmt.Errorf("rgb: lz4: %w", err)
		}
		if spare != nil {
			data = bytes.Clone(data)
		}
		opts["lz4"] = int64(1)
	case "zlib":
		// Written straight into the lent output while it fits.
		b := bytes.NewBuffer(req.Output[:0])
		w, _ := e.zlibs.Get().(*zlib.Writer)
		if w == nil {
			var err error
			if w, err = zlib.NewWriterLevel(b, e.level); err != nil {
				return nil, fmt.Errorf("rgb: zlib: %w", err)
			}
		} else {
			w.Reset(b)
		}
		defer e.zlibs.Put(w)
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
