package png

import (
	"bytes"
	"fmt"
	"image"
	"image/color"

	"github.com/xroam/xroam/sdk/encoder"
)

// palette332 is the fixed 256-colour palette of png/P: 3 bits of red,
// 3 of green and 2 of blue. A fixed palette maps each pixel with a few
// shifts (no search, no per-frame palette), which keeps png/P about as
// fast as png while the file holds one byte per pixel.
func palette332() color.Palette {
	p := make(color.Palette, 256)
	for i := range p {
		r, g, b := i>>5, (i>>2)&7, i&3
		p[i] = color.RGBA{R: uint8(r * 255 / 7), G: uint8(g * 255 / 7), B: uint8(b * 255 / 3), A: 0xff}
	}
	return p
}

// index332 is the palette332 entry nearest to (r, g, b), channel by channel.
func index332(r, g, b byte) byte {
	ri := (int(r)*7 + 127) / 255
	gi := (int(g)*7 + 127) / 255
	bi := (int(b)*3 + 127) / 255
	return byte(ri<<5 | gi<<2 | bi)
}

// encode8 writes the frame as an 8-bit PNG: "png/P" with the 3-3-2
// palette, "png/L" as grayscale (ITU-R BT.601 luma). Both drop alpha.
// f has been checked by Encode.
func (e *pngEncoder) encode8(enc string, f encoder.Frame) (*encoder.Response, error) {
	n := f.Width * f.Height
	if cap(e.pix) < n {
		e.pix = make([]byte, n)
	}
	pix := e.pix[:n]
	for y := 0; y < f.Height; y++ {
		src := f.Pixels[y*f.Stride : y*f.Stride+f.Width*4]
		dst := pix[y*f.Width : (y+1)*f.Width]
		for x := range dst {
			b, g, r := src[4*x], src[4*x+1], src[4*x+2]
			if enc == "png/L" {
				dst[x] = byte((299*int(r) + 587*int(g) + 114*int(b) + 500) / 1000)
			} else {
				dst[x] = index332(r, g, b)
			}
		}
	}
	rect := image.Rect(0, 0, f.Width, f.Height)
	var img image.Image
	if enc == "png/L" {
		img = &image.Gray{Pix: pix, Stride: f.Width, Rect: rect}
	} else {
		if e.pal == nil {
			e.pal = palette332()
		}
		img = &image.Paletted{Pix: pix, Stride: f.Width, Rect: rect, Palette: e.pal}
	}
	e.out.Reset()
	if err := e.enc.Encode(&e.out, img); err != nil {
		return nil, fmt.Errorf("%s: %w", enc, err)
	}
	return &encoder.Response{Encoding: enc, Data: bytes.Clone(e.out.Bytes()), Width: f.Width, Height: f.Height,
		Options: map[string]any{}}, nil
}
