package session

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11/wm"
)

func TestIconPacket(t *testing.T) {
	icon := &wm.WindowIcon{Width: 2, Height: 1, BGRA: []byte{1, 2, 3, 255, 4, 5, 6, 128}}
	p := iconPacket(wire.Dict{"encodings.window-icon": []any{"premult_argb32", "BGRA", "default", "png"}}, 7, icon)
	if p == nil || p.Str(4) != "png" {
		t.Fatalf("packet %v", p)
	}
	img, err := png.Decode(bytes.NewReader(p.Bytes(5)))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b, a := img.At(1, 0).RGBA(); a>>8 != 128 || r == 0 || g == 0 || b == 0 {
		t.Errorf("pixel 1,0 = %d %d %d %d", r, g, b, a)
	}
	if p := iconPacket(wire.Dict{"encodings.window-icon": []any{"BGRA"}}, 7, icon); p == nil || !bytes.Equal(p.Bytes(5), icon.BGRA) {
		t.Errorf("BGRA packet %v", p)
	}
	if p := iconPacket(wire.Dict{}, 7, icon); p != nil {
		t.Errorf("a client without icon encodings got %v", p)
	}
	if p := iconPacket(wire.Dict{"encodings.window-icon": []any{"png", "default"}}, 7, nil); p == nil || p.Str(4) != "default" {
		t.Errorf("no icon: %v", p)
	}
}

func TestClientStates(t *testing.T) {
	got := clientStates(wire.Dict{"maximized": true, "iconified": false, "focused": true, "bogus": true, int64(3): true})
	if len(got) != 2 || !got["maximized"] || got["iconic"] {
		t.Errorf("states %v", got)
	}
	old := wm.Window{Extra: wm.WindowExtras{States: []string{"above", "fullscreen"}}}
	now := wm.Window{Extra: wm.WindowExtras{States: []string{"fullscreen", "sticky"}}}
	ch := metadataChanges(old, now, nil)
	if v, ok := ch["above"]; !ok || v != false {
		t.Errorf("above not cleared: %v", ch)
	}
	if v, ok := ch["sticky"]; !ok || v != true {
		t.Errorf("sticky not set: %v", ch)
	}
	if _, ok := ch["fullscreen"]; ok {
		t.Errorf("unchanged fullscreen sent: %v", ch)
	}
}
