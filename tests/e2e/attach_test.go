package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

// `xroam attach` against Debian's xpra 3.1.3 server: the xterm it runs
// appears on a separate client display with the same pixels, typed text
// reaches it, and `xpra stop` ends the client with the server's reason.

// startXpraServer starts Debian's xpra with one command and all the noisy
// features off, and returns its display and tcp:// URI.
func (e *Env) startXpraServer(command string, extra ...string) (int, string) {
	t := e.T
	t.Helper()
	port := suite.FreePort(t)
	n := suite.FreeDisplay(t)
	os.MkdirAll(e.SockDir, 0o700)
	args := []string{"start", fmt.Sprintf(":%d", n), "--bind-tcp=" + fmt.Sprintf("127.0.0.1:%d", port), "--daemon=yes",
		"--socket-dir=" + e.SockDir, "--socket-dirs=" + e.SockDir, "--mdns=no", "--pulseaudio=no", "--notifications=no",
		"--dbus-launch=", "--dbus-proxy=no", "--dbus-control=no", "--html=off", "--printing=no", "--file-transfer=no",
		"--start=" + command, "--systemd-run=no", "--speaker=disabled", "--microphone=disabled", "--webcam=no",
		"--xvfb=Xvfb +extension Composite -screen 0 1280x1024x24+32 -nolisten tcp -noreset"}
	out, err := e.xpra(90*time.Second, append(args, extra...)...)
	if err != nil {
		t.Fatalf("xpra start: %v\n%s", err, out)
	}
	uri := fmt.Sprintf("tcp://127.0.0.1:%d/", port)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(e.Home, "xpra", "*.log"))
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				t.Logf("%s:\n%s", l, b)
			}
		}
		e.stopXpra(n)
		exec.Command("pkill", "-f", "socket-dir="+e.SockDir).Run()
	})
	// xpra's daemon may only listen a moment after start returns.
	WaitFor(t, "the xpra server's tcp socket", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return n, uri
}

// xpraWindow waits for the window titled exactly title on an xpra
// server's display n and returns its id. xpra reparents the
// application's windows into its own ("corral") windows, so the window
// is found by name anywhere in the tree.
func xpraWindow(t *testing.T, n int, title string) uint32 {
	t.Helper()
	var id uint32
	WaitFor(t, "the window "+title+" on the xpra server", func() bool {
		cmd := exec.Command("xdotool", "search", "--name", "^"+title+"$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", n))
		out, err := cmd.Output()
		if err != nil {
			return false
		}
		_, err = fmt.Sscan(string(out), &id)
		return err == nil
	})
	return id
}

// stopXpra stops an xpra server through its unix socket, which needs no
// password.
func (e *Env) stopXpra(display int) (string, error) {
	return e.xpra(60*time.Second, "stop", fmt.Sprintf(":%d", display), "--socket-dir="+e.SockDir, "--socket-dirs="+e.SockDir)
}

