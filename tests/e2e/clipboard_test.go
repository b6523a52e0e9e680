package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
)

// Clipboard tests: a real session display and a real client display,
// applications' selections set and read with xclip on both.

func needXclip(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("xclip"); err != nil {
		t.Skip("xclip is not installed (apt-get install xclip)")
	}
}

// setClip makes xclip own selection on display; it serves until another
// client takes the selection or the display ends.
func setClip(t *testing.T, display int, selection, target string, data []byte) {
	t.Helper()
	cmd := exec.Command("xclip", "-d", fmt.Sprintf(":%d", display), "-selection", strings.ToLower(selection), "-t", target, "-i")
	cmd.Stdin = bytes.NewReader(data)
	// No pipes: xclip forks to serve, and Run returns at the fork.
	if err := cmd.Run(); err != nil {
		t.Fatalf("xclip -i on :%d: %v", display, err)
	}
}

func getClip(display int, selection, target string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xclip", "-d", fmt.Sprintf(":%d", display), "-selection", strings.ToLower(selection), "-t", target, "-o")
	return cmd.Output()
}

// copyAcross sets data on one display and waits for it on the other,
// setting it again now and then: the first copy may come before the
// client is attached.
func copyAcross(t *testing.T, from, to int, selection, target string, data []byte) bool {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		setClip(t, from, selection, target, data)
		for range 10 {
			if got, err := getClip(to, selection, target, 10*time.Second); err == nil && bytes.Equal(got, data) {
				return true
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	return false
}

// notAcross sets data on one display and checks that it does not reach
// the other within a few seconds.
func notAcross(t *testing.T, from, to int, selection string, data []byte) {
	t.Helper()
	setClip(t, from, selection, "UTF8_STRING", data)
	end := time.Now().Add(4 * time.Second)
	for time.Now().Before(end) {
		if got, err := getClip(to, selection, "UTF8_STRING", 5*time.Second); err == nil && bytes.Equal(got, data) {
			t.Errorf("%q reached :%d from :%d", data, to, from)
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 4), uint8(y * 4), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// clipSession starts an xroam session with args, a client display and an
// xroam attach with attachArgs, and waits for the client to be attached.
func clipSession(t *testing.T, args []string, attachArgs ...string) (e *Env, server, client int, a *AttachProc) {
	t.Helper()
	needXclip(t)
	e = suite.NewEnv(t)
	server = e.Start(args...)
	client = ClientDisplay(t)
	a = e.Attach(client, append([]string{fmt.Sprintf(":%d", server), "--socket-dir=" + e.SockDir}, attachArgs...)...)
	waitAttached(t, e, server)
	return e, server, client, a
}

func waitAttached(t *testing.T, e *Env, server int) {
	t.Helper()
	WaitFor(t, "the client to attach", func() bool {
		info, _ := e.Run("info", fmt.Sprintf(":%d", server))
		return strings.Contains(info, "clients.0.type=")
	})
}

func TestClipboardTextAndImageBothWays(t *testing.T) {
	t.Parallel()
	_, server, client, _ := clipSession(t, nil)
	if !copyAcross(t, client, server, "CLIPBOARD", "UTF8_STRING", []byte("copied on the client ✓")) {
		t.Error("text did not reach the server")
	}
	if !copyAcross(t, server, client, "CLIPBOARD", "UTF8_STRING", []byte("copied in the session ✓")) {
		t.Error("text did not reach the client")
	}
	if !copyAcross(t, client, server, "PRIMARY", "UTF8_STRING", []byte("selected on the client")) {
		t.Error("the primary selection did not reach the server")
	}
	img := testPNG(t, 64, 48)
	if !copyAcross(t, server, client, "CLIPBOARD", "image/png", img) {
		t.Error("the image did not reach the client")
	}
	img2 := testPNG(t, 32, 32)
	if !copyAcross(t, client, server, "CLIPBOARD", "image/png", img2) {
		t.Error("the image did not reach the server")
	}
}

func TestClipboardDirections(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name                 string
		server, client       []string
		toServer, toClient   bool
		controlAfter         string
		toServer2, toClient2 bool
	}{
		{name: "to-server", server: []string{"--clipboard-direction=to-server"}, toServer: true},
		{name: "to-client", server: []string{"--clipboard-direction=to-client"}, toClient: true},
		{name: "both", server: []string{"--clipboard-direction=both"}, client: []string{"--clipboard-direction=both"}, toServer: true, toClient: true},
		{name: "disabled", server: []string{"--clipboard-direction=disabled"}},
		{name: "nx-server", server: []string{"--clipboard-direction=server"}, toClient: true},
		{name: "client-to-client", client: []string{"--clipboard-direction=to-client"}, toClient: true},
		{name: "client-to-server", client: []string{"--clipboard-direction=to-server"}, toServer: true},
		{name: "client-disabled", client: []string{"--clipboard-direction=disabled"}},
		{name: "nx-clipboard-client", server: []string{"--clipboard=client"}, toServer: true},
		{name: "nx-clipboard-server", server: []string{"--clipboard=server"}, toClient: true},
		{name: "nx-clipboard-both", server: []string{"--clipboard=both"}, client: []string{"--clipboard=both"}, toServer: true, toClient: true},
		{name: "nx-clipboard-none", server: []string{"--clipboard=none"}},
		{name: "nx-client-none", client: []string{"--clipboard=none"}},
		{name: "backend-name", server: []string{"--clipboard=x11"}, client: []string{"--clipboard=x11"}, toServer: true, toClient: true},
		{name: "off", server: []string{"--clipboard=no"}},
		{name: "client-off", client: []string{"--clipboard=no"}},
		{name: "control", toServer: true, toClient: true, controlAfter: "disabled"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e, server, client, _ := clipSession(t, c.server, c.client...)
			check := func(toServer, toClient bool, tag string) {
				t.Helper()
				// The allowed direction first: it proves the link is up
				// before a silence is taken for a refusal.
				up := []byte("up " + tag)
				down := []byte("down " + tag)
				if toServer && !copyAcross(t, client, server, "CLIPBOARD", "UTF8_STRING", up) {
					t.Errorf("%s: client to server blocked", tag)
				}
				if toClient && !copyAcross(t, server, client, "CLIPBOARD", "UTF8_STRING", down) {
					t.Errorf("%s: server to client blocked", tag)
				}
				if !toServer {
					notAcross(t, client, server, "CLIPBOARD", up)
				}
				if !toClient {
					notAcross(t, server, client, "CLIPBOARD", down)
				}
			}
			check(c.toServer, c.toClient, "before")
			if c.controlAfter != "" {
				out := e.MustRun("control", fmt.Sprintf(":%d", server), "clipboard-direction", c.controlAfter)
				if !strings.Contains(out, "disabled") {
					t.Errorf("control output %q", out)
				}
				if info := e.MustRun("info", fmt.Sprintf(":%d", server)); !strings.Contains(info, "clipboard.direction=disabled") {
					t.Errorf("info after the control command lacks clipboard.direction=disabled:\n%s", info)
				}
				check(false, false, "after")
			}
		})
	}
}

func TestClipboardFilterFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	filter := filepath.Join(dir, "filter")
	if err := os.WriteFile(filter, []byte("# card numbers\n[0-9]{4}-[0-9]{4}-[0-9]{4}\nTOP SECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, server, client, _ := clipSession(t, []string{"--clipboard-filter-file=" + filter})
	if !copyAcross(t, server, client, "CLIPBOARD", "UTF8_STRING", []byte("harmless words")) {
		t.Fatal("unfiltered text did not reach the client")
	}
	notAcross(t, server, client, "CLIPBOARD", []byte("my card 1234-5678-9012"))
	notAcross(t, server, client, "CLIPBOARD", []byte("TOP SECRET plans"))
	// The filter applies to what leaves the server only.
	if !copyAcross(t, client, server, "CLIPBOARD", "UTF8_STRING", []byte("TOP SECRET from the client")) {
		t.Error("the client's text was filtered by the server's file")
	}
	var logs []string
	for _, root := range []string{e.Home, e.SockDir} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".log") {
				logs = append(logs, p)
			}
			return nil
		})
	}
	found := false
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		found = found || bytes.Contains(b, []byte("match a filter"))
	}
	if !found {
		t.Errorf("no log line about the dropped contents in %v", logs)
	}
	// A bad filter file is refused by the client at once.
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("([unclosed\n"), 0o600)
	cmd := exec.Command(suite.Bin, "attach", fmt.Sprintf(":%d", server), "--socket-dir="+e.SockDir, "--clipboard-filter-file="+bad)
	cmd.Env = append(e.Environ(), fmt.Sprintf("DISPLAY=:%d", client))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "bad:1") {
		t.Errorf("attach with a bad filter file: %v, %q", err, out)
	}
}

