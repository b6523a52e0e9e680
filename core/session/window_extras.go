package session

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"slices"
	"strings"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/wm"
	"github.com/xroam/xroam/core/xpra"
)

// This file carries the window state beyond geometry and names: the
// _NET_WM_STATE flags as xpra's boolean metadata (and the clients'
// requests to change them), and the application icons as window-icon
// packets.

// wireText is text from X (titles, class names, atom names: bytes an X
// client chose) made valid UTF-8, for packet fields that are text: a
// client decodes them as UTF-8, and xpra's shows what does not decode as
// b'…'. Invalid sequences become U+FFFD.
func wireText(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// wireTexts is wireText for each string of l.
func wireTexts(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = wireText(s)
	}
	return out
}

// addExtras adds a window's states to its metadata: only the set ones,
// as xpra does for a new window.
func addExtras(m wire.Dict, w wm.Window) {
	for _, s := range w.Extra.States {
		m[s] = true
	}
	if sh := w.Extra.Shape; sh != nil {
		m["shape"] = shapeDict(sh)
	}
}

// shapeDict is xpra's "shape" metadata: the extents as [shaped, x, y,
// w, h] and the rectangles of each kind as [x, y, w, h] lists.
func shapeDict(sh *wm.WindowShape) wire.Dict {
	ext := func(shaped bool, r geom.Rect) []int64 {
		b := int64(0)
		if shaped {
			b = 1
		}
		return []int64{b, int64(r.X), int64(r.Y), int64(r.W), int64(r.H)}
	}
	rects := func(rs []geom.Rect) []any {
		out := make([]any, len(rs))
		for i, r := range rs {
			out[i] = []int64{int64(r.X), int64(r.Y), int64(r.W), int64(r.H)}
		}
		return out
	}
	return wire.Dict{
		"x": int64(0), "y": int64(0),
		"Bounding.extents":      ext(sh.BoundingShaped, sh.BoundingExtents),
		"Clip.extents":          ext(sh.ClipShaped, sh.ClipExtents),
		"Bounding.rectangles":   rects(sh.Bounding),
		"Clip.rectangles":       rects(sh.Clip),
		"ShapeInput.rectangles": rects(sh.Input),
	}
}

// clearedStates adds false for the states set in old and not in w: a
// change must say so, where a new window's metadata leaves them out.
func clearedStates(out wire.Dict, old, w wm.Window) {
	for _, s := range old.Extra.States {
		if !slices.Contains(w.Extra.States, s) {
			out[s] = false
		}
	}
	if old.Extra.Shape != nil && w.Extra.Shape == nil {
		out["shape"] = wire.Dict{}
	}
}

// iconChanged reports whether the icons of old and w differ.
func iconChanged(old, w wm.Window) bool {
	return !wm.WindowExtras{Icon: old.Extra.Icon}.Equal(wm.WindowExtras{Icon: w.Extra.Icon})
}

// iconPacket is the window-icon packet for a client, in the first
// encoding it accepts of png and BGRA; nil when it takes neither (or
// cannot take icons). A window without an icon gets "default".
func iconPacket(caps wire.Dict, wid int64, icon *wm.WindowIcon) wire.Packet {
	accepted := caps.Strings("encodings.window-icon")
	if icon == nil {
		if slices.Contains(accepted, "default") {
			return xpra.WindowIcon{WID: wid, Encoding: xpra.IconDefault}.Packet()
		}
		return nil
	}
	switch {
	case slices.Contains(accepted, xpra.IconPNG):
		b, err := iconPNG(icon)
		if err != nil {
			return nil
		}
		return xpra.WindowIcon{WID: wid, Width: int64(icon.Width), Height: int64(icon.Height), Encoding: xpra.IconPNG, Data: b}.Packet()
	case slices.Contains(accepted, xpra.IconBGRA):
		return xpra.WindowIcon{WID: wid, Width: int64(icon.Width), Height: int64(icon.Height), Encoding: xpra.IconBGRA, Data: icon.BGRA}.Packet()
	}
	return nil
}

// iconPNG encodes a BGRA icon as PNG.
func iconPNG(icon *wm.WindowIcon) ([]byte, error) {
	if len(icon.BGRA) < icon.Width*icon.Height*4 {
		return nil, fmt.Errorf("icon: %d bytes for %dx%d", len(icon.BGRA), icon.Width, icon.Height)
	}
	img := image.NewNRGBA(image.Rect(0, 0, icon.Width, icon.Height))
	for i := 0; i < icon.Width*icon.Height*4; i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = icon.BGRA[i+2], icon.BGRA[i+1], icon.BGRA[i], icon.BGRA[i+3]
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("icon: %w", err)
	}
	return buf.Bytes(), nil
}

// clientStates reads the window_state dict of a map-window or
// configure-window packet: xpra's names with "iconified" for iconic;
// "focused" and unknown names are left out.
func clientStates(d wire.Dict) map[string]bool {
	if len(d) == 0 {
		return nil
	}
	known := x11.WindowStateNames()
	out := map[string]bool{}
	for k, v := range d {
		name, ok := wire.AsString(k)
		if !ok {
			continue
		}
		if name == "iconified" {
			name = "iconic"
		}
		if slices.Contains(known, name) {
			out[name] = wire.Truthy(v)
		}
	}
	return out
}

// ringBell sends an application's bell to the clients that want bells;
// called with ws.mu held. A bell rung for no managed window goes out
// with window id 0.
func (ws *windowSet) ringBell(b *x11.Bell) {
	if !ws.bell || b == nil {
		return
	}
	wid := ws.byXID[b.Top]
	for c, wc := range ws.subs {
		if !c.caps.Bool("bell", false) {
			continue
		}
		wc.p.Send(xpra.Bell{WID: wid, Device: int64(b.DeviceID), Percent: int64(b.Percent), Pitch: int64(b.Pitch), Duration: int64(b.Duration),
			Class: int64(b.Class), ID: int64(b.ID), Name: wireText(b.Name)}.Packet())
	}
}
