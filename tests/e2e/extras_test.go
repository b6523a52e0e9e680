package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11/x11test"
	"github.com/xroam/xroam/core/xpra"
)

// testIcon is an 8x8 icon with a different colour in every pixel, some
// half transparent, as _NET_WM_ICON ARGB values.
func testIcon() []uint32 {
	px := make([]uint32, 64)
	for i := range px {
		a := uint32(0xff)
		if i%3 == 0 {
			a = 0x80
		}
		px[i] = a<<24 | uint32(i*4)<<16 | uint32(255-i*3)<<8 | uint32(i*2+1)
	}
	return px
}

// setIcon sets _NET_WM_ICON on a window as an application does: a 2x2
// icon first and then the wanted size, so that the server has to pick.
func setIcon(t *testing.T, display int, id uint32, w, h int, px []uint32) {
	t.Helper()
	v := append(iconProp(2, 2, []uint32{1, 2, 3, 4}), iconProp(w, h, px)...)
	if err := x11test.SetWindowProperty(context.Background(), fmt.Sprintf(":%d", display), id, "_NET_WM_ICON", "CARDINAL", 32, v); err != nil {
		t.Fatal(err)
	}
}

func xprop(t *testing.T, display int, args ...string) {
	t.Helper()
	cmd := exec.Command("xprop", args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", display))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xprop %v: %v\n%s", args, err, out)
	}
}

// iconProp is what _NET_WM_ICON holds for one icon of w x h pixels.
func iconProp(w, h int, px []uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(w))
	b = binary.LittleEndian.AppendUint32(b, uint32(h))
	for _, p := range px {
		b = binary.LittleEndian.AppendUint32(b, p)
	}
	return b
}

func windowStates(display int, id uint32) []string {
	s, _ := x11test.WindowStates(context.Background(), fmt.Sprintf(":%d", display), id)
	return s
}

// TestWindowIconAndStates: an application's icon and its EWMH state
// reach the xroam client's window, changes to both follow, and a
// client's request to change a state reaches the application's window.
func TestWindowIconAndStates(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	if _, err := exec.LookPath("xprop"); err != nil {
		t.Skip("xprop is not installed")
	}
	// xterm -fullscreen asks the window manager for the state with a
	// _NET_WM_STATE client message once it sees that it supports it.
	n := e.Start("--start=xterm -fullscreen -T extras -geometry 40x10")
	srv := WaitWindow(t, n, "extras")
	WaitFor(t, "the xterm to become fullscreen on the server", func() bool {
		return slices.Contains(windowStates(n, srv.ID), "fullscreen")
	})
	px := testIcon()
	setIcon(t, n, srv.ID, 8, 8, px)

	cd := ClientDisplay(t)
	e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir)
	cli := WaitWindow(t, cd, "extras")
	want := iconProp(8, 8, px)
	var last []byte
	defer func() {
		if t.Failed() {
			t.Logf("last client icon %d bytes: % x", len(last), last[:min(len(last), 64)])
		}
	}()
	WaitFor(t, "the icon on the client window", func() bool {
		_, last, _ = x11test.WindowProperty(context.Background(), fmt.Sprintf(":%d", cd), cli.ID, "_NET_WM_ICON")
		return bytes.Equal(last, want)
	})
	if s := windowStates(cd, cli.ID); !slices.Contains(s, "fullscreen") {
		t.Errorf("client window states %v, want fullscreen", s)
	}

	// A new icon and a new state follow.
	px2 := slices.Clone(px)
	slices.Reverse(px2)
	setIcon(t, n, srv.ID, 8, 8, px2)
	xprop(t, n, "-id", fmt.Sprint(srv.ID), "-f", "_NET_WM_STATE", "32a", "-set", "_NET_WM_STATE", "_NET_WM_STATE_ABOVE")
	WaitFor(t, "the new icon on the client window", func() bool {
		_, last, _ = x11test.WindowProperty(context.Background(), fmt.Sprintf(":%d", cd), cli.ID, "_NET_WM_ICON")
		return bytes.Equal(last, iconProp(8, 8, px2))
	})
	WaitFor(t, "the new state on the client window", func() bool {
		return slices.Equal(windowStates(cd, cli.ID), []string{"above"})
	})

	// The client's side changes the state (its window manager or user
	// makes the window sticky): the application's window follows.
	xprop(t, cd, "-id", fmt.Sprint(cli.ID), "-f", "_NET_WM_STATE", "32a", "-set", "_NET_WM_STATE", "_NET_WM_STATE_STICKY")
	WaitFor(t, "the client's state on the server window", func() bool {
		return slices.Equal(windowStates(n, srv.ID), []string{"sticky"})
	})

	// A client asks for states (as xpra's client does when its user
	// maximizes a window): the application's window gets them.
	nc := uiConnect(t, "unix", e.Socket(n))
	defer nc.Close()
	w := wire.NewWriter(nc)
	go func() { // drain what the server sends
		r := wire.NewReader(nc)
		for {
			if _, err := r.ReadPacket(); err != nil {
				return
			}
		}
	}()
	if err := w.WritePacket(xpra.ConfigureWindow{WID: 1, Width: 100, Height: 100,
		State: wire.Dict{"maximized": true, "sticky": false, "focused": true}, SkipGeometry: true}.Packet()); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "the requested state on the server window", func() bool {
		return slices.Equal(windowStates(n, srv.ID), []string{"maximized"})
	})
}

