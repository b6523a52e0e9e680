package wm

import (
	"reflect"
	"testing"

	"github.com/xroam/xroam/core/geom"
)

func TestChangedTiles(t *testing.T) {
	const w, h = 200, 130
	prev := make([]byte, w*h*4)
	cur := make([]byte, w*h*4)
	if got := changedTiles(nil, cur, w, h); !reflect.DeepEqual(got, []geom.Rect{{X: 0, Y: 0, W: w, H: h}}) {
		t.Errorf("first picture: %v", got)
	}
	if got := changedTiles(prev, cur, w, h); len(got) != 0 {
		t.Errorf("no change: %v", got)
	}
	// Changes in squares (0,0), (1,0) and (3,2), the last one partial.
	cur[(10*w+10)*4] = 1
	cur[(63*w+100)*4+2] = 1
	cur[(129*w+199)*4+1] = 1
	want := []geom.Rect{{X: 0, Y: 0, W: 128, H: 64}, {X: 192, Y: 128, W: 8, H: 2}}
	if got := changedTiles(prev, cur, w, h); !reflect.DeepEqual(got, want) {
		t.Errorf("changed squares %v, want %v", got, want)
	}
}
