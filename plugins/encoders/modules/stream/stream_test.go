package stream

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestKey(t *testing.T) {
	for _, c := range []struct {
		opts map[string]any
		want string
	}{
		{nil, ""},
		{map[string]any{}, ""},
		{map[string]any{"wid": int64(7)}, "7"},
		{map[string]any{"stream": "p1/7"}, "p1/7"},
		{map[string]any{"stream": "p1/7", "wid": int64(9)}, "p1/7"},
		{map[string]any{"stream": []byte("x")}, "[120]"},
	} {
		if got := Key(c.opts); got != c.want {
			t.Errorf("Key(%v) = %q, want %q", c.opts, got, c.want)
		}
	}
}

func TestTruthy(t *testing.T) {
	for _, c := range []struct {
		v    any
		want bool
	}{
		{nil, false}, {true, true}, {false, false},
		{1, true}, {0, false}, {int64(1), true}, {int64(0), false},
		{1.0, true}, {0.0, false}, {"true", false}, {[]byte{1}, false},
	} {
		if got := Truthy(c.v); got != c.want {
			t.Errorf("Truthy(%#v) = %v, want %v", c.v, got, c.want)
		}
	}
}

// fake is a codec stream that counts its uses and closes.
type fake struct {
	id     int
	uses   int
	closes int
}

func (f *fake) Close() { f.closes++ }

// TestSetUse drives one Set through a sequence of frames and checks, at
// each step, whether the window's stream was reused or reopened and
// which streams were closed.
func TestSetUse(t *testing.T) {
	const idle = 10 * time.Second
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	vga := Shape{"vp8", 640, 480}
	type step struct {
		name     string
		at       time.Duration
		key      string
		shape    Shape
		restart  bool
		openErr  bool
		useErr   bool
		wantErr  bool
		wantID   int   // the stream use got (0: use not called)
		closed   []int // streams closed by this step
		wantOpen int   // streams open after the step
	}
	steps := []step{
		{name: "first frame opens", key: "a", shape: vga, wantID: 1, wantOpen: 1},
		{name: "same window reuses", at: time.Second, key: "a", shape: vga, wantID: 1, wantOpen: 1},
		{name: "other window opens its own", at: 2 * time.Second, key: "b", shape: vga, wantID: 2, wantOpen: 2},
		{name: "resize reopens", at: 3 * time.Second, key: "a", shape: Shape{"vp8", 800, 600}, wantID: 3, closed: []int{1}, wantOpen: 2},
		{name: "encoding change reopens", at: 4 * time.Second, key: "a", shape: Shape{"vp9", 800, 600}, wantID: 4, closed: []int{3}, wantOpen: 2},
		{name: "restart reopens", at: 5 * time.Second, key: "a", shape: Shape{"vp9", 800, 600}, restart: true, wantID: 5, closed: []int{4}, wantOpen: 2},
		{name: "idle gap reopens and closes idle windows", at: 20 * time.Second, key: "a", shape: Shape{"vp9", 800, 600}, wantID: 6, closed: []int{2, 5}, wantOpen: 1},
		{name: "exactly idle is not idle", at: 30 * time.Second, key: "a", shape: Shape{"vp9", 800, 600}, wantID: 6, wantOpen: 1},
		{name: "failed use closes and forgets", at: 31 * time.Second, key: "a", shape: Shape{"vp9", 800, 600}, useErr: true, wantErr: true, wantID: 6, closed: []int{6}, wantOpen: 0},
		{name: "next frame after a failure opens", at: 32 * time.Second, key: "a", shape: vga, wantID: 7, wantOpen: 1},
		{name: "failed open keeps nothing", at: 33 * time.Second, key: "c", shape: vga, openErr: true, wantErr: true, wantOpen: 1},
		{name: "empty key is a window too", at: 34 * time.Second, key: "", shape: vga, wantID: 8, wantOpen: 2},
	}
	set := NewSet[*fake](idle)
	var all []*fake
	for _, s := range steps {
		before := make([]int, len(all))
		for i, f := range all {
			before[i] = f.closes
		}
		got := 0
		err := set.Use(t0.Add(s.at), s.key, s.shape, s.restart,
			func() (*fake, error) {
				if s.openErr {
					return nil, errors.New("no codec")
				}
				f := &fake{id: len(all) + 1}
				all = append(all, f)
				return f, nil
			},
			func(f *fake) error {
				got = f.id
				f.uses++
				if s.useErr {
					return errors.New("encode failed")
				}
				return nil
			})
		if (err != nil) != s.wantErr {
			t.Fatalf("%s: err %v, want error %v", s.name, err, s.wantErr)
		}
		if got != s.wantID {
			t.Fatalf("%s: used stream %d, want %d", s.name, got, s.wantID)
		}
		var closed []int
		for i, f := range all {
			c := f.closes
			if i < len(before) {
				c -= before[i]
			}
			if c > 0 {
				closed = append(closed, f.id)
			}
		}
		if !slices.Equal(closed, s.closed) {
			t.Fatalf("%s: closed %v, want %v", s.name, closed, s.closed)
		}
		if n := set.Len(); n != s.wantOpen {
			t.Fatalf("%s: %d streams open, want %d", s.name, n, s.wantOpen)
		}
	}
	set.Close()
	if n := set.Len(); n != 0 {
		t.Fatalf("after Close: %d streams open", n)
	}
	for _, f := range all {
		if f.closes != 1 {
			t.Errorf("stream %d closed %d times, want once", f.id, f.closes)
		}
	}
}
