package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

// The product's own path, `xroam start` then `xroam attach`, with nothing
// from xpra: what issue 5's "done when" asks of seamless windows.

// childPIDs maps each command the session started to its pid, from
// `xroam info`.
func (e *Env) childPIDs(display int) map[string]int {
	e.T.Helper()
	info := e.MustRun("info", fmt.Sprintf(":%d", display))
	cmds := map[string]string{}
	pids := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^children\.(\d+)\.(command|pid)=(.*)$`).FindAllStringSubmatch(info, -1) {
		if m[2] == "command" {
			cmds[m[1]] = m[3]
		} else {
			pids[m[1]], _ = strconv.Atoi(m[3])
		}
	}
	out := map[string]int{}
	for i, cmd := range cmds {
		out[cmd] = pids[i]
	}
	return out
}

// overrideRedirectOn finds a mapped menu-sized override-redirect window.
func overrideRedirectOn(display int) (x11.WindowInfo, bool) {
	di, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", display))
	if err != nil {
		return x11.WindowInfo{}, false
	}
	for _, w := range di.Windows {
		if w.OverrideRedirect && w.MapState == x11.Viewable && w.Width > 20 && w.Height > 20 {
			return w, true
		}
	}
	return x11.WindowInfo{}, false
}

// waitSameMenu waits for a popup (an override-redirect window) on the
// server display n and on the client display cd, and checks that the
// client shows it at the server's place and size.
func waitSameMenu(t *testing.T, n, cd int) (srv, cli x11.WindowInfo) {
	t.Helper()
	WaitFor(t, "the xterm menu on both displays", func() bool {
		var ok1, ok2 bool
		srv, ok1 = overrideRedirectOn(n)
		cli, ok2 = overrideRedirectOn(cd)
		return ok1 && ok2
	})
	if srv.X != cli.X || srv.Y != cli.Y || srv.Width != cli.Width || srv.Height != cli.Height {
		t.Errorf("menu at %d,%d %dx%d on the server, %d,%d %dx%d on the client", srv.X, srv.Y, srv.Width, srv.Height,
			cli.X, cli.Y, cli.Width, cli.Height)
	}
	return srv, cli
}

// windowGone says whether no mapped window on display has title in its
// title.
func windowGone(display int, title string) func() bool {
	return func() bool {
		di, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", display))
		if err != nil {
			return false
		}
		for _, w := range di.Windows {
			if w.Mapped && strings.Contains(w.Title, title) {
				return false
			}
		}
		return true
	}
}

// TestSeamlessEndToEnd: an xroam session runs a shell in an xterm and
// xlogo; `xroam attach` shows both with identical pixels; `echo hello`
// typed on the client runs in the shell and its output is painted on
// the client; xterm's popup menu appears at the server's place; resizing
// the client window resizes the application; detach and re-attach bring
// every window back with identical pixels and the same processes; closing
// the client window closes the application gracefully.
func TestSeamlessEndToEnd(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	for _, tool := range []string{"xdotool", "xlogo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	shellLog := filepath.Join(e.Home, "shell.log")
	// xterm's -l logs everything the shell writes to the terminal: the
	// echo of the typed line and the command's output.
	n := e.Start("--start=xterm -T e2eshell -geometry 60x12 -l -lf "+shellLog+" -e env PS1=$ sh -i",
		"--start=xlogo -geometry 160x140+500+300")
	srvTerm := WaitWindow(t, n, "e2eshell")
	srvLogo := WaitWindow(t, n, "xlogo")

	cd := ClientDisplay(t)
	a := e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir, "--encoding=rgb")
	cliTerm := WaitWindow(t, cd, "e2eshell")
	cliLogo := WaitWindow(t, cd, "xlogo")
	if !strings.Contains(cliTerm.Title, "e2eshell on ") || cliTerm.Class != "XTerm" {
		t.Errorf("client window title %q class %q", cliTerm.Title, cliTerm.Class)
	}
	SamePixels(t, n, srvTerm.ID, cd, cliTerm.ID, 0)
	SamePixels(t, n, srvLogo.ID, cd, cliLogo.ID, 0)

	// The pointer over the window shows the xterm's cursor (its I-beam)
	// on the client as on the server.
	srvXdotool(t, cd, "mousemove", "--window", fmt.Sprint(cliTerm.ID), "40", "40")
	waitSameCursor(t, n, cd, "the xterm's cursor on the client")

	// `echo hello` + Enter, typed on the client, runs in the remote shell.
	srvXdotool(t, cd, "mousemove", "--window", fmt.Sprint(cliTerm.ID), "30", "30")
	srvXdotool(t, cd, "windowfocus", "--sync", fmt.Sprint(cliTerm.ID))
	srvXdotool(t, cd, "type", "--delay", "30", "echo hello")
	srvXdotool(t, cd, "key", "Return")
	output := regexp.MustCompile(`(?m)^hello\r?$`)
	WaitFor(t, "the shell to print hello", func() bool {
		b, _ := os.ReadFile(shellLog)
		return output.Match(b)
	})
	if b, _ := os.ReadFile(shellLog); !strings.Contains(string(b), "echo hello") {
		t.Errorf("the terminal log lacks the typed command:\n%q", b)
	}
	// The output is on the client's pixels.
	SamePixels(t, n, srvTerm.ID, cd, cliTerm.ID, 0)

	// Control + button 1 pops xterm's menu, at the same place on both.
	srvXdotool(t, cd, "keydown", "ctrl", "mousedown", "1")
	srvMenu, cliMenu := waitSameMenu(t, n, cd)
	SamePixels(t, n, srvMenu.ID, cd, cliMenu.ID, 0)
	// Released away from the menu, so that no item is chosen.
	srvXdotool(t, cd, "mousemove", "--window", fmt.Sprint(cliTerm.ID), "300", "150")
	srvXdotool(t, cd, "mouseup", "1", "keyup", "ctrl")
	WaitFor(t, "the menu to close on both displays", func() bool {
		_, ok1 := overrideRedirectOn(n)
		_, ok2 := overrideRedirectOn(cd)
		return !ok1 && !ok2
	})

	// Resizing the client window resizes the application's window.
	srvXdotool(t, cd, "windowsize", fmt.Sprint(cliTerm.ID), "500", "300")
	WaitFor(t, "the server window to follow the resize", func() bool {
		img, err := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", n), srvTerm.ID)
		return err == nil && img.Width == 500 && img.Height == 300
	})
	SamePixels(t, n, srvTerm.ID, cd, cliTerm.ID, 0)

	// Detach: the client exits and its windows go; the applications live.
	pidsBefore := e.childPIDs(n)
	if len(pidsBefore) != 2 {
		t.Fatalf("commands before detach: %v", pidsBefore)
	}
	e.MustRun("detach", fmt.Sprintf(":%d", n))
	a.Wait(t, "detach")
	WaitFor(t, "the client windows to go", func() bool {
		return windowGone(cd, "e2eshell")() && windowGone(cd, "xlogo")()
	})

	// Re-attach: every window, its pixels, the same processes.
	e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir, "--encoding=rgb")
	cliTerm = WaitWindow(t, cd, "e2eshell")
	cliLogo = WaitWindow(t, cd, "xlogo")
	SamePixels(t, n, srvTerm.ID, cd, cliTerm.ID, 0)
	SamePixels(t, n, srvLogo.ID, cd, cliLogo.ID, 0)
	if img, err := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", cd), cliTerm.ID); err != nil || img.Width != 500 || img.Height != 300 {
		t.Errorf("re-attached xterm window %dx%d (%v), want the resized 500x300", img.Width, img.Height, err)
	}
	// The same applications, and the same windows on the server.
	for cmd, pid := range e.childPIDs(n) {
		if pid <= 0 || pid != pidsBefore[cmd] || !PidAlive(pid) {
			t.Errorf("%q: pid %d before the re-attach, %d after", cmd, pidsBefore[cmd], pid)
		}
	}
	if w := WaitWindow(t, n, "e2eshell"); w.ID != srvTerm.ID {
		t.Errorf("the xterm's window changed from 0x%x to 0x%x", srvTerm.ID, w.ID)
	}

	// Closing the client window closes the xterm gracefully (it gets
	// WM_DELETE_WINDOW and exits); xlogo stays.
	var xtermPID int
	for cmd, pid := range pidsBefore {
		if strings.HasPrefix(cmd, "xterm") {
			xtermPID = pid
		}
	}
	if xtermPID <= 0 {
		t.Fatalf("no xterm among the session's commands: %v", pidsBefore)
	}
	if err := x11test.RequestClose(context.Background(), fmt.Sprintf(":%d", cd), cliTerm.ID); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "the xterm to exit", func() bool { return !PidAlive(xtermPID) })
	WaitFor(t, "the xterm window to go from the client", windowGone(cd, "e2eshell"))
	if windowGone(n, "xlogo")() || windowGone(cd, "xlogo")() {
		t.Error("closing the xterm took xlogo with it")
	}
}

// rssKiB reads a process's resident set size from /proc, and the part
// of it that is anonymous memory (the rest is mostly clean pages of the
// binary and its libraries).
func rssKiB(t *testing.T, pid int) (total, anon int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	field := func(name string) int {
		m := regexp.MustCompile(`(?m)^` + name + `:\s+(\d+) kB$`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no %s in /proc/%d/status", name, pid)
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	return field("VmRSS"), field("RssAnon")
}

// TestServerMemoryFiveXterms: a session with five xterms, each shown by
// an attached client with its exact pixels, keeps the server process
// under 60 MB resident (issue 5's target).
func TestServerMemoryFiveXterms(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	var args []string
	for i := range 5 {
		args = append(args, fmt.Sprintf("--start=xterm -T mem%d -geometry 60x15+%d+%d -e sh -c 'ls -l /usr/bin | head -40; sleep 1000'",
			i, (i%3)*420, (i/3)*300))
	}
	n := e.Start(args...)
	pid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "server.pid"))
	var srv [5]x11.WindowInfo
	for i := range srv {
		srv[i] = WaitWindow(t, n, fmt.Sprintf("mem%d", i))
	}
	idle, idleAnon := rssKiB(t, pid)

	cd := ClientDisplay(t)
	e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir, "--encoding=rgb")
	for i := range srv {
		cli := WaitWindow(t, cd, fmt.Sprintf("mem%d", i))
		SamePixels(t, n, srv[i].ID, cd, cli.ID, 0)
	}
	attached, attachedAnon := rssKiB(t, pid)
	t.Logf("server RSS with 5 xterms: %.1f MB (%.1f MB anonymous) before any client, %.1f MB (%.1f MB anonymous) with one attached",
		float64(idle)/1024, float64(idleAnon)/1024, float64(attached)/1024, float64(attachedAnon)/1024)
	if attached >= 60*1024 || idle >= 60*1024 {
		t.Errorf("server RSS %d KiB idle, %d KiB attached: want under 60 MB", idle, attached)
	}
}

// TestAttachFocusWheelAndCursors: focusing a window on the xroam client
// gives its application the focus on the server; moving it moves the
// application's window; the wheel over a
// client window scrolls the xterm back; with --cursors=no the client
// keeps its own cursor, not the xterm's.
func TestAttachFocusWheelAndCursors(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("xdotool is not installed")
	}
	n := e.Start("--start=xterm -T focusa -sl 500 -geometry 40x10+0+0 -e sh -c 'seq 1 200; sleep 1000'",
		"--start=xterm -T focusb -geometry 40x10+450+0")
	srvA := WaitWindow(t, n, "focusa")
	srvB := WaitWindow(t, n, "focusb")
	cd := ClientDisplay(t)
	e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir, "--encoding=rgb", "--cursors=no")
	cliA := WaitWindow(t, cd, "focusa")
	cliB := WaitWindow(t, cd, "focusb")
	SamePixels(t, n, srvA.ID, cd, cliA.ID, 0)

	for _, w := range []struct{ cli, srv uint32 }{{cliB.ID, srvB.ID}, {cliA.ID, srvA.ID}} {
		srvXdotool(t, cd, "windowfocus", "--sync", fmt.Sprint(w.cli))
		WaitFor(t, fmt.Sprintf("the focus on server window 0x%x", w.srv), func() bool { return inputFocus(t, n) == fmt.Sprint(w.srv) })
	}

	// Moving a client window moves the application's window.
	srvXdotool(t, cd, "windowmove", fmt.Sprint(cliB.ID), "600", "400")
	WaitFor(t, "the server window to follow the move", func() bool {
		di, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", n))
		if err != nil {
			return false
		}
		for _, w := range di.Windows {
			if w.ID == srvB.ID {
				return w.X == 600 && w.Y == 400
			}
		}
		return false
	})

	before, err := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", n), srvA.ID)
	if err != nil {
		t.Fatal(err)
	}
	srvXdotool(t, cd, "mousemove", "--window", fmt.Sprint(cliA.ID), "50", "50")
	WaitFor(t, "the wheel to scroll the xterm back", func() bool {
		srvXdotool(t, cd, "click", "4")
		now, err := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", n), srvA.ID)
		return err == nil && DiffPixels(before, now, 0) > 0
	})
	SamePixels(t, n, srvA.ID, cd, cliA.ID, 0)

	// The pointer is over the xterm on both displays: the server shows
	// xterm's I-beam, the client keeps its own cursor (for the seconds
	// in which a forwarded cursor shows, see TestSeamlessEndToEnd).
	for range 15 {
		sc, err1 := x11test.CurrentCursor(context.Background(), fmt.Sprintf(":%d", n))
		cc, err2 := x11test.CurrentCursor(context.Background(), fmt.Sprintf(":%d", cd))
		if err1 != nil || err2 != nil {
			t.Fatalf("cursors: %v / %v", err1, err2)
		}
		if sameCursor(sc, cc) {
			t.Fatalf("--cursors=no: the client shows the server's cursor (%dx%d hot %d,%d)", cc.Width, cc.Height, cc.XHot, cc.YHot)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func sameCursor(a, b x11test.CursorImage) bool {
	return a.Width > 0 && a.Width == b.Width && a.Height == b.Height && a.XHot == b.XHot && a.YHot == b.YHot && slices.Equal(a.Pix, b.Pix)
}

// waitSameCursor waits until the client display cd shows the cursor the
// server display n shows, and logs both (the last ones seen on failure).
func waitSameCursor(t *testing.T, n, cd int, what string) {
	t.Helper()
	var seen string
	defer func() {
		if t.Failed() {
			t.Logf("last cursors: %s", seen)
		}
	}()
	WaitFor(t, what, func() bool {
		sc, err1 := x11test.CurrentCursor(context.Background(), fmt.Sprintf(":%d", n))
		cc, err2 := x11test.CurrentCursor(context.Background(), fmt.Sprintf(":%d", cd))
		seen = fmt.Sprintf("server %dx%d hot %d,%d (%v), client %dx%d hot %d,%d (%v)", sc.Width, sc.Height, sc.XHot, sc.YHot, err1,
			cc.Width, cc.Height, cc.XHot, cc.YHot, err2)
		return err1 == nil && err2 == nil && sameCursor(sc, cc)
	})
	t.Logf("cursors: %s", seen)
}
