package session

import (
	"reflect"
	"testing"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11/wm"
	"github.com/xroam/xroam/core/xpra"
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

// TestWindowTextIsValidUTF8: titles, class names and window types are
// bytes an X client chose; the packets carry them as valid UTF-8, with
// U+FFFD for what does not decode, never as raw bytes.
func TestWindowTextIsValidUTF8(t *testing.T) {
	w := wm.Window{ID: 0x400001, Title: "caf\xe9 \xff\xfe ok", Instance: "in\xc3", Class: "Cl\x80ss", Types: []string{"NORMAL", "X\xf0\x9f"}}
	m := metadata(w, nil)
	want := map[string]any{
		"title":          "caf\uFFFD \uFFFD ok",
		"class-instance": []string{"in\uFFFD", "Cl\uFFFDss"},
		"window-type":    []string{"NORMAL", "X\uFFFD"},
	}
	for k, v := range want {
		if !reflect.DeepEqual(m[k], v) {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	changed := w
	changed.Title = "\xc0\xc0"
	if d := metadataChanges(w, changed, nil); d["title"] != "\uFFFD" {
		t.Errorf("changed title = %q", d["title"])
	}
	cur, err := xpra.ParseCursor(cursorPacket(&clientConn{caps: wire.Dict{}}, &wm.Cursor{Name: "left\xffptr"}))
	if err != nil || cur.Name != "left\uFFFDptr" {
		t.Errorf("cursor name = %q (%v)", cur.Name, err)
	}
	if ok := wireText("já válido ✓"); ok != "já válido ✓" {
		t.Errorf("valid text changed: %q", ok)
	}
}