func TestClipboardLargeTransfer(t *testing.T) {
	t.Parallel()
	e, server, client, _ := clipSession(t, nil)
	big := make([]byte, 20<<20)
	_, _ = rand.Read(big)
	start := time.Now()
	if !copyAcross(t, server, client, "CLIPBOARD", "image/png", big) {
		t.Fatal("20 MB did not reach the client")
	}
	t.Logf("20 MB server to client in %v", time.Since(start).Round(time.Millisecond))
	big[0]++
	start = time.Now()
	if !copyAcross(t, client, server, "CLIPBOARD", "image/png", big) {
		t.Fatal("20 MB did not reach the server")
	}
	t.Logf("20 MB client to server in %v", time.Since(start).Round(time.Millisecond))
	if _, code := e.Run("info", fmt.Sprintf(":%d", server)); code != 0 {
		t.Error("the session is gone")
	}
}

// TestClipboardPeerVanishes kills the client while an application of the
// session pastes its 20 MB: the paste fails in bounded time, the session
// lives, and a new client copies again.
func TestClipboardPeerVanishes(t *testing.T) {
	t.Parallel()
	e, server, client, a := clipSession(t, nil)
	if !copyAcross(t, client, server, "CLIPBOARD", "UTF8_STRING", []byte("warm-up")) {
		t.Fatal("the clipboard does not work to begin with")
	}
	big := make([]byte, 20<<20)
	_, _ = rand.Read(big)
	setClip(t, client, "CLIPBOARD", "image/png", big)
	// Wait for the server to hold the token, then paste and kill.
	WaitFor(t, "the image token", func() bool {
		out, _ := getClip(server, "CLIPBOARD", "TARGETS", 5*time.Second)
		return strings.Contains(string(out), "image/png")
	})
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := getClip(server, "CLIPBOARD", "image/png", 60*time.Second)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	a.Cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-done:
		t.Logf("the paste ended %v after it began", time.Since(start).Round(time.Millisecond))
	case <-time.After(30 * time.Second):
		t.Fatal("the paste in the session hung after the client died")
	}
	if _, code := e.Run("info", fmt.Sprintf(":%d", server)); code != 0 {
		t.Fatal("the session died with its client")
	}
	// A new client on a new display: the xclip that served the dead
	// client on the old one may wait for it for ever (xclip's INCR has
	// no timeout).
	client2 := ClientDisplay(t)
	e.Attach(client2, fmt.Sprintf(":%d", server), "--socket-dir="+e.SockDir)
	waitAttached(t, e, server)
	if !copyAcross(t, server, client2, "CLIPBOARD", "UTF8_STRING", []byte("after the crash")) {
		t.Error("a new client gets no clipboard")
	}
}