// TestXpraClientShowsIconAndState: Debian's xpra 3.1.3 client attached
// to an xroam session shows the application's icon and its fullscreen
// state on its own window.
func TestXpraClientShowsIconAndState(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	needXpraPainting(t)
	n := e.Start("--start=xterm -fullscreen -T xicon -geometry 40x10")
	srv := WaitWindow(t, n, "xicon")
	WaitFor(t, "the xterm to become fullscreen on the server", func() bool {
		return slices.Contains(windowStates(n, srv.ID), "fullscreen")
	})
	// A plain red 64x64 icon: xpra's own default icon has no such red.
	red := make([]uint32, 64*64)
	for i := range red {
		red[i] = 0xffff0000
	}
	setIcon(t, n, srv.ID, 64, 64, red)

	cd := ClientDisplay(t)
	e.srvAttachXpra(t, "socket://"+e.Socket(n), cd)
	cli := WaitWindow(t, cd, "xicon")
	WaitFor(t, "the xpra client window to show the red icon", func() bool {
		_, v, _ := x11test.WindowProperty(context.Background(), fmt.Sprintf(":%d", cd), cli.ID, "_NET_WM_ICON")
		return redShare(v) > 0.3
	})
	WaitFor(t, "the xpra client window to be fullscreen", func() bool {
		return slices.Contains(windowStates(cd, cli.ID), "fullscreen")
	})
}

// redShare is the share of opaque pure-red pixels in the largest icon of
// a _NET_WM_ICON value.
func redShare(v []byte) float64 {
	best := 0.0
	for len(v) >= 8 {
		w, h := int(binary.LittleEndian.Uint32(v)), int(binary.LittleEndian.Uint32(v[4:]))
		v = v[8:]
		if w <= 0 || h <= 0 || w*h*4 > len(v) {
			break
		}
		red := 0
		for i := 0; i < w*h*4; i += 4 {
			if binary.LittleEndian.Uint32(v[i:]) == 0xffff0000 {
				red++
			}
		}
		best = max(best, float64(red)/float64(w*h))
		v = v[w*h*4:]
	}
	return best
}

