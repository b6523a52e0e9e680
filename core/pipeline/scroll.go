package pipeline

import (
	"bytes"
	"hash/maphash"
	"slices"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
)

// Scroll detection: a terminal or a browser that scrolls redraws most of
// its window with rows it showed a moment ago, one place higher or
// lower. For a client that paints xpra's "scroll" draw (the 3.1.3 GTK
// client does, and says so with "encoding.scrolling" in its map-window
// properties), the pipeline keeps a copy of the pixels it last sent of
// each window and compares a new capture with it row by row: the rows
// that moved go out as one scroll draw (a list of x, y, w, h, xdelta,
// ydelta: copy that area of what the client shows by the delta), and
// only the rows that are really new as pixels.

const (
	// scrollMinRows is the smallest area height worth detecting in.
	scrollMinRows = 32
	// scrollMaxRuns bounds the draws one scrolled update becomes; beyond
	// it the area is sent whole.
	scrollMaxRuns = 20
)

// SetScrolling says whether the client paints scroll draws for window
// wid.
func (p *Pipeline) SetScrolling(wid int64, on bool) {
	p.postOrStall(func() {
		if win := p.wins[wid]; win != nil {
			win.scroll = on
			if !on {
				win.shadow, win.shadowOK = nil, false
			}
		}
	})
}

// keepShadow records area r of pix as what the client now shows.
func (p *Pipeline) keepShadow(win *window, r Rect, pix []byte) {
	if !win.scroll {
		return
	}
	if len(win.shadow) != win.w*win.h*4 {
		win.shadow = make([]byte, win.w*win.h*4)
		win.shadowOK = false
	}
	if r.X == 0 && r.Y == 0 && r.W == win.w && r.H == win.h {
		win.shadowOK = true
	}
	if r.X < 0 || r.Y < 0 || r.X+r.W > win.w || r.Y+r.H > win.h {
		win.shadowOK = false
		return
	}
	for row := 0; row < r.H; row++ {
		copy(win.shadow[((r.Y+row)*win.w+r.X)*4:], pix[row*r.W*4:(row+1)*r.W*4])
	}
}

// scrollPlan is a scrolled update: the moved row runs and the new ones.
type scrollPlan struct {
	delta int
	moved []rowRun // destination rows, relative to the area
	dirty []rowRun
}

type rowRun struct{ start, n int }

// detectScroll compares the capture pix of area r with the window's
// shadow; ok is false when the update is not a scroll.
func detectScroll(win *window, r Rect, pix []byte, seed maphash.Seed) (scrollPlan, bool) {
	// A terminal scrolls its text area, inside a border: any area at
	// least half the window's width qualifies.
	if !win.scroll || !win.shadowOK || r.W*2 < win.w || r.H < scrollMinRows || len(win.shadow) != win.w*win.h*4 ||
		r.X < 0 || r.Y < 0 || r.X+r.W > win.w || r.Y+r.H > win.h {
		return scrollPlan{}, false
	}
	stride := r.W * 4
	newRow := func(i int) []byte { return pix[i*stride : (i+1)*stride] }
	oldRow := func(i int) []byte {
		o := ((r.Y+i)*win.w + r.X) * 4
		return win.shadow[o : o+stride]
	}
	// Rows that occur a few times at most in the old pixels vote for the
	// shifts that would bring them to where they are now; blank rows,
	// which occur many times, say nothing.
	const maxSeen = 4
	old := make(map[uint64][]int, r.H)
	for i := 0; i < r.H; i++ {
		h := maphash.Bytes(seed, oldRow(i))
		if at := old[h]; len(at) <= maxSeen {
			old[h] = append(at, i)
		}
	}
	votes := map[int]int{}
	for i := 0; i < r.H; i++ {
		if at := old[maphash.Bytes(seed, newRow(i))]; len(at) <= maxSeen {
			for _, j := range at {
				if j != i {
					votes[i-j]++
				}
			}
		}
	}
	// The best few shifts are tried on the real rows.
	type cand struct{ d, v int }
	var cands []cand
	for d, v := range votes {
		cands = append(cands, cand{d, v})
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if a.v != b.v {
			return b.v - a.v
		}
		return abs(a.d) - abs(b.d)
	})
	var best scrollPlan
	bestMoved := 0
	for _, c := range cands[:min(len(cands), 3)] {
		plan, moved := planScroll(c.d, r.H, newRow, oldRow)
		if moved > bestMoved {
			best, bestMoved = plan, moved
		}
	}
	if bestMoved < r.H/4 || len(best.moved)+len(best.dirty) > scrollMaxRuns {
		return scrollPlan{}, false
	}
	return best, true
}

