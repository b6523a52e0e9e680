package client

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
)

// cursorBGRA decodes a PNG cursor image to premultiplied BGRA, the
// layout of a RENDER ARGB32 picture on a little-endian display.
func cursorBGRA(data []byte) (w, h int, pix []byte, err error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return 0, 0, nil, fmt.Errorf("cursor png: %w", err)
	}
	b := img.Bounds()
	// image.RGBA is premultiplied, as RENDER wants.
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	pix = make([]byte, len(rgba.Pix))
	for i := 0; i+3 < len(pix); i += 4 {
		pix[i], pix[i+1], pix[i+2], pix[i+3] = rgba.Pix[i+2], rgba.Pix[i+1], rgba.Pix[i], rgba.Pix[i+3]
	}
	return b.Dx(), b.Dy(), pix, nil
}

// setCursor handles ["cursor", ""] (the default cursor) and
// ["cursor", "png", x, y, w, h, xhot, yhot, serial, pixels, name, ...].
func (c *client) setCursor(p wire.Packet) {
	var cur x11.ClientCursor
	if len(p) >= 10 && p.Str(1) == "png" {
		w, h, pix, err := cursorBGRA(p.Bytes(9))
		if err == nil {
			cur, err = c.disp.NewCursor(w, h, int(intAt(p, 6)), int(intAt(p, 7)), pix)
		}
		if err != nil {
			c.log.Debug("attach: cursor not shown", "err", err)
			cur = 0
		}
	}
	for _, win := range c.windows {
		c.disp.SetWindowCursor(win.local, cur)
	}
	c.disp.FreeCursor(c.cursor)
	c.cursor = cur
}
