package session

import (
	"reflect"
	"testing"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11/wm"
)

func TestWindowMetadata(t *testing.T) {
	byXID := map[uint32]int64{0x400001: 1, 0x400007: 2}
	w := wm.Window{
		ID: 0x400007, Title: "dialog", Instance: "xterm", Class: "XTerm", Types: []string{"DIALOG"},
		TransientFor: 0x400001, PID: 42, Hints: wm.SizeHints{MinW: 10, MinH: 20, IncW: 6, IncH: 13},
	}
	m := metadata(w, byXID)
	want := wire.Dict{
		"title": "dialog", "class-instance": []string{"xterm", "XTerm"}, "window-type": []string{"DIALOG"},
		"xid": "0x400007", "pid": int64(42), "transient-for": int64(1),
		"size-constraints": wire.Dict{"minimum-size": []int64{10, 20}, "increment": []int64{6, 13}},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("metadata = %v\nwant %v", m, want)
	}
	if _, ok := metadata(wm.Window{ID: 5, TransientFor: 0x999}, byXID)["transient-for"]; ok {
		t.Error("transient-for an unknown window was sent")
	}
	or := metadata(wm.Window{ID: 6, OverrideRedirect: true}, byXID)
	if or["override-redirect"] != true {
		t.Errorf("override-redirect metadata %v", or)
	}

	changed := w
	changed.Title = "renamed"
	d := metadataChanges(w, changed, byXID)
	if len(d) != 1 || d["title"] != "renamed" {
		t.Errorf("changes = %v, want only the title", d)
	}
	if d := metadataChanges(w, w, byXID); len(d) != 0 {
		t.Errorf("no change gave %v", d)
	}
}

func TestPointerXY(t *testing.T) {
	x, y, ok := pointerXY(wire.Packet{"pointer-position", int64(1), []any{int64(50), int64(60), int64(5), int64(6)}}, 2)
	if !ok || x != 50 || y != 60 {
		t.Errorf("pointerXY = %d, %d, %v", x, y, ok)
	}
	if _, _, ok := pointerXY(wire.Packet{"pointer-position", int64(1), []any{int64(50)}}, 2); ok {
		t.Error("a one-coordinate pointer parsed")
	}
	if _, _, ok := pointerXY(wire.Packet{"pointer-position"}, 2); ok {
		t.Error("a missing pointer parsed")
	}
}