// TestClipboardXpraClient copies text both ways between an xroam session
// and Debian's xpra 3.1.3 client.
func TestClipboardXpraClient(t *testing.T) {
	t.Parallel()
	needXclip(t)
	needXpra(t)
	e := suite.NewEnv(t)
	server := e.Start()
	client := ClientDisplay(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	attach := exec.CommandContext(ctx, "xpra", "attach", "socket://"+e.Socket(server), "--mmap=no", "--opengl=no", "--tray=no",
		"--notifications=no", "--speaker=disabled", "--microphone=disabled", "--webcam=no", "--printing=no", "--file-transfer=no")
	attach.Env = append(e.Environ(), "XPRA_ALLOW_ROOT=1", fmt.Sprintf("DISPLAY=:%d", client), "XDG_RUNTIME_DIR="+e.Home)
	var out LockedBuffer
	attach.Stdout, attach.Stderr = &out, &out
	if err := attach.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		attach.Process.Kill()
		attach.Wait()
		if t.Failed() {
			t.Logf("xpra attach:\n%s", out.String())
		}
	})
	waitAttached(t, e, server)
	if !copyAcross(t, client, server, "CLIPBOARD", "UTF8_STRING", []byte("from the xpra client")) {
		t.Error("text did not reach the xroam server")
	}
	if !copyAcross(t, server, client, "CLIPBOARD", "UTF8_STRING", []byte("from the xroam session")) {
		t.Error("text did not reach the xpra client")
	}
}

// TestClipboardXpraServer copies text both ways between Debian's xpra
// 3.1.3 server and the xroam client.
func TestClipboardXpraServer(t *testing.T) {
	t.Parallel()
	needXclip(t)
	needXpra(t)
	e := suite.NewEnv(t)
	server, uri := e.startXpraServer("xterm -T clip")
	client := ClientDisplay(t)
	e.Attach(client, uri)
	WaitWindowOn(t, client, "the xterm", func(w x11.WindowInfo) bool { return strings.Contains(w.Title, "clip") })
	if !copyAcross(t, client, server, "CLIPBOARD", "UTF8_STRING", []byte("from the xroam client")) {
		t.Error("text did not reach the xpra server")
	}
	if !copyAcross(t, server, client, "CLIPBOARD", "UTF8_STRING", []byte("from the xpra session")) {
		t.Error("text did not reach the xroam client")
	}
}

