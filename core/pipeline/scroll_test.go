package pipeline

import (
	"context"
	"hash/maphash"
	"sync"
	"testing"
	"time"
)

// termSource is a terminal of termSide x termSide pixels: inside a
// fixed border, row y shows line top+y, each line a pattern of its own
// (and every fifth line blank, as terminals have).
type termSource struct {
	mu  sync.Mutex
	top int
}

const termSide, termBorder = 200, 2

func (s *termSource) CaptureInto(_ uint32, r Rect, dst []byte) error {
	s.mu.Lock()
	top := s.top
	s.mu.Unlock()
	for y := 0; y < r.H; y++ {
		wy := r.Y + y
		line := top + wy
		for x := 0; x < r.W; x++ {
			wx := r.X + x
			px := [4]byte{}
			switch {
			case wx < termBorder || wy < termBorder || wx >= termSide-termBorder || wy >= termSide-termBorder:
				px = [4]byte{9, 9, 9, 0}
			case line%5 != 0:
				px = pixel(7, line, wx, 0)
			}
			copy(dst[(y*r.W+x)*4:], px[:])
		}
	}
	return nil
}

// TestScrollDetection: a window that scrolls by a few lines is sent as a
// scroll draw plus the new lines, far fewer bytes than the window, and
// the client's pixels match.
func TestScrollDetection(t *testing.T) {
	const side = termSide
	src := &termSource{}
	c := newCanvasClient(side)
	p := New(Config{Source: src, Send: c.send, BatchDelay: time.Millisecond})
	c.p = p
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	p.AddWindow(1, 1, side, side)
	p.SetScrolling(1, true)
	p.Map(1)
	c.settle(t, 200*time.Millisecond)
	c.mu.Lock()
	full := c.bytes
	c.mu.Unlock()
	for i := 0; i < 10; i++ {
		src.mu.Lock()
		src.top += 7
		src.mu.Unlock()
		if i%2 == 0 {
			p.Damage(1, Rect{X: 0, Y: 0, W: side, H: side})
		} else {
			// Only the text area, inside the border, as xterm damages it.
			p.Damage(1, Rect{X: termBorder, Y: termBorder, W: side - 2*termBorder, H: side - 2*termBorder})
		}
		c.settle(t, 100*time.Millisecond)
	}
	c.mu.Lock()
	scrolled := c.bytes - full
	scrolls := 0
	for _, e := range c.encs {
		if e == "scroll" {
			scrolls++
		}
	}
	c.mu.Unlock()
	t.Logf("first draw %d bytes; 10 scrolls of 7 lines: %d bytes in all", full, scrolled)
	if scrolls != 10 {
		t.Errorf("%d scroll draws for 10 scrolls", scrolls)
	}
	if scrolled > full {
		t.Errorf("the scrolls cost %d bytes, more than the whole window (%d)", scrolled, full)
	}
	got := c.canvas[1]
	want := make([]byte, side*side*4)
	_ = src.CaptureInto(1, Rect{X: 0, Y: 0, W: side, H: side}, want)
	if string(got) != string(want) {
		t.Error("the client's pixels differ after the scrolls")
	}
	// A client without scroll support gets plain draws.
	p.SetScrolling(1, false)
	src.mu.Lock()
	src.top += 3
	src.mu.Unlock()
	p.Damage(1, Rect{X: 0, Y: 0, W: side, H: side})
	c.settle(t, 100*time.Millisecond)
	c.mu.Lock()
	last := c.encs[len(c.encs)-1]
	c.mu.Unlock()
	if last != RGB32 {
		t.Errorf("a %s draw without scroll support", last)
	}
}

// BenchmarkDetectScroll: a 1280x720 terminal scrolled by one 16-pixel
// line, compared with what the client was sent.
func BenchmarkDetectScroll(b *testing.B) {
	const w, h = 1280, 720
	src := &termSource{}
	win := &window{w: w, h: h, scroll: true}
	pix := make([]byte, w*h*4)
	_ = src.CaptureInto(1, Rect{X: 0, Y: 0, W: w, H: h}, pix)
	(&Pipeline{}).keepShadow(win, Rect{X: 0, Y: 0, W: w, H: h}, pix)
	src.top += 16
	_ = src.CaptureInto(1, Rect{X: 0, Y: 0, W: w, H: h}, pix)
	seed := maphash.MakeSeed()
	b.SetBytes(int64(len(pix)))
	for b.Loop() {
		if _, ok := detectScroll(win, Rect{X: 0, Y: 0, W: w, H: h}, pix, seed); !ok {
			b.Fatal("no scroll found")
		}
	}
}
