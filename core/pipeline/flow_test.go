package pipeline

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"

	"github.com/xroam/xroam/core/wire"
)

// noiseSource is a screen of windows whose contents change with a
// version per window; its pixels are pseudo-random, so that lz4 cannot
// shrink them and a draw costs about 4 bytes per pixel.
type noiseSource struct {
	mu  sync.Mutex
	ver map[uint32]int
}

func pixel(xid uint32, ver, x, y int) [4]byte {
	h := uint32(x)*0x9E3779B1 ^ uint32(y)*0x85EBCA77 ^ uint32(ver)*0xC2B2AE3D ^ xid*0x27D4EB2F
	h ^= h >> 15
	h *= 0x2C1B3C6D
	h ^= h >> 12
	return [4]byte{byte(h), byte(h >> 8), byte(h >> 16), 0}
}

func (s *noiseSource) bump(xid uint32) {
	s.mu.Lock()
	s.ver[xid]++
	s.mu.Unlock()
}

func (s *noiseSource) CaptureInto(xid uint32, r Rect, dst []byte) error {
	s.mu.Lock()
	v := s.ver[xid]
	s.mu.Unlock()
	for y := 0; y < r.H; y++ {
		for x := 0; x < r.W; x++ {
			px := pixel(xid, v, r.X+x, r.Y+y)
			copy(dst[(y*r.W+x)*4:], px[:])
		}
	}
	return nil
}

// want is the whole of window xid as the source has it now.
func (s *noiseSource) want(xid uint32, w, h int) []byte {
	out := make([]byte, w*h*4)
	_ = s.CaptureInto(xid, Rect{X: 0, Y: 0, W: w, H: h}, out)
	return out
}

// canvasClient is the client side of a test: it paints every draw into
// a canvas per window (rgb32 exactly; any other encoding as a grey
// approximation) and acks the draws of the windows it is acking.
type canvasClient struct {
	p *Pipeline
	w int // every test window is w x w

	mu       sync.Mutex
	canvas   map[int64][]byte
	hold     map[int64]bool // windows whose acks are held back
	held     map[int64][]int64
	draws    map[int64]int
	bytes    int64
	encs     []string
	rects    []Rect // of each draw, beside encs
	zlib     int    // rgb32 draws compressed with zlib
	last     time.Time
	lastDraw wire.Packet
}

func newCanvasClient(w int) *canvasClient {
	return &canvasClient{w: w, canvas: map[int64][]byte{}, hold: map[int64]bool{}, held: map[int64][]int64{}, draws: map[int64]int{}}
}

func (c *canvasClient) send(pkt wire.Packet) error {
	if pkt.Type() != "draw" {
		return nil
	}
	d := xdraw(pkt)
	wid, x, y, w, h, seq, enc := d.WID, d.X, d.Y, d.Width, d.Height, d.Sequence, d.Coding
	if enc == "scroll" {
		return c.scroll(pkt, wid, seq)
	}
	data := d.Data.(wire.RawChunk).Data
	var px []byte
	opts := d.Options
	switch {
	case enc == "rgb32" && opts.Int("zlib", 0) > 0:
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("zlib: %w", err)
		}
		if px, err = io.ReadAll(zr); err != nil {
			return fmt.Errorf("zlib: %w", err)
		}
		c.mu.Lock()
		c.zlib++
		c.mu.Unlock()
	case enc == "rgb32":
		n := binary.LittleEndian.Uint32(data)
		px = make([]byte, n)
		if _, err := lz4.UncompressBlock(data[4:], px); err != nil {
			return fmt.Errorf("lz4: %w", err)
		}
	default:
		px = bytes.Repeat([]byte{0x80}, int(w*h*4))
	}
	c.mu.Lock()
	cv := c.canvas[wid]
	if cv == nil {
		cv = make([]byte, c.w*c.w*4)
		c.canvas[wid] = cv
	}
	for row := 0; row < int(h); row++ {
		copy(cv[((int(y)+row)*c.w+int(x))*4:], px[row*int(w)*4:(row+1)*int(w)*4])
	}
	c.draws[wid]++
	c.bytes += int64(len(data))
	c.encs = append(c.encs, enc)
	c.rects = append(c.rects, Rect{X: int(x), Y: int(y), W: int(w), H: int(h)})
	c.last = time.Now()
	c.lastDraw = pkt
	hold := c.hold[wid]
	if hold {
		c.held[wid] = append(c.held[wid], seq)
	}
	c.mu.Unlock()
	if !hold {
		c.p.Ack(wid, seq)
	}
	return nil
}

// release acks what was held back for wid and acks its draws from now on.
func (c *canvasClient) release(wid int64) {
	c.mu.Lock()
	seqs := c.held[wid]
	c.held[wid] = nil
	c.hold[wid] = false
	c.mu.Unlock()
	for _, s := range seqs {
		c.p.Ack(wid, s)
	}
}

