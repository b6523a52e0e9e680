package client

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11/xclient"
	"github.com/xroam/xroam/core/xpra"
)

// cursorBGRA decodes a PNG cursor image to premultiplied BGRA, the
// layout of a RENDER ARGB32 picture on a little-endian display.
func cursorBGRA(data []byte) (w, h int, pix []byte, err error) {
	// The header first: a server's png may say it is huge.
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, nil, fmt.Errorf("cursor png: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxCursorSide || cfg.Height > maxCursorSide {
		return 0, 0, nil, fmt.Errorf("cursor png of %dx%d", cfg.Width, cfg.Height)
	}
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

// maxCursorSide bounds the cursor images taken from a server.
const maxCursorSide = 512

// setCursor handles the default cursor, png cursors and raw ones:
// premultiplied BGRA pixels, as XFixes gives them to xroam's and xpra's
// servers.
func (c *client) setCursor(p wire.Packet) {
	var cur xclient.Cursor
	if pc, err := xpra.ParseCursor(p); err == nil && pc.Encoding != "" {
		w, h, pix, err := cursorImage(pc)
		if err == nil {
			cur, err = c.disp.NewCursor(w, h, int(pc.XHot), int(pc.YHot), pix)
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

// cursorImage decodes the image of a png or raw cursor packet.
func cursorImage(p xpra.Cursor) (w, h int, pix []byte, err error) {
	if p.Encoding == xpra.CursorPNG {
		return cursorBGRA(p.Pixels)
	}
	w, h, pix = int(p.Width), int(p.Height), p.Pixels
	if w <= 0 || h <= 0 || w > maxCursorSide || h > maxCursorSide {
		return 0, 0, nil, fmt.Errorf("raw cursor of %dx%d", w, h)
	}
	if len(pix) != w*h*4 {
		return 0, 0, nil, fmt.Errorf("raw cursor of %dx%d with %d bytes", w, h, len(pix))
	}
	return w, h, pix, nil
}
