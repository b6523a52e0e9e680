package x11

import (
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xproto"
	"golang.org/x/sys/unix"
)

// shmSegment is a SysV shared memory segment the X server reads or
// writes. xgb cannot pass file descriptors, so the segment is named by
// its SysV id; it is marked for removal as soon as it is mapped here, so
// that it goes away with the process whatever happens.
type shmSegment struct {
	id   int
	data []byte
}

func (s *shmSegment) detach() { _ = unix.SysvShmDetach(s.data) }

// newSHMSegment makes a segment of size bytes and has the X server on c
// attach it; readOnly when the server only reads it (paints).
func newSHMSegment(c *xgb.Conn, size int, readOnly bool) (*shmSegment, shm.Seg, error) {
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("shmget: %w", err)
	}
	data, err := unix.SysvShmAttach(id, 0, 0)
	// Removed at once, before the X server attaches it by id (Linux
	// allows that): it lives until both sides detach, and a SIGKILL at
	// any later point leaks nothing.
	_, _ = unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("shmat: %w", err)
	}
	xseg, err := shm.NewSegId(c)
	if err == nil {
		err = shm.AttachChecked(c, xseg, uint32(id), readOnly).Check()
	}
	if err != nil {
		_ = unix.SysvShmDetach(data)
		return nil, 0, fmt.Errorf("the X server cannot attach the segment: %w", err)
	}
	return &shmSegment{id: id, data: data}, xseg, nil
}

// setupSHM prepares a segment as large as the screen; on any failure the
// capture falls back to plain GetImage.
func (wm *WM) setupSHM() {
	if err := shm.Init(wm.cap); err != nil {
		wm.log.Info("MIT-SHM unavailable: capturing with GetImage", "err", err)
		return
	}
	setup := xproto.Setup(wm.cap)
	scr := setup.Roots[wm.cap.DefaultScreen]
	seg, xseg, err := newSHMSegment(wm.cap, int(scr.WidthInPixels)*int(scr.HeightInPixels)*4, false)
	if err != nil {
		wm.log.Info("no MIT-SHM segment: capturing with GetImage", "err", err)
		return
	}
	wm.shm, wm.shmSeg = seg, xseg
}

// UsesSHM reports whether captures go through shared memory.
func (wm *WM) UsesSHM() bool {
	wm.capMu.Lock()
	defer wm.capMu.Unlock()
	return wm.shm != nil
}

// Capture reads area r of window id into a new BGRX buffer with stride
// r.W*4 (the layout of a 24-bit TrueColor display on little-endian).
func (wm *WM) Capture(id uint32, r Rect) ([]byte, error) {
	out := make([]byte, r.W*r.H*4)
	if err := wm.CaptureInto(id, r, out); err != nil {
		return nil, err
	}
	return out, nil
}

// CaptureInto is Capture writing into dst, which holds r.W*r.H*4 bytes.
func (wm *WM) CaptureInto(id uint32, r Rect, dst []byte) error {
	if r.Empty() {
		return fmt.Errorf("capture 0x%x: empty area", id)
	}
	n := r.W * r.H * 4
	if len(dst) < n {
		return fmt.Errorf("capture 0x%x: buffer of %d bytes for %dx%d", id, len(dst), r.W, r.H)
	}
	wm.capMu.Lock()
	defer wm.capMu.Unlock()
	if wm.shm != nil && n <= len(wm.shm.data) {
		rep, err := shm.GetImage(wm.cap, xproto.Drawable(id), int16(r.X), int16(r.Y), uint16(r.W), uint16(r.H),
			0xffffffff, xproto.ImageFormatZPixmap, wm.shmSeg, 0).Reply()
		if err != nil {
			return fmt.Errorf("capture 0x%x: %w", id, err)
		}
		if rep.Depth != 24 && rep.Depth != 32 {
			return fmt.Errorf("capture 0x%x: depth %d is not supported", id, rep.Depth)
		}
		copy(dst, wm.shm.data[:n])
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
func (wm *WM) CaptureScreen(r Rect) ([]byte, error) {
	return wm.Capture(uint32(wm.root), r)
}
