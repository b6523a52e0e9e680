package client

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/sdk/lz4block"
)

// maxPixels bounds a draw region (a 16k x 16k area), so that a malformed
// packet cannot make the client allocate without limit.
const maxPixels = 16384 * 16384

// decodedCodings returns the draw encodings this client decodes, in the
// order it prefers them.
func decodedCodings() []string {
	return []string{"rgb24", "rgb32", "png", "jpeg", "png/P", "png/L", "webp", "h264", "vp8", "vp9"}
}

// rgbFormats returns the pixel layouts accepted for rgb24/rgb32 draws;
// BGRX first since it is what X servers on little-endian machines use.
func rgbFormats() []string { return []string{"BGRX", "BGRA", "RGBX", "RGBA", "BGR", "RGB"} }

// decodeDraw decodes the data of a draw packet into a width x height BGRX
// buffer (stride width*4).
func decodeDraw(coding string, data []byte, width, height, rowstride int, opts wire.Dict) ([]byte, error) {
	if width <= 0 || height <= 0 || width > 32767 || height > 32767 || width*height > maxPixels {
		return nil, fmt.Errorf("bad draw size %dx%d", width, height)
	}
	switch coding {
	case "rgb24", "rgb32":
		return decodeRGB(coding, data, width, height, rowstride, opts)
	case "png", "png/P", "png/L":
		if err := fits(png.DecodeConfig, data, width, height); err != nil {
			return nil, fmt.Errorf("png: %w", err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("png: %w", err)
		}
		return toBGRX(img, width, height), nil
	case "webp":
		img, err := decodeWebP(data, width, height)
		if err != nil {
			return nil, fmt.Errorf("webp: %w", err)
		}
		return toBGRX(img, width, height), nil
	case "jpeg":
		return decodeJPEG(data, width, height)
	}
	return nil, fmt.Errorf("unsupported encoding %q", coding)
}

// fits reads a picture's header and refuses one larger than the draw,
// before the decoder allocates for it: the size in the header comes from
// the network.
func fits(config func(io.Reader) (image.Config, error), data []byte, width, height int) error {
	c, err := config(bytes.NewReader(data))
	if err != nil {
		return err
	}
	if c.Width > width || c.Height > height {
		return fmt.Errorf("a %dx%d picture for a %dx%d draw", c.Width, c.Height, width, height)
	}
	return nil
}

func decodeRGB(coding string, data []byte, width, height, rowstride int, opts wire.Dict) ([]byte, error) {
	format := opts.Str("rgb_format", "")
	if format == "" {
		format = "RGB"
		if coding == "rgb32" {
			format = "RGBX"
		}
	}
	bpp := 4
	switch format {
	case "BGRX", "BGRA", "RGBX", "RGBA":
	case "RGB", "BGR":
		bpp = 3
	default:
		return nil, fmt.Errorf("unsupported rgb_format %q", format)
	}
	if rowstride == 0 {
		rowstride = width * bpp
	}
	if rowstride < width*bpp || rowstride > width*bpp+4096 {
		return nil, fmt.Errorf("rowstride %d for %d pixels of %s", rowstride, width, format)
	}
	need := rowstride*(height-1) + width*bpp
	raw, err := decompressPixels(data, opts, rowstride*height)
	if err != nil {
		return nil, err
	}
	if len(raw) < need {
		return nil, fmt.Errorf("%d bytes of pixels for %dx%d %s with rowstride %d", len(raw), width, height, format, rowstride)
	}
	if (format == "BGRX" || format == "BGRA") && rowstride == width*4 {
		// Already the layout the display takes: no copy.
		return raw[:width*height*4], nil
	}
	out := make([]byte, width*height*4)
	for y := range height {
		src := raw[y*rowstride : y*rowstride+width*bpp]
		dst := out[y*width*4 : (y+1)*width*4]
		switch format {
		case "BGRX", "BGRA":
			copy(dst, src)
		case "RGBX", "RGBA":
			for i := 0; i < len(dst); i += 4 {
				dst[i], dst[i+1], dst[i+2], dst[i+3] = src[i+2], src[i+1], src[i], src[i+3]
			}
		case "BGR":
			for i, j := 0, 0; i < len(dst); i, j = i+4, j+3 {
				dst[i], dst[i+1], dst[i+2], dst[i+3] = src[j], src[j+1], src[j+2], 0xff
			}
		case "RGB":
			for i, j := 0, 0; i < len(dst); i, j = i+4, j+3 {
				dst[i], dst[i+1], dst[i+2], dst[i+3] = src[j+2], src[j+1], src[j], 0xff
			}
		}
	}
	return out, nil
}

// decompressPixels undoes the zlib or lz4 option of an rgb draw; limit is
// the most bytes the pixels can take.
func decompressPixels(data []byte, opts wire.Dict, limit int) ([]byte, error) {
	switch {
	case opts.Int("lz4", 0) > 0:
		out, err := lz4block.Decode(data, limit)
		if err != nil {
			return nil, fmt.Errorf("lz4: %w", err)
		}
		return out, nil
	case opts.Int("zlib", 0) > 0:
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("zlib: %w", err)
		}
		defer zr.Close()
		out, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
		if err != nil {
			return nil, fmt.Errorf("zlib: %w", err)
		}
		if len(out) > limit {
			return nil, fmt.Errorf("zlib: more than the %d bytes expected", limit)
		}
		return out, nil
	case opts.Int("brotli", 0) > 0 || opts.Int("lzo", 0) > 0:
		return nil, errors.New("unsupported pixel compression (brotli/lzo were not offered)")
	}
	return data, nil
}

// toBGRX converts a decoded picture to BGRX, clipped or padded (black) to
// width x height.
func toBGRX(img image.Image, width, height int) []byte {
	out := make([]byte, width*height*4)
	b := img.Bounds()
	w, h := min(b.Dx(), width), min(b.Dy(), height)
	var rgba *image.RGBA
	switch m := img.(type) {
	case *image.RGBA:
		rgba = m
	case *image.NRGBA:
		// Treat as opaque: X windows have no alpha here.
		for y := range h {
			src := m.Pix[y*m.Stride : y*m.Stride+w*4]
			dst := out[y*width*4:]
			for i := 0; i < w*4; i += 4 {
				dst[i], dst[i+1], dst[i+2], dst[i+3] = src[i+2], src[i+1], src[i], 0xff
			}
		}
		return out
	default:
		rgba = image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	}
	for y := range h {
		src := rgba.Pix[y*rgba.Stride:]
		dst := out[y*width*4:]
		for i := 0; i < w*4; i += 4 {
			dst[i], dst[i+1], dst[i+2], dst[i+3] = src[i+2], src[i+1], src[i], 0xff
		}
	}
	return out
}
