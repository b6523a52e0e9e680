package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/rfb"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

const smallXvfb = "--xvfb=Xvfb +extension Composite +extension DAMAGE +extension RANDR +extension MIT-SHM +extension XTEST -screen 0 640x480x24+32 -nolisten tcp -noreset"

// TestStartDesktopShowsTheScreen: a desktop session's whole screen is one
// client window with the screen's pixels, and typing in it reaches the
// xterm inside.
func TestStartDesktopShowsTheScreen(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	out := filepath.Join(e.Home, "typed")
	n := e.StartVerb("start-desktop", smallXvfb, "--session-name=deskt",
		fmt.Sprintf("--start=xterm -T desk-app -geometry 40x8+0+0 -e sh -c 'read l; echo \"$l\" > %s; sleep 60'", out))
	WaitWindow(t, n, "desk-app")
	if info := e.MustRun("info", fmt.Sprintf(":%d", n)); !strings.Contains(info, "server.mode=desktop") {
		t.Errorf("info:\n%s", info)
	}
	srv, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", n))
	if err != nil {
		t.Fatal(err)
	}
	cd := ClientDisplay(t)
	e.srvAttachXpra(t, "socket://"+e.Socket(n), cd)
	cw := deskWaitWindow(t, cd, func(w x11.WindowInfo) bool {
		return w.Mapped && strings.Contains(w.Title, "deskt")
	})
	if cw.Width != 640 || cw.Height != 480 {
		t.Errorf("client window %dx%d, want the screen's 640x480", cw.Width, cw.Height)
	}
	srvWaitSamePixels(t, n, srv.Root, cd, cw.ID)
	// The pointer over the xterm gives it the keyboard (no window manager).
	srvXdotool(t, cd, "mousemove", "--window", fmt.Sprint(cw.ID), "40", "40")
	srvXdotool(t, cd, "windowfocus", "--sync", fmt.Sprint(cw.ID))
	srvXdotool(t, cd, "type", "--delay", "30", "desktop ok")
	srvXdotool(t, cd, "key", "Return")
	WaitFor(t, "the typed line", func() bool {
		b, _ := os.ReadFile(out)
		return strings.TrimSpace(string(b)) == "desktop ok"
	})
}

// TestShadowMirrorsADisplay shares a display xroam did not start: the
// client sees its screen, a change on it reaches the client, and stopping
// the shadow leaves the display and its application running.
func TestShadowMirrorsADisplay(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	shared := ClientDisplay(t)
	app := exec.Command("xterm", "-T", "shadowed-app", "-geometry", "40x8+10+10")
	app.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", shared))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Process.Kill(); app.Wait() })
	aw := WaitWindow(t, shared, "shadowed-app")
	e.StartVerb("shadow", fmt.Sprintf(":%d", shared), "--readonly")
	if info := e.MustRun("info", fmt.Sprintf(":%d", shared)); !strings.Contains(info, "server.mode=shadow") {
		t.Errorf("info:\n%s", info)
	}
	srv, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", shared))
	if err != nil {
		t.Fatal(err)
	}
	cd := ClientDisplay(t)
	e.srvAttachXpra(t, "socket://"+e.Socket(shared), cd)
	cw := deskWaitWindow(t, cd, func(w x11.WindowInfo) bool {
		return w.Mapped && w.Width == srv.Width && w.Height == srv.Height
	})
	srvWaitSamePixels(t, shared, srv.Root, cd, cw.ID)
	// A change on the shadowed display: a second window appears there.
	second := exec.Command("xterm", "-T", "second", "-geometry", "30x5+300+200", "-bg", "red")
	second.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", shared))
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Process.Kill(); second.Wait() })
	WaitWindow(t, shared, "second")
	srvWaitSamePixels(t, shared, srv.Root, cd, cw.ID)

	shadowPid := e.ServerPid(shared)
	e.MustRun("stop", fmt.Sprintf(":%d", shared))
	WaitFor(t, "the shadow server to end", func() bool { return !PidAlive(shadowPid) })
	if got := WaitWindow(t, shared, "shadowed-app"); got.ID != aw.ID {
		t.Error("the shadowed application's window changed")
	}
	if _, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", shared)); err != nil {
		t.Errorf("stopping the shadow ended the shadowed display: %v", err)
	}
}

// deskWaitWindow waits for a window matching match on a client display.
func deskWaitWindow(t *testing.T, display int, match func(x11.WindowInfo) bool) x11.WindowInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, err := x11test.WaitForWindow(ctx, fmt.Sprintf(":%d", display), match)
	if err != nil {
		t.Fatalf("no such window on :%d: %v", display, err)
	}
	return w
}

