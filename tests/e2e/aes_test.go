package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

// xpra 3.1.3's AES packet encryption (--encryption=AES with a shared key
// file) between xroam and Debian's xpra, both ways, over TCP.

func writeKey(t *testing.T, dir, name, key string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAESToXpraServer(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	key := writeKey(t, e.Home, "key", "a shared secret key\n")
	wrong := writeKey(t, e.Home, "wrong", "another key")
	pw := writeKey(t, e.Home, "password", "sekrit")
	n, uri := e.startXpraServer("xterm -T aestest", "--tcp-encryption=AES", "--tcp-encryption-keyfile="+key,
		"--tcp-auth=file:filename="+pw)
	enc := []string{"--encryption=AES", "--encryption-keyfile=" + key, "--password-file=" + pw}

	// The password challenge and the replies travel encrypted.
	if out, code := e.Run(append([]string{"info", uri}, enc...)...); code != 0 || !strings.Contains(out, "server.build.version=3.1.3") {
		t.Errorf("info with AES: exit %d\n%s", code, out)
	}
	if out, code := e.Run("info", uri, "--password-file="+pw); code == 0 {
		t.Errorf("info without encryption to a server that requires it: exit 0\n%s", Tail(out, 10))
	}
	if out, code := e.Run("info", uri, "--encryption=AES", "--encryption-keyfile="+wrong, "--password-file="+pw); code == 0 {
		t.Errorf("info with the wrong key: exit 0\n%s", Tail(out, 10))
	}
	// xpra answers version requests before login and encryption.
	if out, code := e.Run(append([]string{"version", uri}, enc...)...); code != 0 || strings.TrimSpace(out) != "3.1.3" {
		t.Errorf("version with AES: exit %d, %q", code, out)
	}
	cd := ClientDisplay(t)
	a := e.Attach(cd, append([]string{uri, "--tcp-encryption=AES", "--tcp-encryption-keyfile=" + key}, enc[2:]...)...)
	w := WaitWindowOn(t, cd, "the xterm on the client over AES", func(w x11.WindowInfo) bool {
		return w.Mapped && strings.Contains(w.Title, "aestest")
	})
	// Typed text reaches the app and its new pixels come back: the
	// stream keeps decrypting after the hello.
	before := Snapshot(t, cd, w.ID)
	Xdotool(t, cd, "mousemove", "--window", fmt.Sprint(w.ID), "20", "20")
	Xdotool(t, cd, "type", "--delay", "20", "echo encrypted-all-the-way")
	WaitFor(t, "the typed text to be drawn", func() bool {
		return DiffPixels(before, Snapshot(t, cd, w.ID), 0) > 50
	})
	if out, err := e.stopXpra(n); err != nil {
		t.Errorf("xpra stop: %v\n%s", err, out)
	}
	a.Wait(t, "server shutdown")
}

func TestAESFromXpraClient(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	key := writeKey(t, e.Home, "key", "xroam and xpra share this\n")
	addr := fmt.Sprintf("127.0.0.1:%d", suite.FreePort(t))
	uri := "tcp://" + addr + "/"
	pw := writeKey(t, e.Home, "password", "aes-pw")
	n := e.Start("--start=xterm -T aes-srv", "--bind-tcp="+addr, "--tcp-encryption=AES", "--tcp-encryption-keyfile="+key,
		"--plugin-dir="+suite.PluginDir, "--tcp-auth=password:value=aes-pw")
	WaitWindow(t, n, "aes-srv")

	// With a password: the challenge carries the server's parameters.
	out, err := e.xpra(30*time.Second, "info", uri, "--encryption=AES", "--encryption-keyfile="+key, "--password-file="+pw)
	if err != nil || !strings.Contains(out, "server.type=xroam") {
		t.Errorf("xpra info with AES: %v\n%s", err, Tail(out, 20))
	}
	// xroam's own client, and refusals.
	if out, code := e.Run("info", uri, "--encryption=AES", "--encryption-keyfile="+key, "--password-file="+pw); code != 0 || !strings.Contains(out, "server.type=xroam") {
		t.Errorf("xroam info with AES: exit %d\n%s", code, Tail(out, 20))
	}
	if out, code := e.Run("info", uri, "--password-file="+pw); code == 0 || !strings.Contains(out, "encryption") {
		t.Errorf("xroam info without encryption: exit %d, %q", code, Tail(out, 5))
	}
	if out, code := e.Run("info", uri, "--encryption=AES", "--encryption-keyfile="+writeKey(t, e.Home, "wrong", "nope"), "--password-file="+pw); code == 0 {
		t.Errorf("xroam info with the wrong key: exit 0\n%s", Tail(out, 5))
	}
	// The unix socket needs no encryption.
	e.MustRun("info", fmt.Sprintf(":%d", n))

	cd := ClientDisplay(t)
	xout, stop := e.srvAttachXpra(t, uri, cd, "--encryption=AES", "--encryption-keyfile="+key, "--password-file="+pw)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := x11test.WaitForWindow(ctx, fmt.Sprintf(":%d", cd), func(w x11.WindowInfo) bool {
		return w.Mapped && strings.Contains(w.Title, "aes-srv")
	}); err != nil {
		t.Errorf("xpra attach with AES: no window: %v\n%s", err, xout.String())
	}
	stop()
	// xroam's client attaches the same way.
	WaitFor(t, "the xpra client window to go", func() bool {
		return !hasWindow(cd, func(w x11.WindowInfo) bool { return w.Mapped && strings.Contains(w.Title, "aes-srv") })
	})
	a := e.Attach(cd, uri, "--encryption=AES", "--encryption-keyfile="+key, "--password-file="+pw)
	WaitWindowOn(t, cd, "the xterm on the client through xroam with AES", func(w x11.WindowInfo) bool {
		return w.Mapped && strings.Contains(w.Title, "aes-srv")
	})
	a.Cmd.Process.Signal(os.Interrupt)
	a.Wait(t, "")
}
