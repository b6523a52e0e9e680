package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"testing"

	"github.com/xroam/xroam/core/x11"
)

func screenSize(t *testing.T, display int) string {
	t.Helper()
	info, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", display))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%dx%d", info.Width, info.Height)
}

// TestScreenFitsClientDesktop: the session's screen takes the size of
// the desktop of the client that attaches, follows it when the client's
// screen changes (RandR on the client's display), and takes the xpra
// 3.1.3 client's size when that one attaches.
func TestScreenFitsClientDesktop(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--start=xterm -T fit -geometry 40x10")
	WaitWindow(t, n, "fit")
	if got := screenSize(t, n); got == "1000x700" {
		t.Fatalf("the session starts at %s already", got)
	}
	cd := XdummyDisplay(t)
	if _, _, err := x11.ResizeScreen(context.Background(), fmt.Sprintf(":%d", cd), 1000, 700); err != nil {
		t.Fatal(err)
	}
	a := e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir)
	WaitWindow(t, cd, "fit")
	WaitFor(t, "the session's screen to take the client's 1000x700", func() bool { return screenSize(t, n) == "1000x700" })

	// The user changes the client's screen: the session follows.
	if _, _, err := x11.ResizeScreen(context.Background(), fmt.Sprintf(":%d", cd), 1200, 800); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "the session's screen to follow the client to 1200x800", func() bool { return screenSize(t, n) == "1200x800" })
	a.Cmd.Process.Kill()

	if _, err := exec.LookPath("xpra"); err != nil {
		return
	}
	needXpraPainting(t)
	xd := ClientDisplay(t) // 1280x1024
	e.srvAttachXpra(t, "socket://"+e.Socket(n), xd)
	WaitWindow(t, xd, "fit")
	WaitFor(t, "the session's screen to take the xpra client's 1280x1024", func() bool { return screenSize(t, n) == "1280x1024" })
}

// TestResizeDisplayNo: --resize-display=no keeps the session's screen
// whatever the client's desktop.
func TestResizeDisplayNo(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--resize-display=no", "--start=xterm -T keep -geometry 40x10")
	WaitWindow(t, n, "keep")
	before := screenSize(t, n)
	cd := XdummyDisplay(t)
	if _, _, err := x11.ResizeScreen(context.Background(), fmt.Sprintf(":%d", cd), 1000, 700); err != nil {
		t.Fatal(err)
	}
	a := e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir)
	defer a.Cmd.Process.Kill()
	WaitWindow(t, cd, "keep")
	if got := screenSize(t, n); got != before {
		t.Errorf("--resize-display=no: the screen went from %s to %s", before, got)
	}
}
