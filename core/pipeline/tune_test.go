package pipeline

import (
	"context"
	"slices"
	"testing"

	"github.com/xroam/xroam/sdk/encoder"
	"time"

	"github.com/xroam/xroam/core/wire"
)

// lastReq is the last request the fake encoder got.
func (f *fakeEncoder) lastReq(t *testing.T) (q, s int) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("the encoder got no request")
	}
	r := f.reqs[len(f.reqs)-1]
	return r.Quality, r.Speed
}

// drawAndAck damages the window, waits for its draw and acks it with the
// given decode time.
func drawAndAck(t *testing.T, p *Pipeline, s *sink, decode time.Duration) wire.Packet {
	t.Helper()
	p.Damage(1, Rect{X: 0, Y: 0, W: 8, H: 8})
	d := s.next(t)
	seq := xdraw(d).Sequence
	p.AckDecode(1, seq, decode)
	return d
}

func TestFixedQualityAndSpeed(t *testing.T) {
	fe := &fakeEncoder{}
	p, s, _ := start(t, Config{Encoding: "jpeg", Encoder: fe, Quality: 42, Speed: 70, MinQuality: 10})
	p.AddWindow(1, 0x100, 8, 8)
	p.Map(1)
	d := s.next(t)
	seq := xdraw(d).Sequence
	p.AckDecode(1, seq, time.Second)
	for i := 0; i < 5; i++ {
		drawAndAck(t, p, s, time.Second)
		if q, sp := fe.lastReq(t); q != 42 || sp != 70 {
			t.Fatalf("draw %d asked for quality %d speed %d, want the fixed 42 and 70", i, q, sp)
		}
	}
}

// TestAutoQualityFollowsAcks: with quality and speed automatic, a client
// that decodes slowly gets lower quality (never under the minimum) and
// faster encodings; once it keeps up, quality comes back.
func TestAutoQualityFollowsAcks(t *testing.T) {
	fe := &fakeEncoder{}
	p, s, _ := start(t, Config{Encoding: "jpeg", Encoder: fe, MinQuality: 30, MinSpeed: 20})
	p.AddWindow(1, 0x100, 8, 8)
	p.Map(1)
	d := s.next(t)
	seq := xdraw(d).Sequence
	p.AckDecode(1, seq, time.Millisecond)
	drawAndAck(t, p, s, time.Millisecond)
	q0, s0 := fe.lastReq(t)
	for i := 0; i < 20; i++ {
		drawAndAck(t, p, s, 400*time.Millisecond)
	}
	q1, s1 := fe.lastReq(t)
	t.Logf("quality %d -> %d, speed %d -> %d under slow decoding", q0, q1, s0, s1)
	if q1 >= q0 || q1 < 30 {
		t.Errorf("quality %d after slow decodes (from %d, minimum 30)", q1, q0)
	}
	if q1 != 30 {
		t.Errorf("quality %d after 20 slow decodes, want the minimum 30", q1)
	}
	if s1 <= s0 {
		t.Errorf("speed %d after slow decodes, was %d: want faster", s1, s0)
	}
	for i := 0; i < 60; i++ {
		drawAndAck(t, p, s, 100*time.Microsecond)
	}
	q2, _ := fe.lastReq(t)
	if q2 <= q1 {
		t.Errorf("quality %d once the client keeps up, was %d", q2, q1)
	}
	st := p.Stats(context.Background())
	if st.Quality < q2 {
		t.Errorf("stats quality %d", st.Quality)
	}
}