// TestClipboardSecondaryAndLimits configures the x11 backend on both
// sides through conf.d (SECONDARY on, transfers of at most 1 MiB): the
// SECONDARY selection crosses both ways, 512 KiB do, and 2 MiB are refused
// in either direction without harm to the session.
func TestClipboardSecondaryAndLimits(t *testing.T) {
	t.Parallel()
	needXclip(t)
	e := suite.NewEnv(t)
	confDir := filepath.Join(e.Home, "conf.d")
	os.MkdirAll(confDir, 0o700)
	conf := "clipboard \"x11\" {\n  selections = [\"CLIPBOARD\", \"PRIMARY\", \"SECONDARY\"]\n  max_size   = 1048576\n}\n"
	if err := os.WriteFile(filepath.Join(confDir, "40-clipboard.hcl"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	server := e.Start("--config-dir=" + confDir)
	client := ClientDisplay(t)
	e.Attach(client, fmt.Sprintf(":%d", server), "--socket-dir="+e.SockDir, "--config-dir="+confDir)
	waitAttached(t, e, server)
	if !copyAcross(t, client, server, "SECONDARY", "UTF8_STRING", []byte("secondary from the client")) {
		t.Error("SECONDARY did not reach the server")
	}
	if !copyAcross(t, server, client, "SECONDARY", "UTF8_STRING", []byte("secondary from the session")) {
		t.Error("SECONDARY did not reach the client")
	}
	if info := e.MustRun("info", fmt.Sprintf(":%d", server)); !strings.Contains(info, "SECONDARY") {
		t.Errorf("info does not list SECONDARY:\n%s", GrepLines(info, "clipboard."))
	}
	half := bytes.Repeat([]byte("h"), 512<<10)
	if !copyAcross(t, server, client, "CLIPBOARD", "UTF8_STRING", half) {
		t.Error("512 KiB under the limit did not reach the client")
	}
	two := bytes.Repeat([]byte("t"), 2<<20)
	notAcross(t, server, client, "CLIPBOARD", two)
	notAcross(t, client, server, "CLIPBOARD", append([]byte("u"), two...))
	// Still working after the refusals.
	if !copyAcross(t, client, server, "CLIPBOARD", "UTF8_STRING", []byte("small again")) {
		t.Error("the clipboard stopped after a refused transfer")
	}
}

// TestClipboardTextTargets copies text offered only as STRING, and only
// as TEXT, each way.
func TestClipboardTextTargets(t *testing.T) {
	t.Parallel()
	_, server, client, _ := clipSession(t, nil)
	for _, target := range []string{"STRING", "TEXT"} {
		if !copyAcross(t, client, server, "CLIPBOARD", target, []byte("latin1 "+target+" up")) {
			t.Errorf("%s did not reach the server", target)
		}
		if !copyAcross(t, server, client, "CLIPBOARD", target, []byte("latin1 "+target+" down")) {
			t.Errorf("%s did not reach the client", target)
		}
	}
}

// TestClipboardServerVanishes kills the server while an application on
// the client's display pastes the session's 20 MB: the paste ends in
// bounded time and the client's display keeps a working clipboard (the
// dead session's claim is gone with it).
func TestClipboardServerVanishes(t *testing.T) {
	t.Parallel()
	e, server, client, a := clipSession(t, nil)
	if !copyAcross(t, server, client, "CLIPBOARD", "UTF8_STRING", []byte("warm-up")) {
		t.Fatal("the clipboard does not work to begin with")
	}
	big := make([]byte, 20<<20)
	_, _ = rand.Read(big)
	setClip(t, server, "CLIPBOARD", "image/png", big)
	WaitFor(t, "the image token on the client", func() bool {
		out, _ := getClip(client, "CLIPBOARD", "TARGETS", 5*time.Second)
		return strings.Contains(string(out), "image/png")
	})
	pid := ReadPid(t, filepath.Join(e.SockDir, fmt.Sprint(server), "server.pid"))
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		out, err := getClip(client, "CLIPBOARD", "image/png", 60*time.Second)
		if err == nil && !bytes.Equal(out, big) {
			err = fmt.Errorf("the paste got %d bytes that are not the copy", len(out))
			t.Error(err)
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Logf("the paste ended %v after it began (err %v)", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(30 * time.Second):
		t.Fatal("the paste on the client hung after the server died")
	}
	// Another paste of the dead session's claim: refused, not hung.
	pasted := make(chan []byte, 1)
	go func() {
		out, _ := getClip(client, "CLIPBOARD", "image/png", 60*time.Second)
		pasted <- out
	}()
	select {
	case out := <-pasted:
		if len(out) != 0 && !bytes.Equal(out, big) {
			t.Errorf("a paste after the crash got %d bytes that are not the copy", len(out))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a paste after the server died hung")
	}
	if strings.Contains(a.Out.String(), "panic") {
		t.Errorf("the attach client panicked:\n%s", a.Out.String())
	}
}