// TestKeyboardModifiersAndMissingKeysyms: the modifiers a client says are
// held are held on the server too (and released when it says they are
// not), and a keysym the server's keyboard lacks is still typed.
func TestKeyboardModifiersAndMissingKeysyms(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	typed := filepath.Join(e.Home, "typed")
	script := filepath.Join(e.Home, "app.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nwhile IFS= read -r l; do printf '%s\\n' \"$l\" >> "+typed+"; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	n := e.Start("--start=env LC_ALL=C.UTF-8 xterm -u8 -T keys -geometry 40x10 -e " + script)
	WaitWindow(t, n, "keys")
	nc := uiConnect(t, "unix", e.Socket(n))
	defer nc.Close()
	go func() {
		r := wire.NewReader(nc)
		for {
			if _, err := r.ReadPacket(); err != nil {
				return
			}
		}
	}()
	w := wire.NewWriter(nc)
	key := func(name string, keyval int64, mods ...string) {
		for _, down := range []bool{true, false} {
			if err := w.WritePacket(xpra.KeyAction{WID: 1, Name: name, Pressed: down, Modifiers: mods, Keyval: keyval}.Packet()); err != nil {
				t.Fatal(err)
			}
		}
	}
	// "a" with shift held on the client (its Shift_L press went
	// elsewhere): the server holds shift, and types "A".
	key("a", 'a', "shift")
	// Shift is no longer held: the server lets go of it.
	key("b", 'b')
	// é and € are on no key of the server's US keyboard.
	key("eacute", 0xe9)
	key("EuroSign", 0x20ac)
	key("Return", 0xff0d)
	WaitFor(t, "the typed line", func() bool {
		b, _ := os.ReadFile(typed)
		return bytes.HasSuffix(b, []byte("\n"))
	})
	if b, _ := os.ReadFile(typed); string(b) != "Abé€\n" {
		t.Errorf("typed %q, want %q", b, "Abé€\n")
	}
}

// TestBellReachesClients: an application's bell (xterm printing BEL)
// reaches a client that wants bells, for the application's window.
func TestBellReachesClients(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--start=xterm -T bell -geometry 40x10 -e sh -c 'while :; do printf \"\\a\"; sleep 0.5; done'")
	WaitWindow(t, n, "bell")
	nc, err := net.DialTimeout("unix", e.Socket(n), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := wire.NewWriter(nc).WritePacket(xpra.NewHello(wire.Dict{"version": "3.1.3", "rencode": true, "ui_client": true, "bell": true})); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	r := wire.NewReader(nc)
	for {
		p, err := r.ReadPacket()
		if err != nil {
			t.Fatalf("no bell packet: %v", err)
		}
		if p.Type() != "bell" {
			continue
		}
		wid, _ := p.Int(1)
		percent, _ := p.Int(3)
		if wid != 1 || len(p) < 9 {
			t.Errorf("bell packet %v, want one for window 1", p)
		}
		t.Logf("bell: wid %d percent %d name %q", wid, percent, p.Str(8))
		return
	}
}

// TestAttachRingsTheBell: an application's bell rings on the display
// of the xroam client attached to its session; with --bell=no the
// client asks for no bells, and the server sends it none.
func TestAttachRingsTheBell(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--start=xterm -T abell -geometry 40x10 -e sh -c 'while :; do printf \"\\a\"; sleep 0.5; done'")
	WaitWindow(t, n, "abell")

	quiet := ClientDisplay(t)
	q := e.Attach(quiet, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir, "--bell=no")
	WaitWindow(t, quiet, "abell")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	b, err := x11test.WaitForBell(ctx, fmt.Sprintf(":%d", quiet))
	cancel()
	if err == nil {
		t.Errorf("--bell=no: the client rang the bell: %+v", b)
	}
	q.Cmd.Process.Kill()

	cd := ClientDisplay(t)
	e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir)
	WaitWindow(t, cd, "abell")
	ctx, cancel = context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err = x11test.WaitForBell(ctx, fmt.Sprintf(":%d", cd))
	if err != nil {
		t.Fatalf("no bell on the client's display: %v", err)
	}
	t.Logf("bell on the client display: %+v", b)
}

func shapeOf(t *testing.T, display int, id uint32) []geom.Rect {
	t.Helper()
	r, shaped, err := x11test.WindowShapeRects(context.Background(), fmt.Sprintf(":%d", display), id)
	if err != nil {
		t.Fatal(err)
	}
	if !shaped {
		return nil
	}
	return r
}

// TestShapedWindow: xeyes's round window has the same shape on the xroam
// client.
func TestShapedWindow(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	if _, err := exec.LookPath("xeyes"); err != nil {
		t.Skip("xeyes is not installed")
	}
	n := e.Start("--start=xeyes -geometry 120x90")
	srv := WaitWindow(t, n, "xeyes")
	var want []geom.Rect
	WaitFor(t, "xeyes to be shaped", func() bool {
		want = shapeOf(t, n, srv.ID)
		return len(want) > 1
	})

	cd := ClientDisplay(t)
	e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir)
	cli := WaitWindow(t, cd, "xeyes")
	var got []geom.Rect
	WaitFor(t, "the client window to take xeyes's shape", func() bool {
		got = shapeOf(t, cd, cli.ID)
		return slices.Equal(got, want)
	})
	// Debian's xpra 3.1.3 client receives the same shape but never
	// applies it: its set_shape looks the rectangles up with str keys in
	// a dict whose keys rencode decoded as bytes (seen with -d shape), so
	// it shows no shape from any server, xpra's own included.
}