// TestDesktopResizesWithItsWindow: resizing a desktop session's window
// on the client resizes the session's screen with RandR; the client
// shows the resized screen's exact pixels, and an RFB client of the same
// session gets the new size as a desktop-size update.
func TestDesktopResizesWithItsWindow(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needVNCViewer(t) // xdotool
	port := suite.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	n := e.StartVerb("start-desktop", smallXvfb, "--session-name=deskresize", "--bind-rfb="+addr,
		"--start=xterm -T resize-app -geometry 40x8+0+0")
	WaitWindow(t, n, "resize-app")
	if got := screenSize(t, n); got != "640x480" {
		t.Fatalf("the desktop starts at %s", got)
	}
	rc, err := dialRFB(t, addr, "", rfb.EncRaw, rfb.EncDesktopSize)
	if err != nil {
		t.Fatal(err)
	}
	rc.update(false)
	cd := ClientDisplay(t)
	e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir)
	cw := deskWaitWindow(t, cd, func(w x11.WindowInfo) bool {
		return w.Mapped && strings.Contains(w.Title, "deskresize")
	})
	if cw.Width != 640 || cw.Height != 480 {
		t.Fatalf("client window %dx%d, want the screen's 640x480", cw.Width, cw.Height)
	}
	srvXdotool(t, cd, "windowsize", fmt.Sprint(cw.ID), "500", "400")
	WaitFor(t, "the desktop to follow its window to 500x400", func() bool { return screenSize(t, n) == "500x400" })
	srv, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", n))
	if err != nil {
		t.Fatal(err)
	}
	srvWaitSamePixels(t, n, srv.Root, cd, cw.ID)
	WaitFor(t, "the RFB client to get the new size", func() bool {
		rc.tryUpdate(true, 200*time.Millisecond)
		return rc.dec.W == 500 && rc.dec.H == 400
	})
	// The update with the new size carries the whole resized screen.
	if ok, why := rc.sameAsDisplay(n, srv.Root); !ok {
		t.Errorf("RFB client after the resize: %s", why)
	}
	// Larger than the X server allows (Xvfb cannot grow past its
	// -screen): the desktop takes the largest size and the window is
	// told so.
	srvXdotool(t, cd, "windowsize", fmt.Sprint(cw.ID), "900", "700")
	WaitFor(t, "the desktop to take its largest size", func() bool { return screenSize(t, n) == "640x480" })
	deskWaitWindow(t, cd, func(w x11.WindowInfo) bool {
		return w.ID == cw.ID && w.Width == 640 && w.Height == 480
	})
	srvWaitSamePixels(t, n, srv.Root, cd, cw.ID)

	// An RFB client's SetDesktopSize resizes the desktop as well: it is
	// answered with the new size, and the xroam client's window follows.
	ext, err := dialRFB(t, addr, "", rfb.EncRaw, rfb.EncExtendedDesktopSize)
	if err != nil {
		t.Fatal(err)
	}
	ext.update(false)
	ext.send(rfb.AppendSetDesktopSize(nil, 560, 420))
	WaitFor(t, "the answer to SetDesktopSize", func() bool {
		ext.tryUpdate(true, 200*time.Millisecond)
		return ext.dec.W == 560 && ext.dec.H == 420
	})
	if ext.dec.SizeReason != 1 || ext.dec.SizeStatus != 0 {
		t.Errorf("SetDesktopSize answered with reason %d, status %d", ext.dec.SizeReason, ext.dec.SizeStatus)
	}
	if got := screenSize(t, n); got != "560x420" {
		t.Errorf("after SetDesktopSize the screen is %s", got)
	}
	deskWaitWindow(t, cd, func(w x11.WindowInfo) bool {
		return w.ID == cw.ID && w.Width == 560 && w.Height == 420
	})
	srvWaitSamePixels(t, n, srv.Root, cd, cw.ID)
}

// TestDesktopFullscreen: with --desktop-fullscreen the client shows a
// desktop session fullscreen: its window covers the local screen with
// the fullscreen state, and the session's screen takes the local
// screen's size.
func TestDesktopFullscreen(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.StartVerb("start-desktop", "--xvfb=Xvfb +extension Composite +extension DAMAGE +extension RANDR +extension MIT-SHM +extension XTEST -screen 0 1600x1200x24+32 -nolisten tcp -noreset",
		"--session-name=deskfull", "--start=xterm -T full-app -geometry 40x8+0+0")
	WaitWindow(t, n, "full-app")
	// A desktop smaller than the client's screen: without the option it
	// keeps its size (TestStartDesktopShowsTheScreen).
	if _, _, err := x11.ResizeScreen(context.Background(), fmt.Sprintf(":%d", n), 800, 600); err != nil {
		t.Fatal(err)
	}
	cd := ClientDisplay(t) // 1280x1024
	e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir, "--desktop-fullscreen=yes")
	cw := deskWaitWindow(t, cd, func(w x11.WindowInfo) bool {
		return w.Mapped && strings.Contains(w.Title, "deskfull")
	})
	if cw.X != 0 || cw.Y != 0 || cw.Width != 1280 || cw.Height != 1024 {
		t.Errorf("client window %dx%d+%d+%d, want the whole 1280x1024 screen", cw.Width, cw.Height, cw.X, cw.Y)
	}
	if st := windowStates(cd, cw.ID); !slices.Contains(st, "fullscreen") {
		t.Errorf("client window states %v, want fullscreen", st)
	}
	WaitFor(t, "the desktop to take the client's 1280x1024", func() bool { return screenSize(t, n) == "1280x1024" })
	srv, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", n))
	if err != nil {
		t.Fatal(err)
	}
	srvWaitSamePixels(t, n, srv.Root, cd, cw.ID)
}

// TestDesktopResizesWithXpraClient: the xpra 3.1.3 client's desktop
// window, resized on its display, resizes the session's screen too.
func TestDesktopResizesWithXpraClient(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	needVNCViewer(t) // xdotool
	n := e.StartVerb("start-desktop", smallXvfb, "--session-name=xpraresize", "--start=xterm -T xr-app -geometry 40x8+0+0")
	WaitWindow(t, n, "xr-app")
	cd := ClientDisplay(t)
	e.srvAttachXpra(t, "socket://"+e.Socket(n), cd)
	cw := deskWaitWindow(t, cd, func(w x11.WindowInfo) bool {
		return w.Mapped && strings.Contains(w.Title, "xpraresize") && w.Width == 640 && w.Height == 480
	})
	srvXdotool(t, cd, "windowsize", fmt.Sprint(cw.ID), "520", "400")
	WaitFor(t, "the desktop to follow the xpra client's window to 520x400", func() bool { return screenSize(t, n) == "520x400" })
	srv, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", n))
	if err != nil {
		t.Fatal(err)
	}
	srvWaitSamePixels(t, n, srv.Root, cd, cw.ID)
}
