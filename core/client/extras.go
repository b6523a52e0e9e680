package client

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"slices"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/xclient"
	"github.com/xroam/xroam/core/xpra"
)

// This file shows a remote window's icon and EWMH state (fullscreen,
// maximized, above...) on its local window.

// maxIconSide bounds the icons accepted from a server.
const maxIconSide = 256

// iconEncodings are the window-icon encodings this client decodes.
func iconEncodings() []string { return []string{"png", "BGRA"} }

// stateNames are the boolean metadata keys applied as _NET_WM_STATE.
func stateNames() []string { return x11.WindowStateNames() }

// decodeWindowIcon turns a window-icon packet's image into B, G, R, A
// pixels (not premultiplied).
func decodeWindowIcon(coding string, w, h int, data []byte) (int, int, []byte, error) {
	switch coding {
	case "png":
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return 0, 0, nil, fmt.Errorf("window icon: %w", err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxIconSide || cfg.Height > maxIconSide {
			return 0, 0, nil, fmt.Errorf("window icon: %dx%d is too large", cfg.Width, cfg.Height)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return 0, 0, nil, fmt.Errorf("window icon: %w", err)
		}
		b := img.Bounds()
		out := make([]byte, 0, b.Dx()*b.Dy()*4)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				out = append(out, c.B, c.G, c.R, c.A)
			}
		}
		return b.Dx(), b.Dy(), out, nil
	case "BGRA", "premult_argb32":
		if w <= 0 || h <= 0 || w > maxIconSide || h > maxIconSide {
			return 0, 0, nil, fmt.Errorf("window icon: bad size %dx%d", w, h)
		}
		if len(data) < w*h*4 {
			return 0, 0, nil, fmt.Errorf("window icon: %d bytes for %dx%d", len(data), w, h)
		}
		out := slices.Clone(data[:w*h*4])
		if coding == "premult_argb32" {
			for i := 0; i < len(out); i += 4 {
				if a := int(out[i+3]); a > 0 && a < 255 {
					for j := range 3 {
						out[i+j] = byte(min(int(out[i+j])*255/a, 255))
					}
				}
			}
		}
		return w, h, out, nil
	case "default":
		return 0, 0, nil, errDefaultIcon
	}
	return 0, 0, nil, fmt.Errorf("window icon: unknown encoding %q", coding)
}

// errDefaultIcon says the server has no icon for the window.
var errDefaultIcon = errors.New("window icon: the default icon")

func (c *client) windowIcon(p wire.Packet) {
	icon, err := xpra.ParseWindowIcon(p)
	if err != nil {
		return
	}
	win := c.windows[icon.WID]
	if win == nil {
		return
	}
	w, h, pix, err := decodeWindowIcon(icon.Encoding, int(icon.Width), int(icon.Height), icon.Data)
	if errors.Is(err, errDefaultIcon) {
		return
	}
	if err != nil {
		c.log.Warn("attach: bad window icon", "wid", win.wid, "err", err)
		return
	}
	c.disp.SetIcon(win.local, w, h, pix)
}

// metadataStates picks the EWMH states out of metadata: every one named
// (all only when all is set, for a new window whose unset states are
// left out).
func metadataStates(meta wire.Dict, all bool) map[string]bool {
	out := map[string]bool{}
	for _, s := range stateNames() {
		if meta.Has(s) {
			out[s] = meta.Bool(s, false)
		} else if all {
			out[s] = false
		}
	}
	return out
}

// maxShapeRects bounds the rectangles of one shape kind.
const maxShapeRects = 1 << 16

// shapeRects reads a "shape" metadata rectangle list, [[x, y, w, h]...],
// offset by x0, y0; nil when the key is absent or malformed.
func shapeRects(sd wire.Dict, key string, x0, y0 int) []geom.Rect {
	l := sd.List(key)
	if len(l) == 0 || len(l) > maxShapeRects {
		return nil
	}
	out := make([]geom.Rect, 0, len(l))
	for _, v := range l {
		r, ok := wire.AsList(v)
		if !ok || len(r) != 4 {
			return nil
		}
		var n [4]int
		for i, x := range r {
			iv, ok := wire.AsInt(x)
			if !ok || iv < -32768 || iv > 32767 {
				return nil
			}
			n[i] = int(iv)
		}
		out = append(out, geom.Rect{X: n[0] + x0, Y: n[1] + y0, W: n[2], H: n[3]})
	}
	return out
}

// applyShape gives a local window the shape in meta, if meta has one.
func (c *client) applyShape(local xclient.Window, meta wire.Dict) {
	if !meta.Has("shape") {
		return
	}
	sd := meta.Dict("shape")
	if len(sd) == 0 {
		c.disp.SetShape(local, nil, nil, nil, true)
		return
	}
	x0, y0 := int(sd.Int("x", 0)), int(sd.Int("y", 0))
	c.disp.SetShape(local, shapeRects(sd, "Bounding.rectangles", x0, y0), shapeRects(sd, "Clip.rectangles", x0, y0),
		shapeRects(sd, "ShapeInput.rectangles", x0, y0), false)
}
