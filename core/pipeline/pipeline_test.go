package pipeline

import (
	"context"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
)

// fakeSource paints every pixel with its coordinates so that a draw's
// contents can be checked against its area.
type fakeSource struct {
	mu       sync.Mutex
	captures []Rect
}

func (f *fakeSource) CaptureInto(_ uint32, r Rect, dst []byte) error {
	f.mu.Lock()
	f.captures = append(f.captures, r)
	f.mu.Unlock()
	for y := 0; y < r.H; y++ {
		for x := 0; x < r.W; x++ {
			i := (y*r.W + x) * 4
			dst[i], dst[i+1], dst[i+2], dst[i+3] = byte(r.X+x), byte(r.Y+y), 7, 0
		}
	}
	return nil
}

type sink struct {
	ch chan wire.Packet
}

func (s *sink) send(p wire.Packet) error {
	s.ch <- p
	return nil
}

func (s *sink) next(t *testing.T) wire.Packet {
	t.Helper()
	select {
	case p := <-s.ch:
		return p
	case <-time.After(30 * time.Second):
		t.Fatal("no draw")
		return nil
	}
}

func (s *sink) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case p := <-s.ch:
		t.Fatalf("unexpected %v", p[:6])
	case <-time.After(d):
	}
}

func start(t *testing.T, cfg Config) (*Pipeline, *sink, *fakeSource) {
	t.Helper()
	src := &fakeSource{}
	s := &sink{ch: make(chan wire.Packet, 100)}
	cfg.Source, cfg.Send = src, s.send
	p := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go p.Run(ctx)
	return p, s, src
}

func drawRect(t *testing.T, p wire.Packet) Rect {
	t.Helper()
	if p.Type() != "draw" || len(p) != 11 {
		t.Fatalf("not a draw: %v", p)
	}
	d := xdraw(p)
	return Rect{X: int(d.X), Y: int(d.Y), W: int(d.Width), H: int(d.Height)}
}

// xdraw reads a draw the pipeline sent.
func xdraw(p wire.Packet) xpra.Draw {
	d, _ := xpra.ParseDraw(p)
	return d
}

// drawList is the data of a scroll or mmap draw.
func drawList(p wire.Packet) []any {
	l, _ := wire.AsList(xdraw(p).Data)
	return l
}

// decode checks a draw's encoding and returns its pixels.
func decode(t *testing.T, p wire.Packet) []byte {
	t.Helper()
	r := drawRect(t, p)
	if xdraw(p).Coding != "rgb32" {
		t.Errorf("coding %q", xdraw(p).Coding)
	}
	if stride := xdraw(p).Rowstride; int(stride) != r.W*4 {
		t.Errorf("rowstride %d for width %d", stride, r.W)
	}
	opts := xdraw(p).Options
	if opts.Str("rgb_format", "") != "BGRX" || opts.Int("lz4", 0) != 1 {
		t.Errorf("options %v", opts)
	}
	rc, ok := xdraw(p).Data.(wire.RawChunk)
	if !ok {
		t.Fatalf("data is %T", xdraw(p).Data)
	}
	n := binary.LittleEndian.Uint32(rc.Data)
	out := make([]byte, n)
	m, err := lz4.UncompressBlock(rc.Data[4:], out)
	if err != nil || m != int(n) || m != r.W*r.H*4 {
		t.Fatalf("lz4: %d of %d bytes for %v: %v", m, n, r, err)
	}
	return out
}

