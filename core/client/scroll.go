package client

import (
	"errors"
	"fmt"

	"github.com/xroam/xroam/core/wire"
)

// maxScrolls bounds the moves of one scroll draw: a server scrolls a few
// bands of a window at a time, and each move costs a pass over its rows.
const maxScrolls = 4096

// scrollMove is one entry of a scroll draw: the area x, y, w, h moves by
// dx, dy.
type scrollMove struct{ x, y, w, h, dx, dy int }

// parseScrolls reads the data of a scroll draw: a list of
// [x, y, w, h, xdelta, ydelta] lists, as xpra's servers send it.
func parseScrolls(v any) ([]scrollMove, error) {
	l, ok := wire.AsList(v)
	if !ok {
		return nil, errors.New("the scroll data is not a list")
	}
	if len(l) > maxScrolls {
		return nil, fmt.Errorf("%d scroll moves, more than %d", len(l), maxScrolls)
	}
	out := make([]scrollMove, 0, len(l))
	for i, e := range l {
		m, ok := wire.AsList(e)
		if !ok || len(m) < 6 {
			return nil, fmt.Errorf("scroll move %d is not a list of 6 integers", i)
		}
		var n [6]int
		for j := range n {
			v, ok := wire.AsInt(m[j])
			// Anything beyond a screen's worth is clipped away anyway;
			// the bound keeps the sums below from overflowing.
			if !ok || v < -1<<20 || v > 1<<20 {
				return nil, fmt.Errorf("scroll move %d: field %d is not a small integer", i, j)
			}
			n[j] = int(v)
		}
		out = append(out, scrollMove{n[0], n[1], n[2], n[3], n[4], n[5]})
	}
	return out, nil
}

// scroll applies the moves to the backing, clipped to the window, in
// order, and paints the areas they wrote.
func (win *window) scroll(d painter, moves []scrollMove) {
	for _, m := range moves {
		// Clip the source, then the destination, keeping them the same
		// size.
		x0, y0 := max(m.x, 0, -m.dx), max(m.y, 0, -m.dy)
		x1, y1 := min(m.x+m.w, win.w, win.w-m.dx), min(m.y+m.h, win.h, win.h-m.dy)
		if x1 <= x0 || y1 <= y0 {
			continue
		}
		rowBytes := (x1 - x0) * 4
		row := func(yy int) {
			src := (yy*win.w + x0) * 4
			dst := ((yy+m.dy)*win.w + x0 + m.dx) * 4
			copy(win.backing[dst:dst+rowBytes], win.backing[src:src+rowBytes])
		}
		// Rows moving down are copied bottom first, so that none is
		// overwritten before it moves; copy itself handles the overlap
		// within a row.
		if m.dy > 0 {
			for yy := y1 - 1; yy >= y0; yy-- {
				row(yy)
			}
		} else {
			for yy := y0; yy < y1; yy++ {
				row(yy)
			}
		}
		win.repaint(d, x0+m.dx, y0+m.dy, x1-x0, y1-y0)
	}
}
