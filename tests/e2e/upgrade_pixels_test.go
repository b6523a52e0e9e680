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
	e := newEnv(t)
	needXpraPainting(t)
	n := e.start("--start=xterm -T upgrade-pix -geometry 50x10 -e sh -c 'ls /; echo upgrade-pixels; sleep 600'")
	disp := fmt.Sprintf(":%d", n)
	w := waitWindow(t, n, "upgrade-pix")
	ctx := context.Background()
	var before x11test.Snapshot
	// Wait for the xterm to have drawn its text: two equal captures.
	waitFor(t, "the xterm to settle", func() bool {
		a, err := x11test.SnapshotWindow(ctx, disp, w.ID)
		if err != nil {
			return false
		}
		same := before.Pix != nil && string(a.Pix) == string(before.Pix)
		before = a
		return same
	})
	oldServer := readPid(t, filepath.Join(e.sockDir, strconv.Itoa(n), "server.pid"))
	if out := e.mustRun("upgrade", disp); !strings.Contains(out, fmt.Sprintf("session :%d started", n)) {
		t.Fatalf("upgrade: %q", out)
	}
	waitFor(t, "the old server to end", func() bool { return !pidAlive(oldServer) })
	after, err := x11test.SnapshotWindow(ctx, disp, waitWindow(t, n, "upgrade-pix").ID)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := windowPSNR(before, after); err != nil || !math.IsInf(p, 1) {
		t.Fatalf("the window's pixels changed across the upgrade: PSNR %.1f dB (%v)", p, err)
	}
	cd := clientDisplay(t)
	e.srvAttachXpra(t, "socket://"+e.socket(n), cd)
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
	e := newEnv(t)
	n := e.startVerb("start-desktop", smallXvfb, "--session-name=deskup", "--start=xterm -T deskup-app -geometry 40x8+0+0")
	disp := fmt.Sprintf(":%d", n)
	waitWindow(t, n, "deskup-app")
	m := regexp.MustCompile(`children\.0\.pid=(\d+)`).FindStringSubmatch(e.mustRun("info", disp))
	if m == nil {
		t.Fatal("no child pid in info")
	}
	appPid, _ := strconv.Atoi(m[1])
	cd := clientDisplay(t)
	a := e.attach(cd, disp, "--socket-dir="+e.sockDir)
	isDesk := func(w x11.WindowInfo) bool { return w.Mapped && strings.Contains(w.Title, "deskup") }
	before := deskWaitWindow(t, cd, isDesk)
	oldServer := readPid(t, filepath.Join(e.sockDir, strconv.Itoa(n), "server.pid"))
	if out := e.mustRun("upgrade", disp); !strings.Contains(out, fmt.Sprintf("session :%d started", n)) {
		t.Fatalf("upgrade: %q", out)
	}
	waitFor(t, "the old server to end", func() bool { return !pidAlive(oldServer) })
	if info := e.mustRun("info", disp); !strings.Contains(info, "server.mode=desktop") {
		t.Errorf("after the upgrade:\n%s", grepLines(info, "server.mode"))
	}
	if !pidAlive(appPid) {
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
	case err := <-a.done:
		t.Fatalf("the client ended with the upgrade: %v\n%s", err, a.out.String())
	default:
	}
	if !strings.Contains(a.out.String(), "server upgrade") {
		t.Errorf("the client's log does not show the upgrade:\n%s", a.out.String())
	}

	// A shadow stays a shadow, of the same display.
	shared := clientDisplay(t)
	e.startVerb("shadow", fmt.Sprintf(":%d", shared), "--readonly")
	sdisp := fmt.Sprintf(":%d", shared)
	oldShadow := readPid(t, filepath.Join(e.sockDir, strconv.Itoa(shared), "server.pid"))
	if out := e.mustRun("upgrade", sdisp, "--readonly"); !strings.Contains(out, fmt.Sprintf("session :%d started", shared)) {
		t.Fatalf("upgrade of the shadow: %q", out)
	}
	waitFor(t, "the old shadow server to end", func() bool { return !pidAlive(oldShadow) })
	if info := e.mustRun("info", sdisp); !strings.Contains(info, "server.mode=shadow") {
		t.Errorf("after the shadow's upgrade:\n%s", grepLines(info, "server.mode"))
	}
}
