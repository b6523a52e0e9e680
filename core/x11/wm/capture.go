package wm

import (
	"fmt"

	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/x11"
	framebuf "github.com/xroam/xroam/sdk/shm"
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
	if err := checkCapture(id, r, len(dst)); err != nil {
		return err
	}
	wm.capMu.Lock()
	defer wm.capMu.Unlock()
	return wm.captureLocked(id, r, dst)
}

// CaptureIntoSegment is CaptureInto writing to the start of seg, a frame
// segment that an encoder reads: the X server writes the picture there
// itself, instead of into the manager's own segment for a copy. The
// server attaches seg on its first capture and keeps it attached until
// ReleaseSegment, which the owner of seg must call before it closes it.
// Where the server cannot attach it (MIT-SHM unusable, a server that
// does not share this machine's memory), the capture is copied into it.
func (wm *Manager) CaptureIntoSegment(id uint32, r geom.Rect, seg *framebuf.Segment) error {
	dst := seg.Bytes()
	if err := checkCapture(id, r, len(dst)); err != nil {
		return err
	}
	wm.capMu.Lock()
	defer wm.capMu.Unlock()
	xseg, ok := wm.attachLocked(seg)
	if !ok {
		return wm.captureLocked(id, r, dst)
	}
	return wm.shmGetImageLocked(id, r, xseg)
}

// ReleaseSegment has the X server detach seg, if a capture attached it;
// it returns once the server has let go (or the connection is gone), so
// that the segment is freed when its owner closes it.
func (wm *Manager) ReleaseSegment(seg *framebuf.Segment) {
	wm.capMu.Lock()
	defer wm.capMu.Unlock()
	xseg, found := wm.segs[seg]
	if !found {
		return
	}
	delete(wm.segs, seg)
	if wm.capClosed {
		return
	}
	if err := shm.DetachChecked(wm.cap, xseg).Check(); err != nil {
		wm.log.Debug("detaching a frame segment", "shmid", seg.ID(), "err", err)
	}
}

// attachLocked returns the X server's id of seg, attaching it on first
// use; ok is false when captures into it must be copied.
func (wm *Manager) attachLocked(seg *framebuf.Segment) (shm.Seg, bool) {
	if wm.shm == nil || wm.capClosed {
		return 0, false
	}
	if xseg, found := wm.segs[seg]; found {
		return xseg, true
	}
	if wm.segsRefused {
		return 0, false
	}
	xseg, err := shm.NewSegId(wm.cap)
	if err == nil {
		// Read-write: the server writes captures into it.
		err = shm.AttachChecked(wm.cap, xseg, uint32(seg.ID()), false).Check()
	}
	if err != nil {
		// It would refuse the next ones too (they are made alike): ask
		// no more.
		wm.segsRefused = true
		wm.log.Info("the X server cannot attach frame segments: captures into them are copied", "shmid", seg.ID(), "err", err)
		return 0, false
	}
	if wm.segs == nil {
		wm.segs = map[*framebuf.Segment]shm.Seg{}
	}
	wm.segs[seg] = xseg
	return xseg, true
}

func checkCapture(id uint32, r geom.Rect, size int) error {
	if r.Empty() {
		return fmt.Errorf("capture 0x%x: empty area", id)
	}
	if n := r.W * r.H * 4; size < n {
		return fmt.Errorf("capture 0x%x: buffer of %d bytes for %dx%d", id, size, r.W, r.H)
	}
	return nil
}

// captureLocked is CaptureInto with capMu held: through the manager's
// segment when the area fits, with plain GetImage otherwise.
func (wm *Manager) captureLocked(id uint32, r geom.Rect, dst []byte) error {
	n := r.W * r.H * 4
	if wm.shm != nil && n <= len(wm.shm.Data) {
		if err := wm.shmGetImageLocked(id, r, wm.shmSeg); err != nil {
			return err
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

// shmGetImageLocked has the X server write area r of id at the start of
// the attached segment xseg, which holds at least r.W*r.H*4 bytes.
func (wm *Manager) shmGetImageLocked(id uint32, r geom.Rect, xseg shm.Seg) error {
	rep, err := shm.GetImage(wm.cap, xproto.Drawable(id), int16(r.X), int16(r.Y), uint16(r.W), uint16(r.H),
		0xffffffff, xproto.ImageFormatZPixmap, xseg, 0).Reply()
	if err != nil {
		return fmt.Errorf("capture 0x%x: %w", id, err)
	}
	if rep.Depth != 24 && rep.Depth != 32 {
		return fmt.Errorf("capture 0x%x: depth %d is not supported", id, rep.Depth)
	}
	return nil
}

// CaptureScreen reads area r of the root window. Windows are redirected
// automatically, so the server composites them there in stacking order:
// this is what the screen shows.
func (wm *Manager) CaptureScreen(r geom.Rect) ([]byte, error) {
	return wm.Capture(uint32(wm.root), r)
}