// settle waits until no draw came for quiet.
func (c *canvasClient) settle(t *testing.T, quiet time.Duration) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(quiet / 4)
		c.mu.Lock()
		idle := time.Since(c.last)
		c.mu.Unlock()
		if idle >= quiet {
			return
		}
	}
	t.Fatal("the draws never stopped")
}

func (c *canvasClient) matches(t *testing.T, src *noiseSource, wid int64, xid uint32) {
	t.Helper()
	c.mu.Lock()
	got := bytes.Clone(c.canvas[wid])
	c.mu.Unlock()
	if want := src.want(xid, c.w, c.w); !bytes.Equal(got, want) {
		t.Errorf("window %d: the client's pixels differ from the server's", wid)
	}
}

func startCanvas(t *testing.T, cfg Config, w int) (*Pipeline, *canvasClient, *noiseSource) {
	t.Helper()
	src := &noiseSource{ver: map[uint32]int{}}
	c := newCanvasClient(w)
	cfg.Source, cfg.Send = src, c.send
	p := New(cfg)
	c.p = p
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go p.Run(ctx)
	return p, c, src
}

// TestSlowClientBounded: a client that stops acking some windows gets
// no more than the connection's budget of them, the windows it does ack
// keep flowing, and once it acks again the final pixels are right.
func TestSlowClientBounded(t *testing.T) {
	const side = 128 // 64 KiB a frame
	const frame = side * side * 4
	// The windows change without pause: pacing is off, this is about the budget.
	p, c, src := startCanvas(t, Config{BatchDelay: time.Millisecond, AckTimeout: time.Hour, MaxUnackedBytes: 2 * frame, FloodInterval: -1}, side)
	for wid := int64(1); wid <= 4; wid++ {
		if wid < 4 {
			c.hold[wid] = true
		}
		p.AddWindow(wid, uint32(wid), side, side)
		p.Map(wid)
	}
	stop := time.Now().Add(time.Second)
	for time.Now().Before(stop) {
		for wid := int64(1); wid <= 4; wid++ {
			src.bump(uint32(wid))
			p.Damage(wid, Rect{X: 0, Y: 0, W: side, H: side})
		}
		time.Sleep(2 * time.Millisecond)
	}
	c.settle(t, 300*time.Millisecond)
	c.mu.Lock()
	stalled := c.draws[1] + c.draws[2] + c.draws[3]
	flowing := c.draws[4]
	c.mu.Unlock()
	st := p.Stats(context.Background())
	t.Logf("unacked windows: %d draws; acked window: %d draws; unacked %d bytes of a %d budget", stalled, flowing, st.Unacked, st.Budget)
	// Each unacked window may have one draw out whatever the budget;
	// beyond that the budget of two frames holds.
	if stalled > 3 || st.Unacked > st.Budget+frame+frame/10 {
		t.Errorf("%d draws (%d bytes) unacknowledged: the connection budget of %d was not kept", stalled, st.Unacked, st.Budget)
	}
	if flowing < 20 {
		t.Errorf("the window the client acks got only %d draws while the others waited", flowing)
	}
	for wid := int64(1); wid <= 3; wid++ {
		c.release(wid)
	}
	c.settle(t, 300*time.Millisecond)
	for wid := int64(1); wid <= 4; wid++ {
		c.matches(t, src, wid, uint32(wid))
	}
	if st := p.Stats(context.Background()); st.Unacked != 0 {
		t.Errorf("%d bytes still unacknowledged after every ack", st.Unacked)
	}
}

func TestBudgetFollowsTheLink(t *testing.T) {
	var f connFlow
	if f.budget() != startBudget {
		t.Fatalf("budget before any ack %d", f.budget())
	}
	now := time.Now()
	// 50 MB/s acked at 100 ms latency: 10 MB in flight keeps it busy.
	for i := 0; i < 40; i++ {
		now = now.Add(10 * time.Millisecond)
		f.sent(500_000)
		f.acked(500_000, 100*time.Millisecond, now)
	}
	if b := f.budget(); b < 8_000_000 || b > 12_000_000 {
		t.Errorf("budget %d for 50 MB/s at 100 ms, want about 10 MB", b)
	}
	// A slow link: the floor.
	var g connFlow
	for i := 0; i < 40; i++ {
		now = now.Add(100 * time.Millisecond)
		g.sent(1000)
		g.acked(1000, 5*time.Millisecond, now)
	}
	if g.budget() != minBudget {
		t.Errorf("budget %d on a slow link, want the floor %d", g.budget(), minBudget)
	}
}

