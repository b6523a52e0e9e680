package client

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/xroam/xroam/core/geom"
)

// border is --border=COLOR[,SIZE][:off]: a frame of SIZE pixels drawn
// inside every remote window, so that remote windows stand out from
// local ones.
type border struct {
	on   bool
	auto bool   // the colour comes from the server's identity
	rgb  uint32 // 0xRRGGBB
	size int
}

// borderColours are the colour names --border accepts besides #RGB and
// #RRGGBB.
func borderColours() map[string]uint32 {
	return map[string]uint32{
		"red": 0xff0000, "green": 0x00ff00, "blue": 0x0000ff, "black": 0x000000, "white": 0xffffff,
		"yellow": 0xffff00, "cyan": 0x00ffff, "magenta": 0xff00ff, "gray": 0x808080, "grey": 0x808080,
		"orange": 0xffa500, "purple": 0x800080,
	}
}

// parseBorder reads --border; "" and "no"/"off"/"none" are no border.
func parseBorder(s string) (border, error) {
	b := border{size: 5}
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "no", "off", "none", "false", "0":
		return b, nil
	}
	b.on = true
	if spec, state, ok := strings.Cut(s, ":"); ok {
		s = spec
		switch strings.ToLower(state) {
		case "off", "no":
			b.on = false
		case "on", "yes":
		default:
			return b, fmt.Errorf("--border: %q: the part after ':' must be on or off", state)
		}
	}
	col, size, hasSize := strings.Cut(s, ",")
	if hasSize {
		n, err := strconv.Atoi(strings.TrimSpace(size))
		if err != nil || n < 1 || n > 100 {
			return b, fmt.Errorf("--border: size %q: want 1 to 100 pixels", size)
		}
		b.size = n
	}
	col = strings.ToLower(strings.TrimSpace(col))
	switch {
	case col == "auto" || col == "":
		b.auto = true
	case strings.HasPrefix(col, "#"):
		h := col[1:]
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		v, err := strconv.ParseUint(h, 16, 32)
		if err != nil || len(h) != 6 {
			return b, fmt.Errorf("--border: colour %q: want #RGB, #RRGGBB or a name", col)
		}
		b.rgb = uint32(v)
	default:
		v, ok := borderColours()[col]
		if !ok {
			return b, fmt.Errorf("--border: unknown colour %q", col)
		}
		b.rgb = v
	}
	return b, nil
}

// autoColour is a bright colour derived from the server's identity, the
// same for every window of a session and different between sessions.
func autoColour(id string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	v := h.Sum32()
	// Keep one channel high so that the colour is never dark.
	r, g, b := v>>16&0xff, v>>8&0xff, v&0xff
	switch v % 3 {
	case 0:
		r = 0xff
	case 1:
		g = 0xff
	default:
		b = 0xff
	}
	return r<<16 | g<<8 | b
}

// drawBorder paints the border of a window over its edges.
func (c *client) drawBorder(win *window) {
	b := c.border
	if !b.on || win.or {
		return
	}
	rgb := b.rgb
	if b.auto {
		rgb = autoColour(c.server.Str("uuid", "") + c.server.Str("hostname", ""))
	}
	s := min(b.size, win.w/2, win.h/2)
	if s <= 0 {
		return
	}
	c.disp.Fill(win.local, rgb, []geom.Rect{
		{X: 0, Y: 0, W: win.w, H: s},
		{X: 0, Y: win.h - s, W: win.w, H: s},
		{X: 0, Y: s, W: s, H: win.h - 2*s},
		{X: win.w - s, Y: s, W: s, H: win.h - 2*s},
	})
}

// CheckBorder reports a malformed --border value.
func CheckBorder(s string) error {
	_, err := parseBorder(s)
	return err
}
