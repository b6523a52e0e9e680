package wm

import (
	"fmt"

	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/x11"
)

// setupSHM prepares a segment as large as the screen; on any failure the
// capture falls back to plain GetImage.
func (wm *Manager) setupSHM() {
	if err := shm.Init(wm.cap); err != nil {
		wm.log.Info("MIT-SHM unavailable: capturing with GetImage", "err", err)
		return
	}
	setup := xproto.Setup(wm.cap)
	scr := setup.Roots[wm.cap.DefaultScreen]
	seg, xseg, err := x11.NewSHMSegment(wm.cap, int(scr.WidthInPixels)*int(scr.HeightInPixels)*4, false)
	if err != nil {
		wm.log.Info("no MIT-SHM segment: capturing with GetImage", "err", err)
		return
	}
	wm.shm, wm.shmSeg = seg, xseg
}

// UsesSHM reports whether captures go through shared memory.
func (wm *Manager) UsesSHM() bool {
	wm.capMu.Lock()
	defer wm.capMu.Unlock()
	return wm.shm != nil
}

// Capture reads area r of window id into a new BGRX buffer with stride
// r.W*4 (the layout of a 24-bit TrueColor display on little-endian).
func (wm *Manager) Capture(id uint32, r geom.Rect) ([]byte, error) {
	out := make([]byte, r.W*r.H*4)
	if err := wm.CaptureInto(id, r, out); err != nil {
		return nil, err
	}
	return out, nil
}

// CaptureInto is Capture writing into dst, which holds r.W*r.H*4 bytes.
func (wm *Manager) CaptureInto(id uint32, r geom.Rect, dst []byte) error {
	if r.Empty() {
		return fmt.Errorf("capture 0x%x: empty area", id)
	}
	n := r.W * r.H * 4
	if len(dst) < n {
		return fmt.Errorf("capture 0x%x: buffer of %d bytes for %dx%d", id, len(dst), r.W, r.H)
	}
	wm.capMu.Lock()
	defer wm.capMu.Unlock()
	if wm.shm != nil && n <= len(wm.shm.Data) {
		rep, err := shm.GetImage(wm.cap, xproto.Drawable(id), int16(r.X), int16(r.Y), uint16(r.W), uint16(r.H),
			0xffffffff, xproto.ImageFormatZPixmap, wm.shmSeg, 0).Reply()
		if err != nil {
			return fmt.Errorf("capture 0x%x: %w", id, err)
		}
		if rep.Depth != 24 && rep.Depth != 32 {
			return fmt.Errorf("capture 0x%x: depth %d is not supported", id, rep.Depth)
		}
		copy(dst, wm.shm.Data[:n])
		return nil
	}
	// Plain GetImage, in strips that keep each reply small.
	rows := max(1, (256*1024)/(r.W*4))
	for y := 0; y < r.H; y += rows {
		h := min(rows, r.H-y)
		rep, err := xproto.GetImage(wm.cap, xproto.ImageFormatZPixmap, xproto.Drawable(id), int16(r.X), int16(r.Y+y),
			uint16(r.W), uint16(h), 0xffffffff).Reply()
		if err != nil {
			return fmt.Errorf("capture 0x%x: %w", id, err)
		}
		if len(rep.Data) < r.W*h*4 {
			return fmt.Errorf("capture 0x%x: %d bytes for %dx%d (depth %d)", id, len(rep.Data), r.W, h, rep.Depth)
		}
		copy(dst[y*r.W*4:], rep.Data[:r.W*h*4])
	}
	return nil
}

// CaptureScreen reads area r of the root window. Windows are redirected
// automatically, so the server composites them there in stacking order:
// this is what the screen shows.
func (wm *Manager) CaptureScreen(r geom.Rect) ([]byte, error) {
	return wm.Capture(uint32(wm.root), r)
}