// TestSetEncodingAndQuality: the control commands' changes apply to the
// next draws: an rgb32 pipeline switched to jpeg sends jpeg, and a
// quality set at run time reaches the encoder.
func TestSetEncodingAndQuality(t *testing.T) {
	fe := &fakeEncoder{}
	p, s, _ := start(t, Config{})
	p.AddWindow(1, 0x100, 8, 8)
	p.Map(1)
	d := s.next(t)
	if xdraw(d).Coding != RGB32 {
		t.Fatalf("first draw %q", xdraw(d).Coding)
	}
	seq := xdraw(d).Sequence
	p.Ack(1, seq)
	p.SetPicture("quality", 55)
	p.SetEncoding("jpeg", fe)
	d = s.next(t) // the switch sends the window again
	if xdraw(d).Coding != "jpeg" || drawRect(t, d) != (Rect{X: 0, Y: 0, W: 8, H: 8}) {
		t.Fatalf("after the switch: %v", d[:7])
	}
	if p.Encoding() != "jpeg" {
		t.Errorf("Encoding() = %q", p.Encoding())
	}
	if q, _ := fe.lastReq(t); q != 55 {
		t.Errorf("quality %d, want the 55 set", q)
	}
	seq = xdraw(d).Sequence
	p.Ack(1, seq)
	p.SetEncoding(RGB32, nil)
	if d = s.next(t); xdraw(d).Coding != RGB32 {
		t.Fatalf("back to rgb32: %v", d[:7])
	}
	decode(t, d)
}

// TestAutoRefreshAfterLossy: once jpeg draws stop, the area is sent
// again losslessly and the client's pixels match exactly.
func TestAutoRefreshAfterLossy(t *testing.T) {
	fe := &fakeEncoder{}
	const side = 32
	p, c, src := startCanvas(t, Config{Encoding: "jpeg", Encoder: fe, AutoRefreshDelay: 150 * time.Millisecond, BatchDelay: time.Millisecond}, side)
	p.AddWindow(1, 1, side, side)
	p.Map(1)
	for i := 0; i < 10; i++ {
		src.bump(1)
		p.Damage(1, Rect{X: 0, Y: 0, W: side, H: side})
		time.Sleep(20 * time.Millisecond) // quicker than the delay: no refresh yet
	}
	c.mu.Lock()
	encs := append([]string(nil), c.encs...)
	c.mu.Unlock()
	for _, e := range encs {
		if e != "jpeg" {
			t.Fatalf("a %s draw while the window was still changing: %v", e, encs)
		}
	}
	c.settle(t, 500*time.Millisecond)
	c.mu.Lock()
	last := c.lastDraw
	c.mu.Unlock()
	if xdraw(last).Coding != RGB32 || drawRect(t, last) != (Rect{X: 0, Y: 0, W: side, H: side}) {
		t.Fatalf("the last draw is %v, want a lossless refresh of the window", last[:7])
	}
	c.matches(t, src, 1, 1)
	if st := p.Stats(context.Background()); st.Refreshes != 1 {
		t.Errorf("%d refreshes, want 1", st.Refreshes)
	}
}

// TestNoAutoRefresh: with the delay 0, lossy draws stay as they are.
func TestNoAutoRefresh(t *testing.T) {
	fe := &fakeEncoder{}
	p, s, _ := start(t, Config{Encoding: "jpeg", Encoder: fe})
	p.AddWindow(1, 0x100, 8, 8)
	p.Map(1)
	if d := s.next(t); xdraw(d).Coding != "jpeg" {
		t.Fatalf("draw %v", d[:7])
	}
	s.none(t, 500*time.Millisecond)
}

