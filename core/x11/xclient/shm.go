package xclient

import (
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/x11"
)

// The attach client paints large areas through a MIT-SHM segment: the
// pixels are copied once into shared memory instead of being written
// down the socket in strips. It only works when the display runs on this
// machine; elsewhere, or on any failure, Paint keeps using strips.

// shmPaintMin is the smallest area (bytes) painted through shared
// memory: below it the round trip that guards the segment costs more
// than sending the pixels.
const shmPaintMin = 64 << 10

// clientSHM is the client display's paint segment.
type clientSHM struct {
	seg  *x11.SHMSegment
	xseg shm.Seg
}

// setupPaintSHM makes a segment as large as the screen; nil when the
// display cannot use one.
func (d *Display) setupPaintSHM() *clientSHM {
	if err := shm.Init(d.c); err != nil {
		d.log.Debug("x11 client: no MIT-SHM, painting in strips", "err", err)
		return nil
	}
	seg, xseg, err := x11.NewSHMSegment(d.c, int(d.screen.WidthInPixels)*int(d.screen.HeightInPixels)*4, true)
	if err != nil {
		d.log.Debug("x11 client: no MIT-SHM segment (a remote display?), painting in strips", "err", err)
		return nil
	}
	return &clientSHM{seg: seg, xseg: xseg}
}

// paintSHM paints through the segment; false when it cannot (small area,
// no segment), and Paint then uses strips.
func (d *Display) paintSHM(w Window, x, y, width, height int, pix []byte, stride int) bool {
	row := width * 4
	n := row * height
	if n < shmPaintMin {
		return false
	}
	d.shmOnce.Do(func() {
		s := d.setupPaintSHM()
		d.shmMu.Lock()
		d.shm = s
		d.shmMu.Unlock()
	})
	d.shmMu.Lock()
	defer d.shmMu.Unlock()
	s := d.shm // nil again once Close detached it
	if s == nil || n > len(s.seg.Data) {
		return false
	}
	if stride == row {
		copy(s.seg.Data, pix[:n])
	} else {
		for i := range height {
			copy(s.seg.Data[i*row:(i+1)*row], pix[i*stride:])
		}
	}
	shm.PutImage(d.c, xproto.Drawable(w), d.gc(), uint16(width), uint16(height), 0, 0, uint16(width), uint16(height),
		int16(x), int16(y), d.screen.RootDepth, xproto.ImageFormatZPixmap, 0, s.xseg, 0)
	// The segment is reused by the next paint: wait until the server has
	// read this one (requests are handled in order).
	_, _ = xproto.GetInputFocus(d.c).Reply()
	return true
}

// UsesSHM reports whether paints have gone through shared memory.
func (d *Display) UsesSHM() bool {
	d.shmMu.Lock()
	defer d.shmMu.Unlock()
	return d.shm != nil
}
