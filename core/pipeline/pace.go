package pipeline

import "time"

// Pacing: a window that changes again the moment it has been sent (a
// terminal printing as fast as it can, a progress bar redrawn in a busy
// loop) would otherwise be captured, encoded and sent as fast as the
// client acknowledges, a hundred times a second or more, for pictures no
// one can read and at a cost in CPU that slows the application itself.
// Such a window is paced instead: after floodFrames draws that each
// found it changed again at once, its draws are spaced by a growing
// interval up to Config.FloodInterval. A video does not trip it: its
// frames come at intervals, with the window unchanged in between. The
// first change after a calm spell resets the pacing, and once a flood
// stops its last picture goes out within calmGap, losslessly.

const (
	// floodGap is how soon after a draw a change counts as immediate,
	// calmGap how late it counts as a calm spell.
	floodGap = 3 * time.Millisecond
	calmGap  = 20 * time.Millisecond
	// floodFrames immediate changes in a row start the pacing, whose
	// interval then grows by paceStep a draw.
	floodFrames = 10
	paceStep    = 25 * time.Millisecond
)

// noteChange is called for the first damage after a draw.
func (w *window) noteChange(now time.Time) {
	w.lastChange = now
	switch gap := now.Sub(w.lastFlush); {
	case gap < floodGap:
		w.flood++
	case gap > calmGap:
		w.flood = 0
	}
}

// paceWait is how long the window's next draw must wait (0: none). A
// paced window whose changes stopped for calmGap has settled: its last
// picture goes out at once, and losslessly, as the auto-refresh would
// send it later.
func (p *Pipeline) paceWait(w *window, now time.Time) time.Duration {
	if p.cfg.FloodInterval < 0 || w.flood < floodFrames {
		return 0
	}
	calm := now.Sub(w.lastChange)
	if calm >= calmGap {
		w.flood = 0
		w.lossless = true
		w.pending = w.pending.Union(w.lossy)
		return 0
	}
	interval := min(time.Duration(w.flood-floodFrames+1)*paceStep, p.cfg.FloodInterval)
	wait := interval - now.Sub(w.lastFlush)
	if wait <= 0 {
		return 0
	}
	// Look again when the window may have settled.
	return min(wait, calmGap-calm)
}
