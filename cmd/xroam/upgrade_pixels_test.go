package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xroam/xroam/core/x11"
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
	var before x11.Snapshot
	// Wait for the xterm to have drawn its text: two equal captures.
	waitFor(t, "the xterm to settle", func() bool {
		a, err := x11.SnapshotWindow(ctx, disp, w.ID)
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
	after, err := x11.SnapshotWindow(ctx, disp, waitWindow(t, n, "upgrade-pix").ID)
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
