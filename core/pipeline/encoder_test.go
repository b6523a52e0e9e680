package pipeline

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/sdk/encoder"
)

// fakeEncoder "encodes" a frame as its first row; it fails while down.
// (The real plugins are tested through the plugin host, in pluginhost
// and tests/e2e.)
type fakeEncoder struct {
	mu    sync.Mutex
	down  bool
	reqs  []encoder.Request
	inShm bool
}

func (f *fakeEncoder) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: []string{"png"}}, nil
}

func (f *fakeEncoder) Encode(_ context.Context, req *encoder.Request) (*encoder.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errors.New("plugin unavailable")
	}
	f.reqs = append(f.reqs, *req)
	f.inShm = req.Frame.Shm != nil
	return &encoder.Response{Encoding: req.Encoding, Data: bytes.Clone(req.Frame.Pixels[:req.Frame.Width*4]),
		Width: req.Frame.Width, Height: req.Frame.Height, Options: map[string]any{"quality": float64(42)}}, nil
}

func (f *fakeEncoder) setDown(v bool) {
	f.mu.Lock()
	f.down = v
	f.mu.Unlock()
}

func TestEncoderDrawsAndFallback(t *testing.T) {
	fe := &fakeEncoder{}
	p, s, _ := start(t, Config{Encoding: "png", Encoder: fe, Quality: 42})
	if p.Encoding() != "png" {
		t.Fatalf("encoding %q", p.Encoding())
	}
	p.AddWindow(1, 0x100, 20, 10)
	p.Map(1)
	d := s.next(t)
	if drawRect(t, d) != (Rect{X: 0, Y: 0, W: 20, H: 10}) || xdraw(d).Coding != "png" {
		t.Fatalf("draw %v", d[:7])
	}
	if stride := xdraw(d).Rowstride; stride != 0 {
		t.Errorf("rowstride %d, want 0", stride)
	}
	if q := xdraw(d).Options.Int("quality", -1); q != 42 {
		t.Errorf("options %v: want quality 42 as an integer", xdraw(d).Options)
	}
	if rc, ok := xdraw(d).Data.(wire.RawChunk); !ok || len(rc.Data) != 80 || rc.Data[4] != 1 {
		t.Errorf("data %T %v", xdraw(d).Data, xdraw(d).Data)
	}
	fe.mu.Lock()
	req := fe.reqs[0]
	inShm := fe.inShm
	fe.mu.Unlock()
	if req.Quality != 42 || req.Frame.Format != "BGRX" || req.Frame.Stride != 80 {
		t.Errorf("request %+v", req)
	}
	if !inShm {
		t.Log("the frame was not in shared memory (no System V shm here?)")
	}
	seq := xdraw(d).Sequence
	p.Ack(1, seq)

	// The encoder goes down: the frame goes out as rgb32, and the next
	// frame after it recovers is png again.
	fe.setDown(true)
	p.Damage(1, Rect{X: 0, Y: 0, W: 5, H: 5})
	d = s.next(t)
	if xdraw(d).Coding != "rgb32" || drawRect(t, d) != (Rect{X: 0, Y: 0, W: 5, H: 5}) {
		t.Fatalf("fallback draw %v", d[:7])
	}
	decode(t, d)
	seq = xdraw(d).Sequence
	p.Ack(1, seq)
	fe.setDown(false)
	p.Damage(1, Rect{X: 1, Y: 1, W: 4, H: 4})
	if d = s.next(t); xdraw(d).Coding != "png" {
		t.Fatalf("after recovery: %v", d[:7])
	}
	st := p.Stats(context.Background())
	if st.ByEncoding["png"] != 2 || st.ByEncoding["rgb32"] != 1 || st.Fallbacks != 1 || st.Draws != 3 {
		t.Fatalf("stats %+v", st)
	}
}

// TestNoEncoderIsRGB: an encoding without an encoder is the built-in rgb32.
func TestNoEncoderIsRGB(t *testing.T) {
	p, s, _ := start(t, Config{Encoding: "jpeg"})
	if p.Encoding() != RGB32 {
		t.Fatalf("encoding %q", p.Encoding())
	}
	p.AddWindow(1, 0x100, 4, 4)
	p.Map(1)
	decode(t, s.next(t))
}

// lendingEncoder lends its outputs as an encoder plugin's client does
// for a Borrow request, and checks when they come back.
type lendingEncoder struct {
	sent     *atomic.Int64 // draws the client has been sent
	mu       sync.Mutex
	encodes  int
	released int
	early    []int // encodes whose output came back before their draw was sent
	wrong    bool  // answer with another encoding than asked
	borrowed bool  // every request had Borrow
}

func (l *lendingEncoder) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: []string{"png"}}, nil
}

func (l *lendingEncoder) Encode(_ context.Context, req *encoder.Request) (*encoder.Response, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.encodes++
	n := l.encodes
	l.borrowed = (n == 1 || l.borrowed) && req.Borrow
	enc := req.Encoding
	if l.wrong {
		enc = "webp"
	}
	return &encoder.Response{Encoding: enc, Data: []byte{1, 2, 3}, Width: req.Frame.Width, Height: req.Frame.Height,
		Release: func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.released++
			if !l.wrong && l.sent.Load() < int64(n) {
				l.early = append(l.early, n)
			}
		}}, nil
}

func (l *lendingEncoder) counts() (encodes, released int, early []int, borrowed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.encodes, l.released, append([]int(nil), l.early...), l.borrowed
}

// TestBorrowedOutputsGoBack: the pipeline borrows the encoder's outputs
// and gives each back once, after its draw has been sent; one it cannot
// use (the wrong encoding) goes back at once.
func TestBorrowedOutputsGoBack(t *testing.T) {
	var sent atomic.Int64
	le := &lendingEncoder{sent: &sent}
	src := &fakeSource{}
	s := &sink{ch: make(chan wire.Packet, 100)}
	p := New(Config{Encoding: "png", Encoder: le, Source: src, Send: func(pkt wire.Packet) error {
		sent.Add(1)
		return s.send(pkt)
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	p.AddWindow(1, 0x100, 20, 10)
	p.Map(1)
	for i := range 3 {
		d := s.next(t)
		if xdraw(d).Coding != "png" {
			t.Fatalf("draw %d: %v", i, d[:7])
		}
		seq := xdraw(d).Sequence
		p.Ack(1, seq)
		p.Damage(1, Rect{X: 0, Y: 0, W: 4, H: 4})
	}
	s.next(t)
	encodes, released, early, borrowed := le.counts()
	if !borrowed {
		t.Error("the pipeline did not ask to borrow")
	}
	if len(early) > 0 {
		t.Errorf("outputs of encodes %v came back before their draws were sent", early)
	}
	if released < encodes-1 || released > encodes {
		t.Errorf("%d outputs back after %d encodes", released, encodes)
	}
	// An answer in the wrong encoding is not sent, and goes back at once.
	le.mu.Lock()
	le.wrong = true
	le.mu.Unlock()
	p.Ack(1, 4)
	p.Damage(1, Rect{X: 0, Y: 0, W: 4, H: 4})
	if d := s.next(t); xdraw(d).Coding != "rgb32" {
		t.Fatalf("a wrong encoding was sent: %v", d[:7])
	}
	cancel()
	<-done
	encodes, released, _, _ = le.counts()
	if released != encodes {
		t.Errorf("%d outputs back after %d encodes and the end of Run", released, encodes)
	}
}