func TestBatchingMergesDamage(t *testing.T) {
	// A long batch delay: every damage below lands in the same batch.
	p, s, src := start(t, Config{BatchDelay: 500 * time.Millisecond})
	p.AddWindow(1, 0x100, 200, 100)
	p.Damage(1, Rect{X: 0, Y: 0, W: 10, H: 10}) // before Map: ignored
	p.Map(1)
	first := s.next(t)
	if r := drawRect(t, first); r != (Rect{X: 0, Y: 0, W: 200, H: 100}) {
		t.Fatalf("map drew %v, want the whole window", r)
	}
	if seq := xdraw(first).Sequence; seq != 1 {
		t.Errorf("first sequence %d", seq)
	}
	px := decode(t, first)
	if i := (5*200 + 9) * 4; px[i] != 9 || px[i+1] != 5 || px[i+2] != 7 {
		t.Errorf("pixel (9,5) = %v", px[i:i+4])
	}
	p.Ack(1, 1)
	for i := 0; i < 10; i++ {
		p.Damage(1, Rect{X: 10 + i*5, Y: 20, W: 5, H: 8})
	}
	p.Damage(1, Rect{X: 190, Y: 90, W: 50, H: 50}) // clipped to the window
	second := s.next(t)
	if r := drawRect(t, second); r != (Rect{X: 10, Y: 20, W: 190, H: 80}) {
		t.Errorf("batched draw %v, want the bounding box {10 20 190 80}", r)
	}
	if seq := xdraw(second).Sequence; seq != 2 {
		t.Errorf("second sequence %d", seq)
	}
	decode(t, second)
	s.none(t, time.Second)
	src.mu.Lock()
	n := len(src.captures)
	src.mu.Unlock()
	if n != 2 {
		t.Errorf("%d captures, want 2", n)
	}
}

func TestInFlightBound(t *testing.T) {
	p, s, _ := start(t, Config{BatchDelay: time.Millisecond, MaxInFlight: 2, AckTimeout: time.Hour})
	p.AddWindow(3, 0x200, 50, 50)
	p.Map(3)
	s.next(t)
	p.Damage(3, Rect{X: 0, Y: 0, W: 1, H: 1})
	s.next(t)
	// Two unacknowledged draws: further damage waits for an ack.
	for i := 0; i < 5; i++ {
		p.Damage(3, Rect{X: i, Y: i, W: 1, H: 1})
	}
	s.none(t, 500*time.Millisecond)
	p.Ack(3, 1)
	r := drawRect(t, s.next(t))
	if r != (Rect{X: 0, Y: 0, W: 5, H: 5}) {
		t.Errorf("after the ack: %v, want the merged {0 0 5 5}", r)
	}
	// Unknown acks and windows are harmless.
	p.Ack(3, 99)
	p.Ack(42, 1)
	p.Damage(42, Rect{X: 0, Y: 0, W: 1, H: 1})
	s.none(t, 300*time.Millisecond)
}

func TestUnmapAndRemoveStopDraws(t *testing.T) {
	p, s, _ := start(t, Config{BatchDelay: time.Millisecond})
	ctx := context.Background()
	p.AddWindow(1, 0x100, 20, 20)
	p.Map(1)
	s.next(t)
	p.Ack(1, 1)
	p.Unmap(1)
	p.Damage(1, Rect{X: 0, Y: 0, W: 5, H: 5})
	s.none(t, 300*time.Millisecond)
	p.Map(1)
	s.next(t)
	p.Remove(1)
	p.Damage(1, Rect{X: 0, Y: 0, W: 5, H: 5})
	p.Refresh(-1)
	s.none(t, 300*time.Millisecond)
	st := p.Stats(ctx)
	if st.Draws != 2 || st.Acks != 1 {
		t.Errorf("stats %+v", st)
	}
}

func BenchmarkEncodeLZ4(b *testing.B) {
	src := make([]byte, 1280*720*4)
	for i := range src {
		src[i] = byte(i / 4 % 251)
	}
	var e Encoder
	for b.Loop() {
		e.Encode(src)
	}
	b.SetBytes(int64(len(src)))
}

func TestStalledClient(t *testing.T) {
	stalled := make(chan struct{})
	// No Run: nothing drains the queue, as with a client that stopped
	// reading.
	p := New(Config{Source: &fakeSource{}, Send: func(wire.Packet) error { return nil }, OnStall: func() { close(stalled) }})
	for i := 0; i < 5000; i++ {
		p.Send(xpra.WindowMetadata{WID: 1, Metadata: wire.Dict{}}.Packet())
		p.Damage(1, Rect{X: 0, Y: 0, W: 1, H: 1})
	}
	select {
	case <-stalled:
	default:
		t.Fatal("OnStall was not called")
	}
}