// TestAutoModeVideoGoesLossy: in auto mode, small updates stay rgb32; a
// window whose whole area changes at video rate goes to the lossy
// encoder, and once it settles is refreshed losslessly.
func TestAutoModeVideoGoesLossy(t *testing.T) {
	fe := &fakeEncoder{}
	const side = 160
	p, c, src := startCanvas(t, Config{BatchDelay: time.Millisecond, Lossy: fe, LossyEncoding: "jpeg", AutoRefreshDelay: 200 * time.Millisecond}, side)
	p.AddWindow(1, 1, side, side)
	p.Map(1)
	// Typing: small areas, now and then.
	for i := 0; i < 15; i++ {
		src.bump(1)
		p.Damage(1, Rect{X: i * 8, Y: 10, W: 8, H: 16})
		time.Sleep(30 * time.Millisecond)
	}
	c.settle(t, 300*time.Millisecond)
	c.mu.Lock()
	for _, e := range c.encs {
		if e != RGB32 {
			t.Errorf("a %s draw for typing: %v", e, c.encs)
			break
		}
	}
	typed := len(c.encs)
	c.mu.Unlock()
	// Video: the whole window, 50 times a second.
	for i := 0; i < 50; i++ {
		src.bump(1)
		p.Damage(1, Rect{X: 0, Y: 0, W: side, H: side})
		time.Sleep(20 * time.Millisecond)
	}
	c.settle(t, 600*time.Millisecond)
	c.mu.Lock()
	video := append([]string(nil), c.encs[typed:]...)
	c.mu.Unlock()
	jpegs := 0
	for _, e := range video {
		if e == "jpeg" {
			jpegs++
		}
	}
	if jpegs < len(video)/2 {
		t.Errorf("%d of %d video-rate draws were jpeg: %v", jpegs, len(video), video)
	}
	if video[len(video)-1] != RGB32 {
		t.Errorf("the video did not end with a lossless refresh: %v", video)
	}
	c.matches(t, src, 1, 1)
	// Settled: small updates are lossless again.
	time.Sleep(videoWindow)
	src.bump(1)
	p.Damage(1, Rect{X: 0, Y: 0, W: 8, H: 8})
	c.settle(t, 400*time.Millisecond)
	c.mu.Lock()
	last := c.encs[len(c.encs)-1]
	c.mu.Unlock()
	if last != RGB32 {
		t.Errorf("after settling: a %s draw", last)
	}
}

// TestAutoModeVideoStream: in auto mode with a video encoding as the
// lossy one, a window at video rate becomes a stream of whole-window
// pictures; when it is video again after settling, its stream restarts.
func TestAutoModeVideoStream(t *testing.T) {
	fe := &fakeEncoder{}
	const w, h = 160, 160 // the canvas client compares square windows
	p, c, src := startCanvas(t, Config{BatchDelay: time.Millisecond, Lossy: fe, LossyEncoding: H264, AutoRefreshDelay: 200 * time.Millisecond}, w)
	p.AddWindow(1, 1, w, h)
	p.Map(1)
	c.settle(t, 300*time.Millisecond)
	video := func() {
		for i := 0; i < 40; i++ {
			src.bump(1)
			p.Damage(1, Rect{X: 0, Y: 0, W: w, H: h})
			time.Sleep(20 * time.Millisecond)
		}
		c.settle(t, 600*time.Millisecond)
	}
	video()
	fe.mu.Lock()
	reqs := slices.Clone(fe.reqs)
	fe.mu.Unlock()
	if len(reqs) < 10 {
		t.Fatalf("%d video-rate frames went to the video encoder", len(reqs))
	}
	for _, r := range reqs {
		if r.Encoding != H264 || r.Frame.Width != w || r.Frame.Height != h || r.Options["stream"] == nil {
			t.Fatalf("video request %s %dx%d %v, want the whole %dx%d window as a stream", r.Encoding, r.Frame.Width, r.Frame.Height, r.Options, w, h)
		}
	}
	c.mu.Lock()
	last := c.encs[len(c.encs)-1]
	c.mu.Unlock()
	if last != RGB32 {
		t.Errorf("the video did not end with a lossless refresh (last draw %s)", last)
	}
	c.matches(t, src, 1, 1)
	// Quiet long enough to leave video mode, then video again.
	for range 4 {
		time.Sleep(videoWindow / 2)
		src.bump(1)
		p.Damage(1, Rect{X: 0, Y: 0, W: 8, H: 8})
	}
	c.settle(t, 300*time.Millisecond)
	fe.mu.Lock()
	before := len(fe.reqs)
	fe.mu.Unlock()
	video()
	fe.mu.Lock()
	again := slices.Clone(fe.reqs[before:])
	fe.mu.Unlock()
	if len(again) == 0 || again[0].Options["restart"] != true {
		t.Errorf("the stream did not restart when the window became video again: %d requests, first options %v", len(again), func() any {
			if len(again) > 0 {
				return again[0].Options
			}
			return nil
		}())
	}
	c.matches(t, src, 1, 1)
}

