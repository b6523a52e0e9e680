package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

// SizedDisplay starts an Xvfb with the given screen and options and
// returns its display number, which Xvfb picks itself (-displayfd): it
// binds the first free display's sockets, so two starts never share one.
// -noreset: without it the X server resets whenever its last client
// leaves (a test's probe, say), and a connection made during the reset
// is refused ("connection reset by peer"), as a session starting on it
// then found once in a few runs. The X server is killed when the test
// ends.
func SizedDisplay(t *testing.T, screen string, extra ...string) int {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", append([]string{"-displayfd", "3", "-screen", "0", screen, "-nolisten", "tcp", "-noreset"}, extra...)...)
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var n int
	if _, err := fmt.Fscan(r, &n); err != nil {
		t.Fatalf("Xvfb %s: %v", screen, err)
	}
	r.Close()
	return n
}

// ClientDisplay starts an Xvfb for a client to show its windows on.
func ClientDisplay(t *testing.T) int {
	t.Helper()
	return SizedDisplay(t, "1280x1024x24")
}

// XdummyDisplay starts Xorg with the dummy driver, a display whose
// screen can take any size up to 4096x2304 (Xvfb cannot grow), and
// returns its number, or skips.
func XdummyDisplay(t *testing.T) int {
	t.Helper()
	xv, err := x11.StartXvfb(context.Background(), x11.XvfbConfig{Display: -1, Command: x11test.XdummyCommand(t)})
	if err != nil {
		t.Skip("Xorg with the dummy driver does not start here: ", err)
	}
	t.Cleanup(func() { xv.Stop(context.Background()) })
	return xv.Display()
}

// WaitWindow waits for a mapped top-level window whose title contains
// title.
func WaitWindow(t *testing.T, display int, title string) x11.WindowInfo {
	t.Helper()
	return WaitWindowOn(t, display, fmt.Sprintf("window %q", title), func(w x11.WindowInfo) bool {
		return w.Mapped && strings.Contains(w.Title, title)
	})
}

// WaitWindowOn waits for a top-level window on display that match
// accepts; what names it in the failure.
func WaitWindowOn(t *testing.T, display int, what string, match func(x11.WindowInfo) bool) x11.WindowInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	w, err := x11test.WaitForWindow(ctx, fmt.Sprintf(":%d", display), match)
	if err != nil {
		t.Fatalf("%s on :%d: %v", what, display, err)
	}
	return w
}

// Snapshot is the picture of window win on display.
func Snapshot(t *testing.T, display int, win uint32) x11test.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := x11test.SnapshotWindow(ctx, fmt.Sprintf(":%d", display), win)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// DiffPixels counts the pixels whose colour (the three low bytes of BGRX)
// differs; -1 when the sizes differ. Client pixel (x, y) is compared with
// server pixel (x-shift, y-shift), where both exist: xpra draws a window
// with a border (menus) as the border's outer corner, i.e. shifted by the
// border width against its inside, which is what GetImage returns.
func DiffPixels(server, client x11test.Snapshot, shift int) int {
	if server.Width != client.Width || server.Height != client.Height || len(server.Pix) != len(client.Pix) {
		return -1
	}
	n := 0
	for y := shift; y < client.Height; y++ {
		for x := shift; x < client.Width; x++ {
			i, j := ((y-shift)*server.Width+x-shift)*4, (y*client.Width+x)*4
			if server.Pix[i] != client.Pix[j] || server.Pix[i+1] != client.Pix[j+1] || server.Pix[i+2] != client.Pix[j+2] {
				n++
			}
		}
	}
	return n
}

// Colours counts the colours of a picture, up to 16.
func Colours(img x11test.Snapshot) int {
	seen := map[[3]byte]bool{}
	for i := 0; i+3 < len(img.Pix) && len(seen) < 16; i += 4 {
		seen[[3]byte{img.Pix[i], img.Pix[i+1], img.Pix[i+2]}] = true
	}
	return len(seen)
}

// SamePixels waits until the client window has the server window's size
// and shows exactly its pixels (draws may still be arriving; xpra maps the
// server window only once a client has shown it).
func SamePixels(t *testing.T, serverDisp int, serverWin uint32, clientDisp int, clientWin uint32, shift int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	var last string
	for ctx.Err() == nil {
		s, err1 := x11test.SnapshotWindow(ctx, fmt.Sprintf(":%d", serverDisp), serverWin)
		c, err2 := x11test.SnapshotWindow(ctx, fmt.Sprintf(":%d", clientDisp), clientWin)
		switch {
		case err1 != nil || err2 != nil:
			last = fmt.Sprintf("capture: %v / %v", err1, err2)
		case Colours(c) < 2:
			last = "the client window is blank"
		default:
			d := DiffPixels(s, c, shift)
			if d == 0 {
				return
			}
			last = fmt.Sprintf("server %dx%d, client %dx%d, %d pixels differ", s.Width, s.Height, c.Width, c.Height, d)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("the client window never matched the server's: %s", last)
}

// Xdotool runs xdotool on display and fails the test if it fails.
func Xdotool(t *testing.T, display int, args ...string) {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", display))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
}
