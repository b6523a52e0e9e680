package shm

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// Segment is a mapped System V shared memory segment.
type Segment struct {
	id    int
	data  []byte
	owner bool
}

// Create makes and maps a new private segment of size bytes, readable and
// writable by this user only. The caller must Close it.
func Create(size int) (*Segment, error) {
	if size <= 0 {
		return nil, fmt.Errorf("shm: bad size %d", size)
	}
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return nil, fmt.Errorf("shmget: %w", err)
	}
	data, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		_, _ = unix.SysvShmCtl(id, unix.IPC_RMID, nil)
		return nil, fmt.Errorf("shmat: %w", err)
	}
	return &Segment{id: id, data: data, owner: true}, nil
}

// Attach maps an existing segment by id.
func Attach(id int) (*Segment, error) {
	data, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("shmat %d: %w", id, err)
	}
	return &Segment{id: id, data: data}, nil
}

// ID is the segment id other processes attach by.
func (s *Segment) ID() int { return s.id }

// Bytes is the mapped memory; it is invalid after Close.
func (s *Segment) Bytes() []byte { return s.data }

// Close unmaps the segment, and removes it when this process created it
// (the memory lives on until every process has detached).
func (s *Segment) Close() error {
	if s == nil || s.data == nil {
		return nil
	}
	err := unix.SysvShmDetach(s.data)
	s.data = nil
	if s.owner {
		if _, rerr := unix.SysvShmCtl(s.id, unix.IPC_RMID, nil); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	if err != nil {
		return fmt.Errorf("shm close %d: %w", s.id, err)
	}
	return nil
}

// Cache keeps the segments a plugin has attached, by id, so that each is
// mapped once. It is safe for concurrent use.
type Cache struct {
	mu   sync.Mutex
	segs map[int]*Segment
}

// Get returns the segment id, attaching it on first use.
func (c *Cache) Get(id int) (*Segment, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.segs[id]; ok {
		return s, nil
	}
	s, err := Attach(id)
	if err != nil {
		return nil, err
	}
	c.sweep()
	if c.segs == nil {
		c.segs = map[int]*Segment{}
	}
	c.segs[id] = s
	return s, nil
}

// shmDest is the mode bit of a segment its creator has removed: it lives
// on only while something has it attached.
const shmDest = 0o1000

// sweep detaches the cached segments that their creator has removed (a
// host replaces its frame segment when frames outgrow it), so that a
// long-lived plugin does not keep every old segment mapped. It runs when
// a new segment is attached, which is when an old one was replaced.
func (c *Cache) sweep() {
	for id, s := range c.segs {
		var d unix.SysvShmDesc
		if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &d); err == nil && d.Perm.Mode&shmDest == 0 {
			continue
		}
		delete(c.segs, id)
		_ = s.Close() // a failed detach leaves nothing to retry
	}
}

// Forget detaches id, for a segment its creator has replaced.
func (c *Cache) Forget(id int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.segs[id]
	if !ok {
		return nil
	}
	delete(c.segs, id)
	return s.Close()
}

// Close detaches every segment.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for id, s := range c.segs {
		errs = append(errs, s.Close())
		delete(c.segs, id)
	}
	return errors.Join(errs...)
}
