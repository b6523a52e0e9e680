package wm

import (
	"time"

	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/geom"
)

// Damage of managed windows is reported at the non-empty level: the X
// server sends one event when a window's damage region stops being empty
// and then accumulates further damage silently until it is subtracted.
// Raw rectangles, one event per drawing operation, made a terminal
// printing as fast as it can cost a hundred thousand events a second, in
// the X server and here, which slowed the terminal itself.
//
// The damage is subtracted into a scratch region, which re-arms the
// report, and the region's bounding box goes to the session. A window
// repaired less than repairGap ago is repaired repairGap after the last
// time instead: a window that changes all the time then costs at most one
// event and one round trip per repairGap, while the first change after a
// quiet spell (a key typed) is repaired at once.

// repairGap is the shortest interval between two repairs of a window.
const repairGap = 2 * time.Millisecond

// setupRepair makes the scratch region that non-empty damage reports
// need; without XFIXES (regions) windows keep raw rectangles.
func (wm *Manager) setupRepair() {
	if err := xfixes.Init(wm.c); err != nil {
		return
	}
	if _, err := xfixes.QueryVersion(wm.c, 4, 0).Reply(); err != nil {
		return
	}
	r, err := xfixes.NewRegionId(wm.c)
	if err != nil {
		return
	}
	if err := xfixes.CreateRegionChecked(wm.c, r, nil).Check(); err != nil {
		return
	}
	wm.mu.Lock()
	wm.scratch = r
	wm.repaired = map[uint32]time.Time{}
	wm.repairing = map[uint32]bool{}
	wm.mu.Unlock()
}

// damageLevel is the report level for a managed window's damage.
func (wm *Manager) damageLevel() byte {
	wm.mu.Lock()
	defer wm.mu.Unlock()
	if wm.scratch != 0 {
		return damage.ReportLevelNonEmpty
	}
	return damage.ReportLevelRawRectangles
}

// repair handles a non-empty report: at once, or repairGap after the
// window's last repair.
func (wm *Manager) repair(e damage.NotifyEvent) {
	xid := uint32(e.Drawable)
	wm.mu.Lock()
	if wm.repairing[xid] {
		wm.mu.Unlock()
		return // a repair is due: it takes this damage too
	}
	if since := time.Since(wm.repaired[xid]); since < repairGap {
		wm.repairing[xid] = true
		wm.pollWG.Add(1) // the events channel stays open until it is done
		wm.mu.Unlock()
		time.AfterFunc(repairGap-since, func() {
			defer wm.pollWG.Done()
			wm.mu.Lock()
			delete(wm.repairing, xid)
			wm.mu.Unlock()
			wm.subtract(e.Damage, xid, e.Area)
		})
		return
	}
	wm.mu.Unlock()
	wm.subtract(e.Damage, xid, e.Area)
}

// subtract moves the window's damage into the scratch region, which
// re-arms its report, and delivers the region's bounding box (the
// report's own area if the region cannot be read).
func (wm *Manager) subtract(d damage.Damage, xid uint32, hint xproto.Rectangle) {
	wm.repairMu.Lock()
	defer wm.repairMu.Unlock()
	select {
	case <-wm.done:
		return
	default:
	}
	wm.mu.Lock()
	wm.repaired[xid] = time.Now()
	scratch := wm.scratch
	wm.mu.Unlock()
	damage.Subtract(wm.c, d, 0, scratch)
	area := geom.Rect{}
	if r, err := xfixes.FetchRegion(wm.c, scratch).Reply(); err == nil {
		for _, b := range r.Rectangles {
			area = area.Union(geom.Rect{X: int(b.X), Y: int(b.Y), W: int(b.Width), H: int(b.Height)})
		}
	}
	if area.Empty() {
		area = geom.Rect{X: int(hint.X), Y: int(hint.Y), W: int(hint.Width), H: int(hint.Height)}
	}
	wm.damaged(xid, area)
}
