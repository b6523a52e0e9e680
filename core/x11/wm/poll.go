package wm

import (
	"bytes"
	"time"

	"github.com/xroam/xroam/core/geom"
)

// pollInterval is how often a display without DAMAGE is compared with
// its previous picture: about a frame interval.
const pollInterval = 50 * time.Millisecond

// pollTile is the side of the squares the comparison reports.
const pollTile = 64

// pollDamage stands in for DAMAGE on displays that lack it: it captures
// the watched window every interval, compares the picture with the
// previous one square by square and reports the changed squares (merged
// along each row) as damage. The first picture is all damage.
func (wm *Manager) pollDamage(win Window) {
	defer wm.pollWG.Done()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	w, h := win.Width, win.Height
	full := geom.Rect{X: 0, Y: 0, W: w, H: h}
	prev, cur := []byte(nil), make([]byte, w*h*4)
	for {
		select {
		case <-wm.done:
			return
		case <-t.C:
		}
		// A resized screen (RandR) starts the comparison afresh.
		if now, ok := wm.Window(win.ID); ok && (now.Width != w || now.Height != h) && now.Width > 0 && now.Height > 0 {
			win = now
			w, h = now.Width, now.Height
			full = geom.Rect{X: 0, Y: 0, W: w, H: h}
			prev, cur = nil, make([]byte, w*h*4)
		}
		if err := wm.CaptureInto(win.ID, full, cur); err != nil {
			continue
		}
		for _, r := range changedTiles(prev, cur, w, h) {
			// Waiting, not dropping as emit may: the next comparison
			// starts from this picture, so nothing would repair a loss.
			select {
			case wm.events <- Event{Kind: WindowDamaged, Window: win, Damage: r}:
			case <-wm.done:
				return
			}
		}
		if prev == nil {
			prev = make([]byte, len(cur))
		}
		prev, cur = cur, prev
	}
}

// changedTiles compares two w x h BGRX pictures by pollTile squares and
// returns the runs of changed squares of each row; all of it when prev
// is nil.
func changedTiles(prev, cur []byte, w, h int) []geom.Rect {
	if prev == nil {
		return []geom.Rect{{X: 0, Y: 0, W: w, H: h}}
	}
	var out []geom.Rect
	stride := w * 4
	for ty := 0; ty < h; ty += pollTile {
		th := min(pollTile, h-ty)
		run := geom.Rect{}
		for tx := 0; tx < w; tx += pollTile {
			tw := min(pollTile, w-tx)
			diff := false
			for y := ty; y < ty+th && !diff; y++ {
				o := y*stride + tx*4
				diff = !bytes.Equal(prev[o:o+tw*4], cur[o:o+tw*4])
			}
			switch {
			case diff && !run.Empty():
				run.W += tw
			case diff:
				run = geom.Rect{X: tx, Y: ty, W: tw, H: th}
			case !run.Empty():
				out = append(out, run)
				run = geom.Rect{}
			}
		}
		if !run.Empty() {
			out = append(out, run)
		}
	}
	return out
}
