package client

import (
	"bytes"
	"testing"

	"github.com/xroam/xroam/core/xpra"
)

func rawCursor(w, h int64, pix []byte) xpra.Cursor {
	return xpra.Cursor{Encoding: xpra.CursorRaw, Width: w, Height: h, XHot: 1, YHot: 1, Serial: 7, Pixels: pix, Name: "xterm"}
}

func TestCursorImageRaw(t *testing.T) {
	pix := make([]byte, 3*2*4)
	for i := range pix {
		pix[i] = byte(i)
	}
	w, h, got, err := cursorImage(rawCursor(3, 2, pix))
	if err != nil || w != 3 || h != 2 || !bytes.Equal(got, pix) {
		t.Errorf("raw 3x2: %dx%d % x, %v", w, h, got, err)
	}
	for name, p := range map[string]xpra.Cursor{
		"short":     rawCursor(3, 2, pix[:20]),
		"long":      rawCursor(3, 2, append(pix, 0, 0, 0, 0)),
		"zero":      rawCursor(0, 2, nil),
		"negative":  rawCursor(-3, -2, pix),
		"huge":      rawCursor(1<<20, 1<<20, pix),
		"no pixels": rawCursor(3, 2, nil),
		"bad png":   {Encoding: xpra.CursorPNG, Width: 3, Height: 2, XHot: 1, YHot: 1, Serial: 7, Pixels: []byte("not a png"), Name: "x"},
	} {
		if _, _, _, err := cursorImage(p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzCursorImage(f *testing.F) {
	f.Add("raw", int64(2), int64(2), make([]byte, 16))
	f.Add("raw", int64(2), int64(3), make([]byte, 16))
	f.Add("png", int64(1), int64(1), []byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, format string, w, h int64, pix []byte) {
		gw, gh, got, err := cursorImage(xpra.Cursor{Encoding: format, Width: w, Height: h, Serial: 1, Pixels: pix, Name: "f"})
		if err == nil && (gw <= 0 || gh <= 0 || len(got) != gw*gh*4) {
			t.Errorf("%s %dx%d: accepted %dx%d with %d bytes", format, w, h, gw, gh, len(got))
		}
	})
}
