package xpra

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/sdk/clipboard"
)

func TestClipboardRoundTrip(t *testing.T) {
	tok := ClipboardToken{Selection: "CLIPBOARD", Targets: []string{"UTF8_STRING", "TEXT"}, HasTargets: true, Target: "UTF8_STRING",
		Data: &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: []byte("hi")}, Claim: true}
	got, err := ParseClipboardToken(tok.Packet(), 1<<20)
	if err != nil || !reflect.DeepEqual(got, tok) {
		t.Errorf("token %+v, %v; want %+v", got, err, tok)
	}
	// The plain 3.1.3 form.
	got, err = ParseClipboardToken(wire.Packet{"clipboard-token", []byte("PRIMARY")}, 1<<20)
	if err != nil || got.Selection != "PRIMARY" || got.HasTargets || !got.Claim {
		t.Errorf("plain token %+v, %v", got, err)
	}
	for _, d := range []*clipboard.Data{
		{Type: "ATOM", Format: 32, Targets: []string{"TARGETS", "UTF8_STRING"}},
		{Type: "INTEGER", Format: 32, Bytes: []byte{1, 0, 0, 0, 2, 0, 0, 0}},
		{Type: "CARDINAL", Format: 16, Bytes: []byte{1, 0, 255, 255}},
		{Type: "image/png", Format: 8, Bytes: []byte{0x89, 'P', 'N', 'G'}},
	} {
		c := ClipboardContents{ID: 7, Selection: "CLIPBOARD", Data: d, SliceFix: true}
		p := c.Packet()
		if len(p) != 8 {
			t.Errorf("contents packet without the truncated count: %v", p)
		}
		back, err := ParseClipboardContents(p, 1<<20)
		if err != nil || !reflect.DeepEqual(back, c) {
			t.Errorf("contents %+v, %v; want %+v", back, err, c)
		}
	}
	none := ClipboardContents{ID: 3, Selection: "PRIMARY", SliceFix: true}.Packet()
	if c, err := ParseClipboardContents(none, 10); err != nil || c.Data != nil || c.ID != 3 {
		t.Errorf("contents-none %+v, %v", c, err)
	}
	if _, err := ParseClipboardContents(wire.Packet{"clipboard-contents", int64(1), "CLIPBOARD", "UTF8_STRING", int64(8), "bytes", bytes.Repeat([]byte("x"), 11)}, 10); err == nil {
		t.Error("contents over the limit accepted")
	}
	for _, bad := range []wire.Packet{
		{"clipboard-token"},
		{"clipboard-token", int64(1)},
		{"clipboard-token", ""},
		{"clipboard-token", "CLIPBOARD", "notalist"},
		{"clipboard-token", "CLIPBOARD", []any{}, "UTF8_STRING", "UTF8_STRING", int64(7), "bytes", []byte("x")},
		{"clipboard-token", "CLIPBOARD", []any{}, "UTF8_STRING", "UTF8_STRING", int64(8), "weird", []byte("x")},
	} {
		if _, err := ParseClipboardToken(bad, 100); err == nil {
			t.Errorf("bad token %v accepted", bad)
		}
	}
	for _, bad := range []wire.Packet{
		{"clipboard-request", "x", "CLIPBOARD", "UTF8_STRING"},
		{"clipboard-request", int64(1), "CLIPBOARD"},
		{"clipboard-request", int64(1), "CLIPBOARD", ""},
	} {
		if _, err := ParseClipboardRequest(bad); err == nil {
			t.Errorf("bad request %v accepted", bad)
		}
	}
}
