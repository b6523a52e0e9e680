package e2e

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

// TestUpgradeKeepsPixels: after `xroam upgrade` the application's window
// has the same pixels on the display, and a client attaching to the new
// server shows exactly those pixels.
func TestUpgradeKeepsPixels(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpraPainting(t)
	n := e.Start("--start=xterm -T upgrade-pix -geometry 50x10 -e sh -c 'ls /; echo upgrade-pixels; sleep 600'")
	disp := fmt.Sprintf(":%d", n)
	w := WaitWindow(t, n, "upgrade-pix")
	ctx := context.Background()
	var before x11test.Snapshot
	// Wait for the xterm to have drawn its text: two equal captures.
	WaitFor(t, "the xterm to settle", func() bool {
		a, err := x11test.SnapshotWindow(ctx, disp, w.ID)
		if err != nil {
			return false
		}
		same := before.Pix != nil && string(a.Pix) == string(before.Pix)
		before = a
		return same
	})
	oldServer := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "server.pid"))
	if out := e.MustRun("upgrade", disp); !strings.Contains(out, fmt.Sprintf("session :%d started", n)) {
		t.Fatalf("upgrade: %q", out)
	}
	WaitFor(t, "the old server to end", func() bool { return !PidAlive(oldServer) })
	after, err := x11test.SnapshotWindow(ctx, disp, WaitWindow(t, n, "upgrade-pix").ID)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := windowPSNR(before, after); err != nil || !math.IsInf(p, 1) {
		t.Fatalf("the window's pixels changed across the upgrade: PSNR %.1f dB (%v)", p, err)
	}
	cd := ClientDisplay(t)
	e.srvAttachXpra(t, "socket://"+e.Socket(n), cd)
	cw := deskWaitWindow(t, cd, func(wi x11.WindowInfo) bool {
		return wi.Mapped && strings.Contains(wi.Title, "upgrade-pix")
	})
	srvWaitSamePixels(t, n, w.ID, cd, cw.ID)
}

// TestUpgradeDesktopReattaches: upgrading a desktop session starts a
// desktop server again, keeping the application (its PID) and the X
// server; xroam's attached client is told "server upgrade" and attaches
// to the new server by itself, which shows the desktop's exact pixels.
// A shadow is upgraded into a shadow of the same display.
func TestUpgradeDesktopReattaches(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.StartVerb("start-desktop", smallXvfb, "--session-name=deskup", "--start=xterm -T deskup-app -geometry 40x8+0+0")
	disp := fmt.Sprintf(":%d", n)
	WaitWindow(t, n, "deskup-app")
	m := regexp.MustCompile(`children\.0\.pid=(\d+)`).FindStringSubmatch(e.MustRun("info", disp))
	if m == nil {
		t.Fatal("no child pid in info")
	}
	appPid, _ := strconv.Atoi(m[1])
	cd := ClientDisplay(t)
	a := e.Attach(cd, disp, "--socket-dir="+e.SockDir)
	isDesk := func(w x11.WindowInfo) bool { return w.Mapped && strings.Contains(w.Title, "deskup") }
	before := deskWaitWindow(t, cd, isDesk)
	oldServer := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "server.pid"))
	if out := e.MustRun("upgrade", disp); !strings.Contains(out, fmt.Sprintf("session :%d started", n)) {
		t.Fatalf("upgrade: %q", out)
	}
	WaitFor(t, "the old server to end", func() bool { return !PidAlive(oldServer) })
	if info := e.MustRun("info", disp); !strings.Contains(info, "server.mode=desktop") {
		t.Errorf("after the upgrade:\n%s", GrepLines(info, "server.mode"))
	}
	if !PidAlive(appPid) {
		t.Fatal("the upgrade ended the application")
	}
	// The client's new window for the new server's desktop (titled with
	// the display: the upgrade was not given --session-name).
	after := deskWaitWindow(t, cd, func(w x11.WindowInfo) bool {
		return w.Mapped && w.ID != before.ID && w.Width == before.Width && w.Height == before.Height
	})
	srv, err := x11.Probe(context.Background(), disp)
	if err != nil {
		t.Fatal(err)
	}
	srvWaitSamePixels(t, n, srv.Root, cd, after.ID)
	select {
	case err := <-a.Done:
		t.Fatalf("the client ended with the upgrade: %v\n%s", err, a.Out.String())
	default:
	}
	if !strings.Contains(a.Out.String(), "server upgrade") {
		t.Errorf("the client's log does not show the upgrade:\n%s", a.Out.String())
	}

	// A shadow stays a shadow, of the same display.
	shared := ClientDisplay(t)
	e.StartVerb("shadow", fmt.Sprintf(":%d", shared), "--readonly")
	sdisp := fmt.Sprintf(":%d", shared)
	oldShadow := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(shared), "server.pid"))
	if out := e.MustRun("upgrade", sdisp, "--readonly"); !strings.Contains(out, fmt.Sprintf("session :%d started", shared)) {
		t.Fatalf("upgrade of the shadow: %q", out)
	}
	WaitFor(t, "the old shadow server to end", func() bool { return !PidAlive(oldShadow) })
	if info := e.MustRun("info", sdisp); !strings.Contains(info, "server.mode=shadow") {
		t.Errorf("after the shadow's upgrade:\n%s", GrepLines(info, "server.mode"))
	}
}