func TestAttachToXpraServer(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("xdotool is not installed")
	}
	typed := filepath.Join(e.Home, "typed.txt")
	n, uri := e.startXpraServer(fmt.Sprintf("xterm -T clienttest -e sh -c 'cat > %s'", typed))
	isApp := func(w x11.WindowInfo) bool { return w.Mapped && strings.Contains(w.Title, "clienttest") }
	server := xpraWindow(t, n, "clienttest")

	cd := ClientDisplay(t)
	a := e.Attach(cd, uri, "--encoding=rgb")
	client := WaitWindowOn(t, cd, "the xterm on the client", isApp)
	if !strings.Contains(client.Title, " on ") || client.Class != "XTerm" {
		t.Errorf("client window title %q class %q", client.Title, client.Class)
	}
	SamePixels(t, n, server, cd, client.ID, 0)

	// The pointer over the window shows the application's cursor (xterm's
	// I-beam), as the server's display does.
	Xdotool(t, cd, "mousemove", "--window", fmt.Sprint(client.ID), "100", "100")
	waitSameCursor(t, n, cd, "the client to show the server's cursor")

	// Typing into the client window reaches the xterm on the server.
	Xdotool(t, cd, "windowfocus", "--sync", fmt.Sprint(client.ID))
	Xdotool(t, cd, "type", "--delay", "30", "hello xroam")
	Xdotool(t, cd, "key", "Return")
	WaitFor(t, "the typed text in "+typed, func() bool {
		b, _ := os.ReadFile(typed)
		return strings.Contains(string(b), "hello xroam")
	})
	// The echo of the typed text is painted on the client too.
	SamePixels(t, n, server, cd, client.ID, 0)

	// Resizing the client window resizes the application (to what its
	// size increments allow, which the client window then takes on).
	Xdotool(t, cd, "windowsize", fmt.Sprint(client.ID), "600", "400")
	WaitFor(t, "the server window to be resized", func() bool {
		img, err := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", n), server)
		return err == nil && img.Width > 590 && img.Height > 390 && img.Width <= 600 && img.Height <= 400
	})
	SamePixels(t, n, server, cd, client.ID, 0)

	// Ctrl+click pops up xterm's menu, an override-redirect window that
	// the client shows at the server's position with the same pixels.
	isPopup := func(w x11.WindowInfo) bool { return w.Mapped && w.OverrideRedirect && w.Width > 50 && w.Height > 50 }
	Xdotool(t, cd, "mousemove", "--window", fmt.Sprint(client.ID), "40", "40")
	Xdotool(t, cd, "keydown", "ctrl", "mousedown", "1")
	serverMenu := WaitWindowOn(t, n, "the menu on the server", isPopup)
	clientMenu := WaitWindowOn(t, cd, "the menu on the client", isPopup)
	if clientMenu.X != serverMenu.X || clientMenu.Y != serverMenu.Y {
		t.Errorf("menu at %d,%d on the client, %d,%d on the server", clientMenu.X, clientMenu.Y, serverMenu.X, serverMenu.Y)
	}
	SamePixels(t, n, serverMenu.ID, cd, clientMenu.ID, serverMenu.BorderWidth)
	// Released away from the menu, so that no item is chosen.
	Xdotool(t, cd, "mousemove", "--window", fmt.Sprint(client.ID), "500", "300")
	Xdotool(t, cd, "mouseup", "1", "keyup", "ctrl")
	WaitFor(t, "the menu to go from the client", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := x11test.WaitForWindow(ctx, fmt.Sprintf(":%d", cd), isPopup)
		return err != nil
	})
	SamePixels(t, n, server, cd, client.ID, 0)

	// A second client that only takes png replaces the first, which exits
	// with xpra's reason and a zero status.
	b := e.Attach(cd, uri, "--encodings=png", "--title=png @title@")
	a.Wait(t, "new client")
	isPNG := func(w x11.WindowInfo) bool { return w.Mapped && strings.HasPrefix(w.Title, "png clienttest") }
	client = WaitWindowOn(t, cd, "the xterm shown by the second client", isPNG)
	SamePixels(t, n, server, cd, client.ID, 0)

	// Ctrl-C says goodbye to the server first.
	b.Cmd.Process.Signal(os.Interrupt)
	b.Wait(t, "disconnected on request")
	WaitFor(t, "the server to log the client's request", func() bool {
		logs, _ := filepath.Glob(filepath.Join(e.Home, "xpra", "*.log"))
		for _, l := range logs {
			if b, _ := os.ReadFile(l); strings.Contains(string(b), "client request") {
				return true
			}
		}
		return false
	})

	// Closing the client window closes the application. This client finds
	// the session by its display number, through the unix socket.
	c := e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir, "--title=third @title@")
	isThird := func(w x11.WindowInfo) bool { return w.Mapped && strings.HasPrefix(w.Title, "third clienttest") }
	client = WaitWindowOn(t, cd, "the xterm shown by the third client", isThird)
	if err := x11test.RequestClose(context.Background(), fmt.Sprintf(":%d", cd), client.ID); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "the xterm to close on the server", func() bool {
		cmd := exec.Command("xdotool", "search", "--name", "^clienttest$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", n))
		out, _ := cmd.Output()
		return len(strings.TrimSpace(string(out))) == 0
	})
	WaitFor(t, "the client window to go", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := x11test.WaitForWindow(ctx, fmt.Sprintf(":%d", cd), isThird)
		return err != nil
	})

	out, err := e.stopXpra(n)
	if err != nil {
		t.Errorf("xpra stop: %v\n%s", err, out)
	}
	c.Wait(t, "server shutdown")
}

func TestAttachWithPasswordToXpraServer(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	pw := filepath.Join(e.Home, "password")
	bad := filepath.Join(e.Home, "wrong")
	os.WriteFile(pw, []byte("sekrit"), 0o600)
	os.WriteFile(bad, []byte("wrong"), 0o600)
	n, uri := e.startXpraServer("xterm -T authtest", "--tcp-auth=file:filename="+pw)
	cd := ClientDisplay(t)

	// A wrong password is an error, with the server's words.
	a := e.Attach(cd, uri, "--password-file="+bad)
	select {
	case err := <-a.Done:
		a.Done <- err
		if err == nil || !strings.Contains(a.Out.String(), "authentication failed") {
			t.Errorf("wrong password: exit %v\n%s", err, a.Out.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("xroam attach with a wrong password did not exit:\n%s", a.Out.String())
	}

	// The right one.
	b := e.Attach(cd, uri, "--password-file="+pw)
	WaitWindowOn(t, cd, "the xterm on the client", func(w x11.WindowInfo) bool { return w.Mapped && strings.Contains(w.Title, "authtest") })
	if out, err := e.stopXpra(n); err != nil {
		t.Errorf("xpra stop: %v\n%s", err, out)
	}
	b.Wait(t, "server shutdown")
}