// planScroll sorts the rows of an area scrolled by delta into moved,
// new and unchanged ones; it returns the plan and the moved row count.
func planScroll(delta, rows int, newRow, oldRow func(int) []byte) (scrollPlan, int) {
	plan := scrollPlan{delta: delta}
	add := func(runs []rowRun, i int) []rowRun {
		if k := len(runs) - 1; k >= 0 && runs[k].start+runs[k].n == i {
			runs[k].n++
			return runs
		}
		return append(runs, rowRun{start: i, n: 1})
	}
	moved := 0
	for i := 0; i < rows; i++ {
		// A row the scroll would bring along is part of the move even
		// when it is also unchanged (a blank row between blank rows):
		// moves stay in few long runs.
		switch src := i - delta; {
		case src >= 0 && src < rows && bytes.Equal(newRow(i), oldRow(src)):
			plan.moved = add(plan.moved, i)
			moved++
		case bytes.Equal(newRow(i), oldRow(i)):
			// unchanged on the client
		default:
			plan.dirty = add(plan.dirty, i)
		}
	}
	return plan, moved
}

func abs(v int) int { return max(v, -v) }

// ScrollPacket is a scroll draw: each item moves the area x, y, w, h of
// what the client shows by xdelta, ydelta.
func ScrollPacket(wid int64, r Rect, moves [][6]int, seq int64) wire.Packet {
	list := make([]any, len(moves))
	for i, m := range moves {
		list[i] = []any{int64(m[0]), int64(m[1]), int64(m[2]), int64(m[3]), int64(m[4]), int64(m[5])}
	}
	return xpra.Draw{WID: wid, X: int64(r.X), Y: int64(r.Y), Width: int64(r.W), Height: int64(r.H), Coding: xpra.CodingScroll,
		Data: list, Sequence: seq}.Packet()
}

// sendScroll sends a scrolled update: the scroll draw, then the new rows
// as rgb32 (or through the mmap area). It returns the bytes sent.
func (p *Pipeline) sendScroll(win *window, r Rect, pix []byte, plan scrollPlan) int {
	now := time.Now()
	moves := make([][6]int, len(plan.moved))
	for i, m := range plan.moved {
		moves[i] = [6]int{r.X, r.Y + m.start - plan.delta, r.W, m.n, 0, plan.delta}
	}
	win.seq++
	total := 24 * len(moves)
	win.inflight[win.seq] = sent{at: now, bytes: total}
	if err := p.cfg.Send(ScrollPacket(win.wid, r, moves, win.seq)); err != nil {
		p.cfg.Log.Debug("send failed", "wid", win.wid, "err", err)
		return total
	}
	p.stats.ByEncoding["scroll"]++
	p.stats.Draws++
	stride := r.W * 4
	for _, d := range plan.dirty {
		sub := Rect{X: r.X, Y: r.Y + d.start, W: r.W, H: d.n}
		win.seq++
		pkt, n, enc := p.rawDraw(win, sub, pix[d.start*stride:(d.start+d.n)*stride], win.seq)
		win.inflight[win.seq] = sent{at: now, bytes: n}
		total += n
		if err := p.cfg.Send(pkt); err != nil {
			p.cfg.Log.Debug("send failed", "wid", win.wid, "err", err)
			break
		}
		p.count(enc, n, sub, false)
	}
	return total
}
