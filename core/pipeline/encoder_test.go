package pipeline

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/sdk/encoder"
)

// fakeEncoder "encodes" a frame as its first row; it fails while down.
// (The real plugins are tested through the plugin host, in pluginhost
// and cmd/xroam.)
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
	if drawRect(t, d) != (Rect{X: 0, Y: 0, W: 20, H: 10}) || d.Str(6) != "png" {
		t.Fatalf("draw %v", d[:7])
	}
	if stride, _ := d.Int(9); stride != 0 {
		t.Errorf("rowstride %d, want 0", stride)
	}
	if q := d.Dict(10).Int("quality", -1); q != 42 {
		t.Errorf("options %v: want quality 42 as an integer", d.Dict(10))
	}
	if rc, ok := d[7].(wire.RawChunk); !ok || len(rc.Data) != 80 || rc.Data[4] != 1 {
		t.Errorf("data %T %v", d[7], d[7])
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
	seq, _ := d.Int(8)
	p.Ack(1, seq)

	// The encoder goes down: the frame goes out as rgb32, and the next
	// frame after it recovers is png again.
	fe.setDown(true)
	p.Damage(1, Rect{X: 0, Y: 0, W: 5, H: 5})
	d = s.next(t)
	if d.Str(6) != "rgb32" || drawRect(t, d) != (Rect{X: 0, Y: 0, W: 5, H: 5}) {
		t.Fatalf("fallback draw %v", d[:7])
	}
	decode(t, d)
	seq, _ = d.Int(8)
	p.Ack(1, seq)
	fe.setDown(false)
	p.Damage(1, Rect{X: 1, Y: 1, W: 4, H: 4})
	if d = s.next(t); d.Str(6) != "png" {
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
