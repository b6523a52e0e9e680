package plugin_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/plugintest"
	"github.com/xroam/xroam/sdk/schema"
	"github.com/xroam/xroam/sdk/shm"
)

// sized returns an output of Options["n"] bytes derived from Options["seed"],
// built in the lent output when Options["inplace"] is set; it records the
// room each call was lent.
type sized struct {
	mu   sync.Mutex
	lent []int // cap(Output) per call; -1 when none was lent
}

func (s *sized) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: []string{"sized"}}, nil
}

func (s *sized) Encode(_ context.Context, req *encoder.Request) (*encoder.Response, error) {
	n, _ := req.Options["n"].(int64)
	seed, _ := req.Options["seed"].(int64)
	lent := -1
	if req.Output != nil {
		lent = cap(req.Output)
	}
	s.mu.Lock()
	s.lent = append(s.lent, lent)
	s.mu.Unlock()
	var out []byte
	if req.Options["inplace"] == true && cap(req.Output) >= int(n) {
		out = req.Output[:n]
	} else {
		out = make([]byte, n)
	}
	fill(out, seed)
	// Start the data a little into the output, as a header-less slice
	// of it would.
	if len(out) > 8 {
		out = out[8:]
	}
	return &encoder.Response{Encoding: "sized", Data: out, Width: req.Frame.Width, Height: req.Frame.Height}, nil
}

func fill(b []byte, seed int64) {
	for i := range b {
		b[i] = byte(int64(i)*7 + seed)
	}
}

func want(n, seed int64) []byte {
	b := make([]byte, n)
	fill(b, seed)
	if n > 8 {
		b = b[8:]
	}
	return b
}

func sizedPlugin(s *sized, versions []int) plugin.Encoder {
	return plugin.Encoder{Name: "sized", Version: "1", APIVersions: versions,
		New: func(context.Context, schema.Values) (encoder.Encoder, error) { return s, nil }}
}

func frame(t *testing.T) encoder.Frame {
	t.Helper()
	seg, err := shm.Create(16 * 16 * 4)
	if err != nil {
		t.Skipf("no System V shared memory: %v", err)
	}
	t.Cleanup(func() { _ = seg.Close() })
	f, err := encoder.FrameIn(seg, 0, 16, 16, 64, "BGRX")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestEncodeOutputRegion: at API version 2 the output comes back through
// the lent segment, whether the encoder built it there or not; an output
// larger than the segment comes back by value and the next call gets a
// larger segment.
func TestEncodeOutputRegion(t *testing.T) {
	ctx := context.Background()
	s := &sized{}
	e := plugintest.Encoder(t, sizedPlugin(s, nil), nil)
	f := frame(t)
	big := int64(3 << 20)
	for i, c := range []struct {
		n       int64
		inplace bool
	}{{1000, true}, {1000, false}, {0, false}, {big, true}, {big, true}, {big, false}, {100, true}} {
		r, err := e.Encode(ctx, &encoder.Request{Encoding: "sized", Frame: f,
			Options: map[string]any{"n": c.n, "seed": int64(i), "inplace": c.inplace}})
		if err != nil {
			t.Fatal(err)
		}
		if w := want(c.n, int64(i)); !bytes.Equal(r.Data, w) || r.Width != 16 {
			t.Fatalf("call %d: %d bytes back, want %d", i, len(r.Data), len(w))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lent[0] <= 0 || s.lent[3] >= int(big) {
		t.Fatalf("lent %v: a region first, smaller than %d", s.lent, big)
	}
	if s.lent[4] < int(big) {
		t.Fatalf("lent %v: the region did not grow after a %d-byte output", s.lent, big)
	}
}

// TestEncodeOutputParallel: calls in flight together each get their own
// region, so no output overwrites another.
func TestEncodeOutputParallel(t *testing.T) {
	ctx := context.Background()
	e := plugintest.Encoder(t, sizedPlugin(&sized{}, nil), nil)
	f := frame(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				seed, n := int64(g*100+i), int64(4096+g*512)
				r, err := e.Encode(ctx, &encoder.Request{Encoding: "sized", Frame: f,
					Options: map[string]any{"n": n, "seed": seed, "inplace": i%2 == 0}})
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(r.Data, want(n, seed)) {
					errs <- fmt.Errorf("goroutine %d call %d: output overwritten", g, i)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestEncodeAPIv1: a plugin that speaks only version 1 is lent no region
// and sends its output by value.
func TestEncodeAPIv1(t *testing.T) {
	s := &sized{}
	e := plugintest.Encoder(t, sizedPlugin(s, []int{1}), nil)
	r, err := e.Encode(context.Background(), &encoder.Request{Encoding: "sized", Frame: frame(t),
		Options: map[string]any{"n": int64(5000), "seed": int64(3), "inplace": true}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Data, want(5000, 3)) {
		t.Fatalf("%d bytes back", len(r.Data))
	}
	if s.lent[0] != -1 {
		t.Fatalf("a version 1 plugin was lent %d bytes", s.lent[0])
	}
}

// TestEncodeBorrow: a Borrow request gets its output in the lent segment
// itself. Until Done the segment is not lent again, so later calls do not
// overwrite the data; after Done it is, and the next output lies in the
// same memory. A request without Borrow gets a copy it owns.
func TestEncodeBorrow(t *testing.T) {
	ctx := context.Background()
	e := plugintest.Encoder(t, sizedPlugin(&sized{}, nil), nil)
	f := frame(t)
	enc := func(seed int64, borrow bool) *encoder.Response {
		t.Helper()
		r, err := e.Encode(ctx, &encoder.Request{Encoding: "sized", Frame: f, Borrow: borrow,
			Options: map[string]any{"n": int64(4096), "seed": seed, "inplace": seed%2 == 0}})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.Data, want(4096, seed)) {
			t.Fatalf("seed %d: wrong output", seed)
		}
		return r
	}
	first := enc(1, true)
	if first.Release == nil {
		t.Fatal("a borrowed output has no Release")
	}
	// Calls while first is held, with and without Borrow.
	second := enc(2, true)
	copied := enc(3, false)
	if copied.Release != nil {
		t.Fatal("a copied output has a Release")
	}
	if &second.Data[0] == &first.Data[0] {
		t.Fatal("a held segment was lent again")
	}
	if !bytes.Equal(first.Data, want(4096, 1)) || !bytes.Equal(second.Data, want(4096, 2)) {
		t.Fatal("a borrowed output was overwritten while held")
	}
	addr := &first.Data[0]
	first.Done()
	first.Done() // a second Done does nothing
	second.Done()
	copied.Done()
	if !bytes.Equal(copied.Data, want(4096, 3)) {
		t.Fatal("a copied output changed after Done")
	}
	// The pool hands out the segment given back last: second's, then
	// first's.
	third, fourth := enc(5, true), enc(7, true)
	defer third.Done()
	defer fourth.Done()
	if &fourth.Data[0] != addr {
		t.Fatal("a segment given back with Done was not lent again")
	}
}
