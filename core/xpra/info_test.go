package xpra

import (
	"strings"
	"testing"

	"github.com/xroam/xroam/core/wire"
)

func infoTree() map[string]any {
	return map[string]any{
		"server": map[string]any{
			"pid":  int64(42),
			"mode": "seamless",
			"display": map[string]any{
				"name": ":7",
			},
		},
		"encodings": []any{"rgb", "png"},
	}
}

// TestInfoCaps checks both shapes of the reply: flat dotted keys by
// default, the nested tree for a client that asked for namespaces.
func TestInfoCaps(t *testing.T) {
	flat := InfoCaps(infoTree(), false)
	if got := flat["server.display.name"]; got != ":7" {
		t.Errorf("flat server.display.name = %v, want :7 (caps %v)", got, flat)
	}
	if _, ok := flat["server"]; ok {
		t.Errorf("flat reply keeps the nested server key: %v", flat)
	}
	if len(flat) != 4 {
		t.Errorf("flat reply has %d keys, want 4: %v", len(flat), flat)
	}
	nested := InfoCaps(infoTree(), true)
	srv, ok := nested["server"].(map[string]any)
	if !ok || srv["pid"] != int64(42) || len(nested) != 2 {
		t.Errorf("namespaced reply %v, want the tree as given", nested)
	}
}

// TestFormatInfo prints a reply after a trip through the codec, so that it
// reads what a client really gets: text as bytes, dictionaries with
// untyped keys.
func TestFormatInfo(t *testing.T) {
	want := "encodings=(rgb, png)\nserver.display.name=:7\nserver.mode=seamless\nserver.pid=42\n"
	for _, namespaces := range []bool{false, true} {
		data, err := wire.EncodeRencode(map[any]any(InfoCaps(infoTree(), namespaces)))
		if err != nil {
			t.Fatal(err)
		}
		v, err := wire.DecodeRencode(data)
		if err != nil {
			t.Fatal(err)
		}
		caps, ok := wire.AsDict(v)
		if !ok {
			t.Fatalf("decoded %T, want a dict", v)
		}
		var b strings.Builder
		if err := FormatInfo(&b, caps); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("namespaces=%v: FormatInfo printed\n%s\nwant\n%s", namespaces, b.String(), want)
		}
	}
}