// TestAttachBorder: --border=red,4 frames the remote window in red on
// the client, and the inside still shows the application's pixels.
func TestAttachBorder(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--start=xterm -T framed -geometry 40x10")
	srv := WaitWindow(t, n, "framed")
	cd := ClientDisplay(t)
	e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir, "--encoding=rgb", "--border=red,4")
	cli := WaitWindow(t, cd, "framed")
	var last string
	defer func() {
		if t.Failed() {
			t.Logf("the client's picture last: %s", last)
		}
	}()
	WaitFor(t, "a red frame around the server's pixels", func() bool {
		s, err1 := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", n), srv.ID)
		c, err2 := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", cd), cli.ID)
		if err1 != nil || err2 != nil || s.Width != c.Width || s.Height != c.Height {
			last = fmt.Sprintf("%v %v", err1, err2)
			return false
		}
		frame, inside := 0, 0
		for y := range c.Height {
			for x := range c.Width {
				i := (y*c.Width + x) * 4
				edge := x < 4 || y < 4 || x >= c.Width-4 || y >= c.Height-4
				switch {
				case edge && !(c.Pix[i] == 0 && c.Pix[i+1] == 0 && c.Pix[i+2] == 0xff):
					frame++
				case !edge && !bytes.Equal(c.Pix[i:i+3], s.Pix[i:i+3]):
					inside++
				}
			}
		}
		last = fmt.Sprintf("%d frame pixels not red, %d inside pixels differ", frame, inside)
		return frame == 0 && inside == 0
	})
	t.Logf("frame: %s", last)
	if out, code := e.Run("attach", fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir, "--border=chartreuse-ish"); code == 0 || !strings.Contains(out, "--border") {
		t.Errorf("a bad --border was accepted (%d): %s", code, out)
	}
}

func inputFocus(t *testing.T, display int) string {
	t.Helper()
	cmd := exec.Command("xdotool", "getwindowfocus")
	cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", display))
	out, _ := cmd.Output()
	return strings.TrimSpace(string(out))
}

