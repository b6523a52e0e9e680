package client

import (
	"bytes"
	"log/slog"
	"slices"
	"testing"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11/xclient"
	"github.com/xroam/xroam/core/xpra"
)

// inputClient is a client with one window whose packets go to out.
func inputClient(readonly bool, out *bytes.Buffer) *client {
	c := &client{
		cfg: Config{Readonly: readonly}, log: slog.New(slog.DiscardHandler),
		w: wire.NewWriter(out), server: wire.Dict{},
		windows: map[int64]*window{}, byLocal: map[xclient.Window]*window{},
	}
	win := &window{wid: 7, local: 0x400001, w: 100, h: 50, backing: make([]byte, 100*50*4)}
	c.windows[7], c.byLocal[win.local] = win, win
	c.shortcuts, _ = parseShortcuts([]string{"Meta+Shift+F4:quit"})
	return c
}

func sentPackets(t *testing.T, out *bytes.Buffer) []wire.Packet {
	t.Helper()
	r := wire.NewReader(bytes.NewReader(out.Bytes()))
	var ps []wire.Packet
	for {
		p, err := r.ReadPacket()
		if err != nil {
			return ps
		}
		ps = append(ps, p)
	}
}

func TestKeyForwarding(t *testing.T) {
	var out bytes.Buffer
	c := inputClient(false, &out)
	c.handleEvent(&xclient.KeyEvent{Window: 0x400001, Pressed: true, Keycode: 38, Keysym: 'a', Name: "a", String: "a", State: xclient.KeyMaskShift})
	c.handleEvent(&xclient.ButtonEvent{Window: 0x400001, Button: 4, Pressed: true, X: 5, Y: 6, RootX: 15, RootY: 16})
	ps := sentPackets(t, &out)
	if len(ps) != 3 {
		t.Fatalf("sent %v", ps)
	}
	// The server learns the focus before the first key.
	if ps[0].Type() != xpra.TypeFocus || ps[1].Type() != xpra.TypeKeyAction || ps[2].Type() != xpra.TypeButtonAction {
		t.Fatalf("sent %v", ps)
	}
	k, err := xpra.ParseKeyAction(ps[1])
	if err != nil || k.WID != 7 || k.Name != "a" || !k.Pressed {
		t.Errorf("key-action %+v, %v", k, err)
	}
	if !slices.Equal(k.Modifiers, []string{"shift"}) {
		t.Errorf("modifiers %v", k.Modifiers)
	}
	if k.Keyval != 'a' {
		t.Errorf("keyval %d", k.Keyval)
	}
	if k.Keycode != 38 {
		t.Errorf("keycode %d", k.Keycode)
	}
	b, err := xpra.ParseButtonAction(ps[2])
	if err != nil || b.Button != 4 || !slices.Equal(b.Pointer, xpra.Pointer{15, 16}) {
		t.Errorf("button-action %+v, %v", b, err)
	}
}

func TestReadonlyDropsInput(t *testing.T) {
	var out bytes.Buffer
	c := inputClient(true, &out)
	c.handleEvent(&xclient.KeyEvent{Window: 0x400001, Pressed: true, Keycode: 38, Keysym: 'a', Name: "a"})
	c.handleEvent(&xclient.MotionEvent{Window: 0x400001, X: 1, Y: 1})
	c.handleEvent(&xclient.ButtonEvent{Window: 0x400001, Button: 1, Pressed: true})
	c.handleEvent(&xclient.FocusEvent{Window: 0x400001, In: true})
	if ps := sentPackets(t, &out); len(ps) != 0 {
		t.Errorf("readonly sent %v", ps)
	}
	// Closing is not input: it still reaches the server.
	c.handleEvent(&xclient.CloseEvent{Window: 0x400001})
	if ps := sentPackets(t, &out); len(ps) != 1 || ps[0].Type() != xpra.TypeCloseWindow {
		t.Errorf("close sent %v", ps)
	}
}

func TestQuitShortcut(t *testing.T) {
	var out bytes.Buffer
	c := inputClient(false, &out)
	if !c.handleEvent(&xclient.KeyEvent{Window: 0x400001, Pressed: true, Name: "F4", State: xclient.KeyMask1 | xclient.KeyMaskShift}) {
		t.Error("Meta+Shift+F4 did not quit")
	}
	if c.handleEvent(&xclient.KeyEvent{Window: 0x400001, Pressed: true, Name: "F4", State: xclient.KeyMask1}) {
		t.Error("Meta+F4 quit")
	}
}

func TestConfigureSendsNewGeometry(t *testing.T) {
	var out bytes.Buffer
	c := inputClient(false, &out)
	c.handleEvent(&xclient.ConfigureEvent{Window: 0x400001, X: 0, Y: 0, Width: 100, Height: 50})
	c.handleEvent(&xclient.ConfigureEvent{Window: 0x400001, X: 10, Y: 20, Width: 300, Height: 200})
	ps := sentPackets(t, &out)
	if len(ps) != 1 || ps[0].Type() != xpra.TypeConfigureWindow {
		t.Fatalf("sent %v", ps)
	}
	if cf, err := xpra.ParseConfigureWindow(ps[0]); err != nil || cf.Width != 300 {
		t.Errorf("configure-window %+v, %v", cf, err)
	}
	if win := c.windows[7]; len(win.backing) != 300*200*4 {
		t.Errorf("backing is %d bytes", len(win.backing))
	}
}
