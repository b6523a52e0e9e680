package wm

import (
	"slices"

	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/geom"
)

// This file reads the SHAPE of managed windows (xeyes, round clocks,
// splash screens) so that clients can give their windows the same one.

// WindowShape is a window's non-rectangular shape: the rectangles of
// its bounding, clip and input regions (window coordinates); a nil list
// is the kind's default (the whole window).
type WindowShape struct {
	BoundingShaped, ClipShaped bool
	BoundingExtents            geom.Rect
	ClipExtents                geom.Rect
	Bounding, Clip, Input      []geom.Rect
}

// Equal reports whether s and o are the same shape.
func (s *WindowShape) Equal(o *WindowShape) bool {
	if s == nil || o == nil {
		return s == o
	}
	return s.BoundingShaped == o.BoundingShaped && s.ClipShaped == o.ClipShaped &&
		s.BoundingExtents == o.BoundingExtents && s.ClipExtents == o.ClipExtents &&
		slices.Equal(s.Bounding, o.Bounding) && slices.Equal(s.Clip, o.Clip) && slices.Equal(s.Input, o.Input)
}

// setupShape enables shape events; without SHAPE windows are rectangles.
func (wm *Manager) setupShape() {
	if err := shape.Init(wm.c); err != nil {
		wm.log.Info("no window shapes", "err", err)
		return
	}
	wm.shape = true
}

// watchShape asks for a window's shape changes.
func (wm *Manager) watchShape(w xproto.Window) {
	if wm.shape {
		shape.SelectInput(wm.c, w, true)
	}
}

// readShape returns a window's shape, nil when it is a plain rectangle.
func (wm *Manager) readShape(w xproto.Window) *WindowShape {
	if !wm.shape {
		return nil
	}
	ext, err := shape.QueryExtents(wm.c, w).Reply()
	if err != nil || (!ext.BoundingShaped && !ext.ClipShaped) {
		return nil
	}
	s := &WindowShape{
		BoundingShaped:  ext.BoundingShaped,
		ClipShaped:      ext.ClipShaped,
		BoundingExtents: geom.Rect{X: int(ext.BoundingShapeExtentsX), Y: int(ext.BoundingShapeExtentsY), W: int(ext.BoundingShapeExtentsWidth), H: int(ext.BoundingShapeExtentsHeight)},
		ClipExtents:     geom.Rect{X: int(ext.ClipShapeExtentsX), Y: int(ext.ClipShapeExtentsY), W: int(ext.ClipShapeExtentsWidth), H: int(ext.ClipShapeExtentsHeight)},
	}
	for _, k := range []struct {
		kind shape.Kind
		dst  *[]geom.Rect
	}{{shape.SkBounding, &s.Bounding}, {shape.SkClip, &s.Clip}, {shape.SkInput, &s.Input}} {
		r, err := shape.GetRectangles(wm.c, w, k.kind).Reply()
		if err != nil {
			continue
		}
		for _, rc := range r.Rectangles {
			*k.dst = append(*k.dst, geom.Rect{X: int(rc.X), Y: int(rc.Y), W: int(rc.Width), H: int(rc.Height)})
		}
	}
	return s
}

// shapeChanged re-reads a managed window's shape after a ShapeNotify.
func (wm *Manager) shapeChanged(e shape.NotifyEvent) {
	wm.mu.Lock()
	_, ok := wm.wins[uint32(e.AffectedWindow)]
	wm.mu.Unlock()
	if !ok {
		return
	}
	s := wm.readShape(e.AffectedWindow)
	wm.mu.Lock()
	w, ok := wm.wins[uint32(e.AffectedWindow)]
	var snap Window
	changed := ok && !w.Extra.Shape.Equal(s)
	if changed {
		w.Extra.Shape = s
		snap = *w
	}
	wm.mu.Unlock()
	if changed {
		wm.emit(Event{Kind: WindowChanged, Window: snap})
	}
}
