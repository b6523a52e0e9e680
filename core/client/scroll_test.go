package client

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/xroam/xroam/core/wire"
)

// scrollByCopy is what a scroll move means, done the slow way: every
// pixel of the area, read before the move, lands at its new place when
// that place is inside the window and so was the pixel.
func scrollByCopy(backing []byte, w, h int, m scrollMove) {
	before := bytes.Clone(backing)
	for y := m.y; y < m.y+m.h; y++ {
		for x := m.x; x < m.x+m.w; x++ {
			tx, ty := x+m.dx, y+m.dy
			if x < 0 || y < 0 || x >= w || y >= h || tx < 0 || ty < 0 || tx >= w || ty >= h {
				continue
			}
			copy(backing[(ty*w+tx)*4:(ty*w+tx)*4+4], before[(y*w+x)*4:])
		}
	}
}

func numbered(w, h int) []byte {
	b := make([]byte, w*h*4)
	for i := range w * h {
		b[i*4], b[i*4+1], b[i*4+2] = byte(i), byte(i>>8), 0x5a
	}
	return b
}

func TestScrollMoves(t *testing.T) {
	const w, h = 20, 12
	for _, tc := range []struct {
		name  string
		moves []scrollMove
		paint int // pixels painted
	}{
		{"up by 3, as a terminal scrolls", []scrollMove{{0, 3, w, h - 3, 0, -3}}, w * (h - 3)},
		{"down by 2, overlapping", []scrollMove{{0, 0, w, h - 2, 0, 2}}, w * (h - 2)},
		{"sideways both ways", []scrollMove{{2, 1, 10, 5, 4, 0}, {6, 6, 10, 5, -5, 1}}, 10*5 + 10*5},
		{"clipped at the window's edges", []scrollMove{{-4, -4, w + 8, h + 8, 3, 5}}, (w - 3) * (h - 5)},
		{"entirely outside", []scrollMove{{w, 0, 5, 5, 0, 1}, {0, 0, 5, 5, 0, h}}, 0},
		{"empty and negative sizes", []scrollMove{{0, 0, 0, 5, 0, 1}, {0, 0, -3, -3, 1, 1}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			win := &window{w: w, h: h, backing: numbered(w, h)}
			want := bytes.Clone(win.backing)
			for _, m := range tc.moves {
				scrollByCopy(want, w, h, m)
			}
			var p countingPainter
			win.scroll(&p, tc.moves)
			if !bytes.Equal(win.backing, want) {
				t.Error("the backing differs from the moved pixels")
			}
			if p.pixels != tc.paint {
				t.Errorf("painted %d pixels, want %d", p.pixels, tc.paint)
			}
		})
	}
}

func TestScrollRandomMovesMatchCopy(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const w, h = 17, 13
	for i := range 2000 {
		m := scrollMove{r.IntN(30) - 5, r.IntN(30) - 5, r.IntN(30) - 5, r.IntN(30) - 5, r.IntN(30) - 15, r.IntN(30) - 15}
		win := &window{w: w, h: h, backing: numbered(w, h)}
		want := bytes.Clone(win.backing)
		scrollByCopy(want, w, h, m)
		win.scroll(&countingPainter{}, []scrollMove{m})
		if !bytes.Equal(win.backing, want) {
			t.Fatalf("case %d: move %+v differs from a pixel-by-pixel copy", i, m)
		}
	}
}

func TestParseScrolls(t *testing.T) {
	ok := []any{[]any{int64(0), int64(16), int64(80), int64(300), int64(0), int64(-16)}}
	if got, err := parseScrolls(ok); err != nil || len(got) != 1 || got[0] != (scrollMove{0, 16, 80, 300, 0, -16}) {
		t.Errorf("parse %v: %v, %v", ok, got, err)
	}
	for _, bad := range []any{
		[]byte("scroll"),
		[]any{[]any{int64(1), int64(2)}},
		[]any{[]any{int64(0), int64(0), int64(1), int64(1), int64(0), "down"}},
		[]any{[]any{int64(0), int64(0), int64(1) << 40, int64(1), int64(0), int64(0)}},
		make([]any, maxScrolls+1),
	} {
		if _, err := parseScrolls(bad); err == nil {
			t.Errorf("parse %v: no error", bad)
		}
	}
}

// FuzzScrollDraw feeds rencoded scroll data from the server to the parser
// and applies what parses to a small window: no panic, no write outside
// the backing, and the same pixels as the pixel-by-pixel copy.
func FuzzScrollDraw(f *testing.F) {
	for _, moves := range [][]any{
		{[]any{int64(0), int64(3), int64(20), int64(9), int64(0), int64(-3)}},
		{[]any{int64(-5), int64(2), int64(40), int64(4), int64(7), int64(1)}, []any{int64(1), int64(1), int64(1), int64(1), int64(-1), int64(-1)}},
	} {
		b, err := wire.EncodeRencode(moves)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := wire.DecodeRencode(b)
		if err != nil {
			return
		}
		moves, err := parseScrolls(v)
		if err != nil {
			return
		}
		const w, h = 20, 12
		win := &window{w: w, h: h, backing: numbered(w, h)}
		want := bytes.Clone(win.backing)
		if len(moves) <= 16 { // the slow copy is slow
			for _, m := range moves {
				if m.w*m.h <= 4*w*h {
					scrollByCopy(want, w, h, m)
				} else {
					return
				}
			}
		}
		win.scroll(&countingPainter{}, moves)
		if len(win.backing) != w*h*4 {
			t.Fatal("the backing changed size")
		}
		if len(moves) <= 16 && !bytes.Equal(win.backing, want) {
			t.Fatalf("moves %+v differ from a pixel-by-pixel copy", moves)
		}
	})
}
