package pipeline

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/sdk/shm"
)

// segSource is a fakeSource that captures into frame segments, as the
// window manager does, and records what it held.
type segSource struct {
	fakeSource
	segMu    sync.Mutex
	held     map[*shm.Segment]bool // captured into and not released
	seen     []*shm.Segment        // in order of first capture
	released int
	plain    int // CaptureInto calls
	bad      []string
}

func (s *segSource) CaptureInto(xid uint32, r Rect, dst []byte) error {
	s.segMu.Lock()
	s.plain++
	s.segMu.Unlock()
	return s.fakeSource.CaptureInto(xid, r, dst)
}

func (s *segSource) CaptureIntoSegment(xid uint32, r Rect, seg *shm.Segment) error {
	s.segMu.Lock()
	if seg.Bytes() == nil {
		s.bad = append(s.bad, "capture into a closed segment")
	}
	if !s.held[seg] {
		s.held[seg] = true
		s.seen = append(s.seen, seg)
	}
	s.segMu.Unlock()
	return s.fakeSource.CaptureInto(xid, r, seg.Bytes())
}

func (s *segSource) ReleaseSegment(seg *shm.Segment) {
	s.segMu.Lock()
	defer s.segMu.Unlock()
	if seg.Bytes() == nil {
		s.bad = append(s.bad, "released after it was closed")
	}
	if !s.held[seg] {
		s.bad = append(s.bad, "released a segment it did not hold")
	}
	delete(s.held, seg)
	s.released++
}

// TestSegmentSourceCapturesIntoSegment: with a SegmentSource the frames
// of rgb32 draws are captured straight into the frame segment, and every
// segment the pipeline replaces or drops at the end of Run is released
// by the source before it is closed.
func TestSegmentSourceCapturesIntoSegment(t *testing.T) {
	probe, err := shm.Create(4096)
	if err != nil {
		t.Skipf("no System V shared memory: %v", err)
	}
	_ = probe.Close()
	src := &segSource{held: map[*shm.Segment]bool{}}
	s := &sink{ch: make(chan wire.Packet, 100)}
	p := New(Config{Source: src, Send: s.send})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()

	p.AddWindow(1, 0x100, 200, 100)
	p.Map(1)
	px := decode(t, s.next(t))
	if i := (5*200 + 9) * 4; px[i] != 9 || px[i+1] != 5 || px[i+2] != 7 {
		t.Errorf("pixel (9,5) = %v", px[i:i+4])
	}
	// Outgrowing the segment replaces it.
	p.Resize(1, 400, 300)
	p.Damage(1, Rect{X: 0, Y: 0, W: 400, H: 300})
	var r Rect
	for r.W != 400 {
		pkt := s.next(t)
		r = drawRect(t, pkt)
		p.Ack(1, xdraw(pkt).Sequence)
	}
	src.segMu.Lock()
	if len(src.seen) != 2 || src.released != 1 || len(src.held) != 1 {
		t.Errorf("after a resize: %d segments captured into, %d released, %d held; want 2, 1, 1", len(src.seen), src.released, len(src.held))
	}
	src.segMu.Unlock()

	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
	src.segMu.Lock()
	defer src.segMu.Unlock()
	if src.plain != 0 {
		t.Errorf("%d captures into Go memory, want all into the segment", src.plain)
	}
	if len(src.held) != 0 || src.released != len(src.seen) {
		t.Errorf("after Run: %d segments still held, %d of %d released", len(src.held), src.released, len(src.seen))
	}
	for _, seg := range src.seen {
		if seg.Bytes() != nil {
			t.Errorf("segment %d is still mapped after Run", seg.ID())
		}
	}
	for _, b := range src.bad {
		t.Error(b)
	}
}