// TestBandwidthLimitPaces: with a 1 Mbps limit a window that changes
// all the time is sent at about 125 KB/s, and its final picture arrives.
func TestBandwidthLimitPaces(t *testing.T) {
	const side = 100 // 40 KB a frame
	const frame = side * side * 4
	const bps = 1_000_000
	p, c, src := startCanvas(t, Config{BatchDelay: time.Millisecond, BandwidthLimit: bps}, side)
	p.AddWindow(1, 1, side, side)
	p.Map(1)
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		src.bump(1)
		p.Damage(1, Rect{X: 0, Y: 0, W: side, H: side})
		time.Sleep(2 * time.Millisecond)
	}
	c.mu.Lock()
	sent := c.bytes
	c.mu.Unlock()
	elapsed := time.Since(start)
	limit := int64(bps/8*elapsed.Seconds()*1.3) + 2*frame
	t.Logf("%d bytes in %v (%.0f kbit/s)", sent, elapsed, float64(sent*8)/elapsed.Seconds()/1000)
	if sent > limit {
		t.Errorf("%d bytes in %v: over the 1 Mbps limit (at most %d)", sent, elapsed, limit)
	}
	if sent < frame*3 {
		t.Errorf("only %d bytes sent in %v", sent, elapsed)
	}
	c.settle(t, time.Second)
	c.matches(t, src, 1, 1)
}

func TestParseBandwidth(t *testing.T) {
	for in, want := range map[string]int64{
		"1Mbps": 1_000_000, "500K": 500_000, "2.5m": 2_500_000, "auto": 0, "0": 0, "": 0,
		"no": 0, "250000": 250_000, "1gbps": 1_000_000_000, " 800kbps ": 800_000,
	} {
		if got, err := ParseBandwidth(in); err != nil || got != want {
			t.Errorf("ParseBandwidth(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"fast", "1Mbit", "-5M", "10", "1..2M", "M", "10000000000000000000", "1e300g"} {
		if got, err := ParseBandwidth(bad); err == nil {
			t.Errorf("ParseBandwidth(%q) = %d, want an error", bad, got)
		}
	}
}

func FuzzParseBandwidth(f *testing.F) {
	for _, s := range []string{"1Mbps", "500K", "auto", "0", "2.5g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseBandwidth(s)
		if err == nil && v != 0 && v < minBandwidth {
			t.Errorf("%q parsed as %d, below the minimum", s, v)
		}
	})
}

// scroll paints a scroll draw as the 3.1.3 client does: every move reads
// from the canvas as it was before the draw.
func (c *canvasClient) scroll(pkt wire.Packet, wid, seq int64) error {
	c.mu.Lock()
	cv := c.canvas[wid]
	if cv == nil {
		c.mu.Unlock()
		return fmt.Errorf("scroll before any pixels")
	}
	old := bytes.Clone(cv)
	for _, item := range drawList(pkt) {
		m, _ := item.([]any)
		v := make([]int, 6)
		for i := range v {
			n, _ := wire.AsInt(m[i])
			v[i] = int(n)
		}
		x, y, w, h, dx, dy := v[0], v[1], v[2], v[3], v[4], v[5]
		for row := 0; row < h; row++ {
			copy(cv[((y+dy+row)*c.w+x+dx)*4:((y+dy+row)*c.w+x+dx+w)*4], old[((y+row)*c.w+x)*4:((y+row)*c.w+x+w)*4])
		}
	}
	c.draws[wid]++
	c.encs = append(c.encs, "scroll")
	c.last = time.Now()
	c.lastDraw = pkt
	c.mu.Unlock()
	c.p.Ack(wid, seq)
	return nil
}

// TestDamageAfterWaitIsPrompt: a window that had to wait for an ack
// draws new damage at the batch delay once the ack came, not when the
// retry timer of the wait fires.
func TestDamageAfterWaitIsPrompt(t *testing.T) {
	p, s, _ := start(t, Config{BatchDelay: time.Millisecond, MaxInFlight: 1, AckTimeout: 20 * time.Second})
	p.AddWindow(1, 0x100, 10, 10)
	p.Map(1)
	s.next(t)
	p.Damage(1, Rect{X: 0, Y: 0, W: 2, H: 2})
	s.none(t, 100*time.Millisecond) // waits for the ack, with a retry in 5 s
	p.Ack(1, 1)
	d := s.next(t)
	seq := xdraw(d).Sequence
	p.Ack(1, seq)
	p.Damage(1, Rect{X: 3, Y: 3, W: 2, H: 2})
	select {
	case d := <-s.ch:
		if r := drawRect(t, d); r != (Rect{X: 3, Y: 3, W: 2, H: 2}) {
			t.Errorf("draw %v", r)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("new damage waited for the retry timer")
	}
}