// TestAutoModeVideoRegion: a video playing in part of a window becomes a
// stream of that part only (with even sides), while text typed elsewhere
// in the window goes lossless; when the video moves the stream restarts
// with the new region, and when it ends the window is exact.
func TestAutoModeVideoRegion(t *testing.T) {
	fe := &fakeEncoder{}
	const side = 320
	p, c, src := startCanvas(t, Config{BatchDelay: time.Millisecond, Lossy: fe, LossyEncoding: H264, AutoRefreshDelay: 200 * time.Millisecond}, side)
	p.AddWindow(1, 1, side, side)
	p.Map(1)
	c.settle(t, 300*time.Millisecond)
	play := func(video Rect) {
		for i := range 40 {
			src.bump(1)
			p.Damage(1, video)
			time.Sleep(10 * time.Millisecond)
			if i%4 == 0 {
				p.Damage(1, Rect{X: 300, Y: 300, W: 8, H: 12}) // a key typed far from the video
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	requests := func() []encoder.Request {
		fe.mu.Lock()
		defer fe.mu.Unlock()
		return slices.Clone(fe.reqs)
	}
	// playUntil plays the video until done says the pipeline has made
	// of it what the test waits for: how many of its frames become draws
	// (merged, when the pipeline is behind) depends on the machine's
	// load, so the number of frames is not fixed. On the deadline it
	// returns, and the checks that follow say what is missing.
	playUntil := func(video Rect, done func() bool) {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
			play(video)
			if done() {
				return
			}
		}
	}
	want := Rect{X: 32, Y: 40, W: 162, H: 122}
	playUntil(Rect{X: 33, Y: 41, W: 161, H: 121}, func() bool {
		reqs := requests()
		if len(reqs) < 10 {
			return false
		}
		for _, r := range reqs[len(reqs)-5:] {
			if r.Frame.Width != want.W || r.Frame.Height != want.H {
				return false
			}
		}
		return true
	})
	reqs := requests()
	if len(reqs) < 10 {
		t.Fatalf("%d video-rate frames went to the video encoder", len(reqs))
	}
	// The window's first draw (all of it) is among the first large
	// ones: the stream may start with the whole window, then shrinks.
	for _, r := range reqs[len(reqs)-5:] {
		if r.Frame.Width != want.W || r.Frame.Height != want.H {
			t.Fatalf("video picture %dx%d, want the region %v", r.Frame.Width, r.Frame.Height, want)
		}
	}
	c.mu.Lock()
	rgbOutside, inRegion := 0, 0
	for i, r := range c.rects {
		if c.encs[i] == H264 && r == want {
			inRegion++
		}
		if c.encs[i] == RGB32 && r.Intersect(want).Empty() && r.X >= 300 {
			rgbOutside++
		}
	}
	c.mu.Unlock()
	if rgbOutside == 0 || inRegion == 0 {
		t.Errorf("%d lossless draws of the typing outside the video region, %d h264 draws of the region", rgbOutside, inRegion)
	}
	// The video moves: a new region, and its stream starts again.
	before := len(requests())
	playUntil(Rect{X: 120, Y: 150, W: 160, H: 120}, func() bool {
		for _, r := range requests()[before:] {
			if r.Frame.Width == 160 && r.Frame.Height == 120 {
				return true
			}
		}
		return false
	})
	again := requests()[before:]
	moved := 0
	for _, r := range again {
		if r.Frame.Width == 160 && r.Frame.Height == 120 {
			if moved == 0 && r.Options["restart"] != true {
				t.Errorf("the first picture of the moved region did not restart the stream: %v", r.Options)
			}
			moved++
		}
	}
	if moved == 0 {
		t.Errorf("no picture of the moved region (160x120) among %d requests", len(again))
	}
	c.settle(t, 600*time.Millisecond)
	c.matches(t, src, 1, 1)
}
