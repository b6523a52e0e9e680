package x11

import (
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"golang.org/x/sys/unix"
)

// SHMSegment is a SysV shared memory segment the X server reads or
// writes. xgb cannot pass file descriptors, so the segment is named by
// its SysV id; it is marked for removal as soon as it is mapped here, so
// that it goes away with the process whatever happens.
type SHMSegment struct {
	ID   int
	Data []byte
}

// Detach unmaps the segment here; it is gone once the X server lets go.
func (s *SHMSegment) Detach() { _ = unix.SysvShmDetach(s.Data) }

// NewSHMSegment makes a segment of size bytes and has the X server on c
// attach it; readOnly when the server only reads it (paints).
func NewSHMSegment(c *xgb.Conn, size int, readOnly bool) (*SHMSegment, shm.Seg, error) {
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
	return &SHMSegment{ID: id, Data: data}, xseg, nil
}
