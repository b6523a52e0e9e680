package e2e

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11/x11test"
)

// TestScreenshotMatchesDisplay: the PNG that screenshot writes is the
// area of the session's windows exactly as the server display shows it.
func TestScreenshotMatchesDisplay(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--start=xterm -T shot-app -geometry 60x10+20+30")
	w := WaitWindow(t, n, "shot-app")
	file := filepath.Join(e.Home, "shot.png")
	// Wait for the xterm to draw before the picture is taken.
	var snap x11test.Snapshot
	WaitFor(t, "the xterm to draw", func() bool {
		var err error
		snap, err = x11test.SnapshotWindow(t.Context(), fmt.Sprintf(":%d", n), w.ID)
		if err != nil {
			return false
		}
		for i := 4; i+3 < len(snap.Pix); i += 4 {
			if snap.Pix[i] != snap.Pix[0] || snap.Pix[i+1] != snap.Pix[1] || snap.Pix[i+2] != snap.Pix[2] {
				return true
			}
		}
		return false
	})
	out := e.MustRun("screenshot", file, fmt.Sprintf(":%d", n))
	if !strings.Contains(out, "saved to") {
		t.Fatalf("screenshot: %q", out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if img.Bounds().Dx() != w.Width || img.Bounds().Dy() != w.Height {
		t.Errorf("screenshot is %v, the window %dx%d", img.Bounds(), w.Width, w.Height)
	}
	diff := 0
	for y := 0; y < min(snap.Height, img.Bounds().Dy()); y++ {
		for x := 0; x < min(snap.Width, img.Bounds().Dx()); x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			i := (y*snap.Width + x) * 4
			if uint8(bb>>8) != snap.Pix[i] || uint8(g>>8) != snap.Pix[i+1] || uint8(r>>8) != snap.Pix[i+2] {
				diff++
			}
		}
	}
	if diff != 0 {
		t.Errorf("%d pixels differ from the server window", diff)
	}
	if _, err := os.Stat("/usr/bin/xpra"); err == nil {
		xfile := filepath.Join(e.Home, "xpra.png")
		if out, err := e.xpra(30*time.Second, "screenshot", xfile, "socket://"+e.Socket(n)); err != nil {
			t.Errorf("xpra screenshot: %v\n%s", err, out)
		} else if xb, err := os.ReadFile(xfile); err != nil {
			t.Errorf("xpra screenshot wrote no file: %v", err)
		} else if ximg, err := png.Decode(bytes.NewReader(xb)); err != nil || ximg.Bounds() != img.Bounds() {
			t.Errorf("xpra's screenshot: %v, bounds %v", err, ximg)
		}
	}
}
