package session

import (
	"reflect"
	"testing"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
)

func TestWindowMetadata(t *testing.T) {
	byXID := map[uint32]int64{0x400001: 1, 0x400007: 2}
	w := x11.ManagedWindow{
		ID: 0x400007, Title: "dialog", Instance: "xterm", Class: "XTerm", Types: []string{"DIALOG"},
		TransientFor: 0x400001, PID: 42, Hints: x11.WMSizeHints{MinW: 10, MinH: 20, IncW: 6, IncH: 13},
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
	if _, ok := metadata(x11.ManagedWindow{ID: 5, TransientFor: 0x999}, byXID)["transient-for"]; ok {
		t.Error("transient-for an unknown window was sent")
	}
	or := metadata(x11.ManagedWindow{ID: 6, OverrideRedirect: true}, byXID)
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