// TestWMHintsInputAndUrgency: a window whose WM_HINTS say it takes no
// input is never given the focus when a client focuses it, one that
// takes input is; the urgency hint shows in info.
func TestWMHintsInputAndUrgency(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("xdotool is not installed")
	}
	n := e.Start("--start=xterm -T hints -geometry 40x10")
	srv := WaitWindow(t, n, "hints")
	id := fmt.Sprint(srv.ID)
	// flags InputHint|UrgencyHint, input False.
	xprop(t, n, "-id", id, "-f", "WM_HINTS", "32i", "-set", "WM_HINTS", "257,0,0,0,0,0,0,0,0")
	WaitFor(t, "the urgency in info", func() bool {
		out, _ := e.Run("info", fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir)
		return strings.Contains(out, "windows.0.urgent=true")
	})
	nc := uiConnect(t, "unix", e.Socket(n))
	defer nc.Close()
	go func() {
		r := wire.NewReader(nc)
		for {
			if _, err := r.ReadPacket(); err != nil {
				return
			}
		}
	}()
	w := wire.NewWriter(nc)
	if err := w.WritePacket(xpra.Focus{WID: 1}.Packet()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if f := inputFocus(t, n); f == id {
		t.Fatalf("a window without input got the focus")
	}
	xprop(t, n, "-id", id, "-f", "WM_HINTS", "32i", "-set", "WM_HINTS", "1,1,0,0,0,0,0,0,0")
	WaitFor(t, "the urgency to clear", func() bool {
		out, _ := e.Run("info", fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir)
		return strings.Contains(out, "windows.0.urgent=false")
	})
	if err := w.WritePacket(xpra.Focus{WID: 1}.Packet()); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "the focus on the window that takes input", func() bool { return inputFocus(t, n) == id })
}

// TestKeyboardWithoutSync: a client without keyboard_sync whose key
// release never arrives leaves no key held on the server (a held key
// would repeat: with keyboard_sync this types a row of x's).
func TestKeyboardWithoutSync(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	typed := filepath.Join(e.Home, "typed")
	script := filepath.Join(e.Home, "app.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nwhile IFS= read -r l; do printf '%s\\n' \"$l\" >> "+typed+"; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	n := e.Start("--start=xterm -T nosync -geometry 40x10 -e " + script)
	WaitWindow(t, n, "nosync")
	nc, err := net.DialTimeout("unix", e.Socket(n), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	w := wire.NewWriter(nc)
	if err := w.WritePacket(xpra.NewHello(wire.Dict{"version": "3.1.3", "rencode": true, "ui_client": true, "keyboard_sync": false})); err != nil {
		t.Fatal(err)
	}
	go func() {
		r := wire.NewReader(nc)
		for {
			if _, err := r.ReadPacket(); err != nil {
				return
			}
		}
	}()
	send := func(name string, keyval int64, down bool) {
		if err := w.WritePacket(xpra.KeyAction{WID: 1, Name: name, Pressed: down, Keyval: keyval}.Packet()); err != nil {
			t.Fatal(err)
		}
	}
	// "x" is pressed and its release is lost; the server's autorepeat
	// would type many x's if the key stayed held.
	send("x", 'x', true)
	time.Sleep(1500 * time.Millisecond)
	send("Return", 0xff0d, true)
	send("Return", 0xff0d, false)
	WaitFor(t, "the typed line", func() bool {
		b, _ := os.ReadFile(typed)
		return len(b) > 0
	})
	if b, _ := os.ReadFile(typed); string(b) != "x\n" {
		t.Errorf("typed %q, want %q", b, "x\n")
	}
}

// TestWheelScrollsThroughXpraClient: Debian's xpra 3.1.3 client sends
// the wheel as buttons 4 and 5 (the server does not offer
// wheel.precise); they reach the xterm, which scrolls back.
func TestWheelScrollsThroughXpraClient(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	needXpraPainting(t)
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("xdotool is not installed")
	}
	n := e.Start("--start=xterm -T wheel -sl 500 -geometry 40x10 -e sh -c 'seq 1 200; sleep 1000'")
	srv := WaitWindow(t, n, "wheel")
	cd := ClientDisplay(t)
	e.srvAttachXpra(t, "socket://"+e.Socket(n), cd)
	cli := WaitWindow(t, cd, "wheel")
	srvWaitSamePixels(t, n, srv.ID, cd, cli.ID)
	before, err := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", n), srv.ID)
	if err != nil {
		t.Fatal(err)
	}
	srvXdotool(t, cd, "mousemove", "--window", fmt.Sprint(cli.ID), "50", "50")
	WaitFor(t, "the wheel to scroll the xterm back", func() bool {
		srvXdotool(t, cd, "click", "4")
		now, err := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", n), srv.ID)
		return err == nil && DiffPixels(before, now, 0) > 0
	})
}
