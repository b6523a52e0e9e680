package x11

import (
	"reflect"
	"testing"
)

func TestChangedTiles(t *testing.T) {
	const w, h = 200, 130
	prev := make([]byte, w*h*4)
	cur := make([]byte, w*h*4)
	if got := changedTiles(nil, cur, w, h); !reflect.DeepEqual(got, []Rect{{0, 0, w, h}}) {
		t.Errorf("first picture: %v", got)
	}
	if got := changedTiles(prev, cur, w, h); len(got) != 0 {
		t.Errorf("no change: %v", got)
	}
	// Changes in squares (0,0), (1,0) and (3,2), the last one partial.
	cur[(10*w+10)*4] = 1
	cur[(63*w+100)*4+2] = 1
	cur[(129*w+199)*4+1] = 1
	want := []Rect{{0, 0, 128, 64}, {192, 128, 8, 2}}
	if got := changedTiles(prev, cur, w, h); !reflect.DeepEqual(got, want) {
		t.Errorf("changed squares %v, want %v", got, want)
	}
}
