package pipeline

import (
	"slices"
	"testing"
	"time"
)

// TestFloodIsPaced: a window that changes without pause is sent at a
// paced rate, not as fast as the client acks, and its last change still
// arrives; a window changing at video rate is sent every frame.
func TestFloodIsPaced(t *testing.T) {
	const side = 64
	p, c, src := startCanvas(t, Config{BatchDelay: time.Millisecond}, side)
	p.AddWindow(1, 1, side, side)
	p.Map(1)
	c.settle(t, 200*time.Millisecond)
	count := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.draws[1]
	}

	before := count()
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); {
		src.bump(1)
		p.Damage(1, Rect{X: 0, Y: 0, W: side, H: side})
		time.Sleep(200 * time.Microsecond)
	}
	c.settle(t, 300*time.Millisecond)
	flood := count() - before
	c.matches(t, src, 1, 1)
	// Unpaced, a 1 ms batch delay and instant acks allow hundreds of
	// draws in 1.5 s; paced, 10 quick ones, a ramp, then ten a second.
	if flood > 60 {
		t.Errorf("%d draws for 1.5 s of flooding: not paced", flood)
	}

	time.Sleep(100 * time.Millisecond) // a calm spell
	before = count()
	for range 30 {
		src.bump(1)
		p.Damage(1, Rect{X: 0, Y: 0, W: side, H: side})
		time.Sleep(33 * time.Millisecond)
	}
	c.settle(t, 300*time.Millisecond)
	if video := count() - before; video < 28 {
		t.Errorf("%d draws for 30 video frames: video was paced", video)
	}
	c.matches(t, src, 1, 1)
	t.Logf("flood: %d draws in 1.5 s", flood)
}

// TestFloodPacingOff: a negative FloodInterval sends a flood as fast as
// it is acknowledged.
func TestFloodPacingOff(t *testing.T) {
	const side = 64
	p, c, src := startCanvas(t, Config{BatchDelay: time.Millisecond, FloodInterval: -1}, side)
	p.AddWindow(1, 1, side, side)
	p.Map(1)
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); {
		src.bump(1)
		p.Damage(1, Rect{X: 0, Y: 0, W: side, H: side})
		time.Sleep(200 * time.Microsecond)
	}
	c.settle(t, 300*time.Millisecond)
	c.mu.Lock()
	n := c.draws[1]
	c.mu.Unlock()
	if n <= 60 {
		t.Errorf("only %d draws for 1.5 s of flooding without pacing", n)
	}
	c.matches(t, src, 1, 1)
}

// TestFloodEndsLossless: in auto mode a flooded window goes lossy and
// paced; once the flood stops, its last picture is sent losslessly well
// before the auto-refresh delay would have.
func TestFloodEndsLossless(t *testing.T) {
	const side = 160
	fe := &fakeEncoder{}
	p, c, src := startCanvas(t, Config{BatchDelay: time.Millisecond, Lossy: fe, LossyEncoding: "jpeg", AutoRefreshDelay: 10 * time.Second}, side)
	p.AddWindow(1, 1, side, side)
	p.Map(1)
	c.settle(t, 200*time.Millisecond)
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); {
		src.bump(1)
		p.Damage(1, Rect{X: 0, Y: 0, W: side, H: side})
		time.Sleep(200 * time.Microsecond)
	}
	stopped := time.Now()
	c.settle(t, 300*time.Millisecond)
	c.mu.Lock()
	encs := slices.Clone(c.encs)
	last := c.last
	c.mu.Unlock()
	if !slices.Contains(encs, "jpeg") {
		t.Fatalf("the flood never went lossy: %v", encs)
	}
	if encs[len(encs)-1] != RGB32 {
		t.Fatalf("the flood did not end with a lossless picture: %v", encs[len(encs)-5:])
	}
	if d := last.Sub(stopped); d > 5*time.Second {
		t.Errorf("the lossless picture came %v after the flood, as late as the auto-refresh", d)
	}
	c.matches(t, src, 1, 1)
}

// TestFloodDrawsUseZlib: a paced window's draws go zlib-compressed to a
// client that takes zlib, exactly, and the first draws before the pacing
// and those of a calm window stay lz4.
func TestFloodDrawsUseZlib(t *testing.T) {
	const side = 64
	p, c, src := startCanvas(t, Config{BatchDelay: time.Millisecond, RGBZlib: true}, side)
	p.AddWindow(1, 1, side, side)
	p.Map(1)
	c.settle(t, 200*time.Millisecond)
	zlibDraws := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.zlib
	}
	if n := zlibDraws(); n != 0 {
		t.Fatalf("%d zlib draws before any flood", n)
	}
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); {
		src.bump(1)
		p.Damage(1, Rect{X: 0, Y: 0, W: side, H: side})
		time.Sleep(200 * time.Microsecond)
	}
	c.settle(t, 300*time.Millisecond)
	c.matches(t, src, 1, 1)
	flooded := zlibDraws()
	if flooded == 0 {
		t.Fatal("no zlib draw during a flood")
	}
	time.Sleep(100 * time.Millisecond) // a calm spell
	for range 3 {
		src.bump(1)
		p.Damage(1, Rect{X: 0, Y: 0, W: side, H: side})
		time.Sleep(60 * time.Millisecond)
	}
	c.settle(t, 200*time.Millisecond)
	c.matches(t, src, 1, 1)
	if n := zlibDraws(); n != flooded {
		t.Errorf("%d zlib draws once calm (%d during the flood)", n-flooded, flooded)
	}
}
