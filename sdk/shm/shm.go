package shm

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// Segment is a mapped System V shared memory segment.
type Segment struct {
	id   int
	data []byte
}

// Create makes and maps a new private segment of size bytes, readable and
// writable by this user only. The caller must Close it.
//
// The segment is marked for removal as soon as it is mapped: Linux still
// lets other processes (an encoder plugin, the X server) attach it by id
// while any process has it attached, and frees it when the last one
// detaches, so a creator killed by SIGKILL leaves nothing behind. Only a
// kill between shmget and shmat could still leak one.
func Create(size int) (*Segment, error) {
	if size <= 0 {
		return nil, fmt.Errorf("shm: bad size %d", size)
	}
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return nil, fmt.Errorf("shmget: %w", err)
	}
	data, err := unix.SysvShmAttach(id, 0, 0)
	if _, rerr := unix.SysvShmCtl(id, unix.IPC_RMID, nil); err == nil && rerr != nil {
		_ = unix.SysvShmDetach(data)
		return nil, fmt.Errorf("shmctl IPC_RMID %d: %w", id, rerr)
	}
	if err != nil {
		return nil, fmt.Errorf("shmat: %w", err)
	}
	return &Segment{id: id, data: data}, nil
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

// Close unmaps the segment; the memory lives on until every process has
// detached. It does not remove the segment again: Create already has,
// and once the last process has detached its id may name another
// process's new segment.
func (s *Segment) Close() error {
	if s == nil || s.data == nil {
		return nil
	}
	err := unix.SysvShmDetach(s.data)
	s.data = nil
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

// sweep detaches the cached segments that no other process has attached
// any more (a host replaces its frame segment when frames outgrow it, and
// detaches the old one), so that a long-lived plugin does not keep every
// old segment mapped. It runs when a new segment is attached, which is
// when an old one was replaced. Creators mark their segments for removal
// at once (see Create), so the attach count, not the removal mark, tells
// a replaced segment from one in use.
func (c *Cache) sweep() {
	for id, s := range c.segs {
		var d unix.SysvShmDesc
		if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &d); err == nil && d.Nattch > 1 {
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
