package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/rfb"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
	"github.com/xroam/xroam/core/x11/xclient"
	"github.com/xroam/xroam/sdk/auth"
)

func needVNCViewer(t *testing.T) {
	t.Helper()
	for _, c := range []string{"vncviewer", "xdotool"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is not installed (packaging/install-deps.sh installs it)", c)
		}
	}
}

// vncviewer runs TigerVNC's viewer on display cd against addr; extra are
// viewer options. The output is returned for error messages.
func vncviewer(t *testing.T, cd int, addr string, extra ...string) (*bytes.Buffer, *exec.Cmd) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	args := append([]string{"-Shared=1", "-RemoteResize=0", "-ReconnectOnError=0", "-AlertOnFatalError=0", "-AcceptClipboard=0", "-SendClipboard=0", "-SendPrimary=0"}, extra...)
	args = append(args, host+"::"+port)
	cmd := exec.Command("vncviewer", args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", cd), "HOME="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	return &out, cmd
}

// viewerWindow waits for the viewer's window showing the whole w x h
// framebuffer.
func viewerWindow(t *testing.T, cd int, name string, w, h int) x11.WindowInfo {
	t.Helper()
	return deskWaitWindow(t, cd, func(wi x11.WindowInfo) bool {
		return wi.Mapped && strings.Contains(wi.Title, name) && wi.Width == w && wi.Height == h
	})
}

// TestRFBVncviewerShowsTheDesktop: TigerVNC's vncviewer, forced to each
// encoding it has in common with the server, shows the desktop session's
// exact pixels, and a line typed into it reaches the xterm.
func TestRFBVncviewerShowsTheDesktop(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needVNCViewer(t)
	out := filepath.Join(e.Home, "typed")
	port := suite.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// After the typed line the xterm scrolls a line at a time: CopyRect.
	n := e.StartVerb("start-desktop", smallXvfb, "--session-name=rfbdesk", "--bind-rfb="+addr,
		fmt.Sprintf("--start=xterm -T rfb-app -geometry 60x20+0+0 -e sh -c 'ls /; read l; echo \"$l\" > %s; "+
			"for i in $(seq 1 40); do echo scrolled line $i; sleep 0.05; done; sleep 60'", out))
	WaitWindow(t, n, "rfb-app")
	srv, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", n))
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{"ZRLE", "Tight", "Raw"} {
		t.Run(enc, func(t *testing.T) {
			cd := ClientDisplay(t)
			opts := []string{"-AutoSelect=0", "-FullColor=1", "-PreferredEncoding=" + enc, "-NoJPEG=1"}
			logs, _ := vncviewer(t, cd, addr, opts...)
			cw := viewerWindow(t, cd, "rfbdesk", srv.Width, srv.Height)
			srvWaitSamePixels(t, n, srv.Root, cd, cw.ID)
			if enc != "Tight" {
				return
			}
			srvXdotool(t, cd, "mousemove", "--window", fmt.Sprint(cw.ID), "40", "40")
			srvXdotool(t, cd, "windowfocus", "--sync", fmt.Sprint(cw.ID))
			// The xterm has the keyboard once the pointer is over it (no
			// window manager: focus follows the pointer).
			WaitFor(t, "the pointer to reach the xterm", func() bool {
				cmd := exec.Command("xdotool", "getmouselocation")
				cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", n))
				b, _ := cmd.Output()
				return strings.HasPrefix(string(b), "x:40 y:40 ")
			})
			// xroam's own client watches the scrolling beside the viewer.
			own, err := dialRFB(t, addr, "", rfb.EncZRLE, rfb.EncCopyRect)
			if err != nil {
				t.Fatal(err)
			}
			own.update(false)
			srvXdotool(t, cd, "type", "--delay", "30", "rfb ok")
			srvXdotool(t, cd, "key", "Return")
			WaitFor(t, "the typed line", func() bool {
				own.tryUpdate(true, 100*time.Millisecond)
				b, _ := os.ReadFile(out)
				return strings.TrimSpace(string(b)) == "rfb ok"
			})
			var why string
			WaitFor(t, "the scrolled xterm in xroam's client", func() bool {
				own.tryUpdate(true, 200*time.Millisecond)
				ok, w := own.sameAsDisplay(n, srv.Root)
				why = w
				return ok && own.dec.Rects[rfb.EncCopyRect] > 0
			})
			t.Logf("%s; rectangles by encoding: %v", why, own.dec.Rects)
			// The viewer follows, CopyRects included.
			srvWaitSamePixels(t, n, srv.Root, cd, cw.ID)
			if t.Failed() {
				t.Log(logs.String())
			}
		})
	}
}

// TestRFBVncAuth: with --rfb-auth the viewer needs the password; a wrong
// one is refused and sees nothing.
func TestRFBVncAuth(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needVNCViewer(t)
	port := suite.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	n := e.StartVerb("start-desktop", smallXvfb, "--plugin-dir="+suite.PluginDir, "--session-name=rfbauth", "--bind-rfb="+addr,
		"--rfb-auth=password:value=s3cret", "--start=xterm -T rfb-auth-app -geometry 40x8+0+0")
	WaitWindow(t, n, "rfb-auth-app")
	srv, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", n))
	if err != nil {
		t.Fatal(err)
	}
	passwd := func(pw string) string {
		// vncviewer's password file is the password DES-encrypted under
		// VNC's fixed key.
		enc, err := auth.VNCResponse([]byte{23, 82, 107, 6, 35, 78, 88, 7}, append([]byte(pw), make([]byte, 8-len(pw))...))
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "passwd")
		if err := os.WriteFile(f, enc, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	cd := ClientDisplay(t)
	logs, _ := vncviewer(t, cd, addr, "-PasswordFile="+passwd("wrong"))
	WaitFor(t, "the refused viewer to report the failure", func() bool {
		return strings.Contains(strings.ToLower(logs.String()), "authentication failed")
	})
	cd2 := ClientDisplay(t)
	vncviewer(t, cd2, addr, "-PasswordFile="+passwd("s3cret"))
	cw := viewerWindow(t, cd2, "rfbauth", srv.Width, srv.Height)
	srvWaitSamePixels(t, n, srv.Root, cd2, cw.ID)
	// xroam's own client: the same answers.
	if _, err := dialRFB(t, addr, "s3cret!"); !errors.Is(err, rfb.ErrAuthFailed) {
		t.Errorf("a wrong password: %v", err)
	}
	if _, err := dialRFB(t, addr, "s3cret"); err != nil {
		t.Errorf("the right password: %v", err)
	}
	// The file module: its file's content is the password.
	pwFile := filepath.Join(e.Home, "rfb-password")
	if err := os.WriteFile(pwFile, []byte("fil3pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port3 := suite.FreePort(t)
	addr3 := fmt.Sprintf("127.0.0.1:%d", port3)
	e.StartVerb("start-desktop", smallXvfb, "--plugin-dir="+suite.PluginDir, "--bind-rfb="+addr3, "--rfb-auth=file:filename="+pwFile)
	if _, err := dialRFB(t, addr3, "fil3px"); !errors.Is(err, rfb.ErrAuthFailed) {
		t.Errorf("file module, a wrong password: %v", err)
	}
	if _, err := dialRFB(t, addr3, "fil3pw"); err != nil {
		t.Errorf("file module, the right password: %v", err)
	}
	// A module that refuses everyone refuses before the handshake.
	port2 := suite.FreePort(t)
	addr2 := fmt.Sprintf("127.0.0.1:%d", port2)
	e.StartVerb("start-desktop", smallXvfb, "--plugin-dir="+suite.PluginDir, "--bind-rfb="+addr2, "--rfb-auth=fail")
	if _, err := dialRFB(t, addr2, ""); err == nil {
		t.Error("--rfb-auth=fail let a client in")
	}
}

// noVNCDir is the npm project with noVNC and playwright-core.
const noVNCDir = "../vnc"

func needNoVNC(t *testing.T) {
	t.Helper()
	for _, c := range []string{"node", "websockify", "chromium"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is not installed (packaging/install-deps.sh installs it)", c)
		}
	}
	for _, p := range []string{"node_modules/@novnc/novnc/core/rfb.js", "node_modules/playwright-core"} {
		if _, err := os.Stat(filepath.Join(noVNCDir, p)); err != nil {
			t.Skipf("noVNC is not installed: npm ci --prefix tests/vnc (%v)", err)
		}
	}
}

// pngSnapshot reads a PNG as an x11test.Snapshot (BGRX) for windowPSNR.
func pngSnapshot(path string) (x11test.Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return x11test.Snapshot{}, err
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		return x11test.Snapshot{}, err
	}
	b := m.Bounds()
	s := x11test.Snapshot{Width: b.Dx(), Height: b.Dy(), Pix: make([]byte, 0, b.Dx()*b.Dy()*4)}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := m.At(x, y).RGBA()
			s.Pix = append(s.Pix, byte(bl>>8), byte(g>>8), byte(r>>8), 0)
		}
	}
	return s, nil
}

// TestRFBNoVNC: noVNC in headless Chromium, through websockify, shows the
// desktop and types into it: with its own choice of encodings (Tight
// with JPEG allowed, so within a PSNR bound) and forced to zlib, which
// vncviewer lacks (exact), behind VNC authentication.
func TestRFBNoVNC(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needNoVNC(t)
	out := filepath.Join(e.Home, "typed")
	rfbPort := suite.FreePort(t)
	n := e.StartVerb("start-desktop", smallXvfb, "--plugin-dir="+suite.PluginDir, "--session-name=novnc",
		fmt.Sprintf("--bind-rfb=127.0.0.1:%d", rfbPort), "--rfb-auth=password:value=nov3nc",
		fmt.Sprintf("--start=xterm -T novnc-app -geometry 40x8+0+0 -e sh -c 'ls /; read l; echo \"$l\" > %s; sleep 60'", out))
	WaitWindow(t, n, "novnc-app")
	srv, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", n))
	if err != nil {
		t.Fatal(err)
	}
	webPort := suite.FreePort(t)
	ws := exec.Command("websockify", "--web", noVNCDir, fmt.Sprintf("127.0.0.1:%d", webPort), fmt.Sprintf("127.0.0.1:%d", rfbPort))
	var wsOut bytes.Buffer
	ws.Stdout, ws.Stderr = &wsOut, &wsOut
	if err := ws.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Process.Kill(); _ = ws.Wait() })
	WaitFor(t, "websockify", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", webPort))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	for _, tc := range []struct {
		name, query, text string
		minDB             float64
	}{
		{"default", "password=nov3nc", "novnc ok", 30},
		{"zlib", "password=nov3nc&enc=6", "", math.Inf(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shot := filepath.Join(t.TempDir(), "canvas.png")
			url := fmt.Sprintf("http://127.0.0.1:%d/index.html?%s", webPort, tc.query)
			args := []string{"novnc.mjs", url, shot}
			if tc.text != "" {
				args = append(args, tc.text)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			node := exec.CommandContext(ctx, "node", args...)
			node.Dir = noVNCDir
			var nodeOut bytes.Buffer
			node.Stdout, node.Stderr = &nodeOut, &nodeOut
			if err := node.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- node.Wait() }()
			defer func() {
				_ = os.WriteFile(shot+".stop", nil, 0o600)
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					cancel()
					<-done
				}
				if t.Failed() {
					t.Logf("node:\n%s\nwebsockify:\n%s", nodeOut.String(), wsOut.String())
				}
			}()
			if tc.text != "" {
				WaitFor(t, "the typed line", func() bool {
					b, _ := os.ReadFile(out)
					return strings.TrimSpace(string(b)) == tc.text
				})
			}
			var last string
			WaitFor(t, "the canvas to show the screen", func() bool {
				a, err1 := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", n), srv.Root)
				b, err2 := pngSnapshot(shot)
				if err1 != nil || err2 != nil {
					last = fmt.Sprint(err1, err2)
					return false
				}
				p, err := windowPSNR(a, b)
				last = fmt.Sprintf("PSNR %.1f dB (%v)", p, err)
				return err == nil && p >= tc.minDB
			})
			t.Log(last)
		})
	}
}

// rfbClient is xroam's own test client: it keeps a decoded copy of the
// server's framebuffer.
type rfbClient struct {
	t       *testing.T
	nc      net.Conn
	r       *bufio.Reader
	dec     *rfb.Decoder
	pending bool // an update request is unanswered
}

func dialRFB(t *testing.T, addr, password string, encs ...int32) (*rfbClient, error) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	info, err := rfb.ClientHandshake(nc, 8, password)
	if err != nil {
		return nil, err
	}
	dec, err := rfb.NewDecoder(info.PF, info.W, info.H)
	if err != nil {
		return nil, err
	}
	c := &rfbClient{t: t, nc: nc, r: bufio.NewReader(nc), dec: dec}
	c.send(rfb.AppendSetEncodings(nil, encs))
	return c, nil
}

func (c *rfbClient) send(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// update asks for an update and waits for it.
func (c *rfbClient) update(incremental bool) {
	c.t.Helper()
	if !c.tryUpdate(incremental, 30*time.Second) {
		c.t.Fatal("no update within 30s")
	}
}

// tryUpdate asks for an update unless one is asked for already, and
// waits up to d for it.
func (c *rfbClient) tryUpdate(incremental bool, d time.Duration) bool {
	c.t.Helper()
	if !c.pending {
		c.send(rfb.AppendUpdateRequest(nil, incremental, geom.Rect{W: c.dec.W, H: c.dec.H}))
		c.pending = true
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	defer c.nc.SetReadDeadline(time.Time{})
	for {
		// A message cut by the deadline would leave the stream
		// unusable: wait for its first byte only.
		if _, err := c.r.Peek(1); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return false
			}
			c.t.Fatal(err)
		}
		_ = c.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
		typ, err := c.dec.ReadMessage(c.r)
		if err != nil {
			c.t.Fatal(err)
		}
		if typ == 0 {
			c.pending = false
			return true
		}
	}
}

// snapshot is the decoded framebuffer as an x11test.Snapshot.
func (c *rfbClient) snapshot() x11test.Snapshot {
	m := c.dec.Image()
	s := x11test.Snapshot{Width: c.dec.W, Height: c.dec.H, Pix: make([]byte, 0, len(m.Pix))}
	for i := 0; i < len(m.Pix); i += 4 {
		s.Pix = append(s.Pix, m.Pix[i+2], m.Pix[i+1], m.Pix[i], 0)
	}
	return s
}

// sameAsDisplay compares the framebuffer with the display's root window.
func (c *rfbClient) sameAsDisplay(display int, root uint32) (bool, string) {
	a, err := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", display), root)
	if err != nil {
		return false, err.Error()
	}
	p, err := windowPSNR(a, c.snapshot())
	return err == nil && math.IsInf(p, 1), fmt.Sprintf("PSNR %.1f dB (%v)", p, err)
}

// TestRFBShadow: shadowing a display xroam did not start, an RFB client
// sees its screen, and a change on it (a new window) is in the next
// update the client asks for. --readonly drops the client's keys.
func TestRFBShadow(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needVNCViewer(t)
	shared := ClientDisplay(t)
	typed := filepath.Join(e.Home, "typed")
	app := exec.Command("xterm", "-T", "shadowed-rfb", "-geometry", "40x8+0+0", "-e", "sh", "-c", "read l; echo \"$l\" > "+typed+"; sleep 60")
	app.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", shared))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Process.Kill(); app.Wait() })
	WaitWindow(t, shared, "shadowed-rfb")
	port := suite.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	e.StartVerb("shadow", fmt.Sprintf(":%d", shared), "--readonly", "--bind-rfb="+addr)
	srv, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", shared))
	if err != nil {
		t.Fatal(err)
	}
	c, err := dialRFB(t, addr, "", rfb.EncZRLE, rfb.EncCopyRect, rfb.EncDesktopSize, rfb.EncCursor)
	if err != nil {
		t.Fatal(err)
	}
	if c.dec.W != srv.Width || c.dec.H != srv.Height {
		t.Fatalf("framebuffer %dx%d, display %dx%d", c.dec.W, c.dec.H, srv.Width, srv.Height)
	}
	c.update(false)
	if c.dec.Cursors == 0 {
		t.Error("no cursor shape in the first update")
	}
	if info := e.MustRun("info", fmt.Sprintf(":%d", shared)); !strings.Contains(info, "rfb.clients=1\n") || !strings.Contains(info, "rfb.sockets=("+addr+")") {
		t.Errorf("info does not show the RFB socket and client:\n%s", GrepLines(info, "rfb"))
	}
	if ok, why := c.sameAsDisplay(shared, srv.Root); !ok {
		t.Fatalf("first update: %s", why)
	}
	// A change on the shadowed display: a new window.
	logo := exec.Command("xlogo", "-geometry", "200x150+300+200", "-bg", "red")
	logo.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", shared))
	if err := logo.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logo.Process.Kill(); logo.Wait() })
	WaitWindow(t, shared, "xlogo")
	// Each incremental update carries what changed since the previous one:
	// the screen is mirrored as soon as the drawing is over.
	var why string
	WaitFor(t, "the new window in the client's framebuffer", func() bool {
		c.update(true)
		var ok bool
		ok, why = c.sameAsDisplay(shared, srv.Root)
		return ok
	})
	t.Log(why)
	// Read-only: keys typed by the client do not reach the xterm.
	c.send(rfb.AppendPointerEvent(nil, 0, 40, 40))
	for _, ks := range []uint32{'x', 0xff0d} {
		c.send(rfb.AppendKeyEvent(nil, true, ks))
		c.send(rfb.AppendKeyEvent(nil, false, ks))
	}
	time.Sleep(time.Second)
	if _, err := os.Stat(typed); err == nil {
		t.Error("a key from a --readonly shadow's client reached the display")
	}
}

// TestRFBUpgrade: on a --bind-tcp socket, a connection that says nothing
// for --rfb-upgrade seconds gets the RFB handshake, while xpra clients
// on the same socket are served as before.
func TestRFBUpgrade(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	port := suite.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	n := e.StartVerb("start-desktop", smallXvfb, "--bind-tcp="+addr, "--rfb-upgrade=1", "--start=xterm -T upgrade-app -geometry 40x8+0+0")
	WaitWindow(t, n, "upgrade-app")
	srv, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", n))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c, err := dialRFB(t, addr, "", rfb.EncTight, rfb.EncCopyRect)
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("the RFB handshake came after %v, before --rfb-upgrade=1", waited)
	}
	var why string
	WaitFor(t, "the screen over the upgraded connection", func() bool {
		c.update(false)
		var ok bool
		ok, why = c.sameAsDisplay(n, srv.Root)
		return ok
	})
	t.Log(why)
	if info := e.MustRun("info", "tcp://"+addr); !strings.Contains(info, "server.mode=desktop") {
		t.Errorf("xpra protocol on the same socket: info:\n%s", info)
	}
}

// TestRFBOptionErrors: RFB beyond loopback needs --rfb-auth, and RFB is
// for desktop and shadow sessions only.
func TestRFBOptionErrors(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	port := suite.FreePort(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"start-desktop", smallXvfb, fmt.Sprintf("--bind-rfb=0.0.0.0:%d", port)}, "without authentication"},
		{[]string{"start", fmt.Sprintf("--bind-rfb=127.0.0.1:%d", port)}, "start-desktop and shadow only"},
		{[]string{"start-desktop", smallXvfb, "--bind-rfb=nohostport"}, "--bind-rfb=nohostport"},
	} {
		out, code := e.Run(append(tc.args, "--daemon=no")...)
		if code == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, output %q, want an error with %q", tc.args, code, out, tc.want)
		}
	}
}

// TestRFBTightJPEGVncviewer: a photo-like area goes to vncviewer as
// Tight JPEG when it allows lossy compression: the picture is close to
// the screen's, not identical.
func TestRFBTightJPEGVncviewer(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needVNCViewer(t)
	shared := ClientDisplay(t)
	d, err := xclient.Open(context.Background(), fmt.Sprintf(":%d", shared), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	const w, h = 400, 300
	win, err := d.CreateWindow(xclient.WindowSpec{X: 50, Y: 50, Width: w, Height: h, OverrideRedirect: true, Title: "photo"})
	if err != nil {
		t.Fatal(err)
	}
	d.Map(win)
	pix := make([]byte, w*h*4)
	for y := range h {
		for x := range w {
			p := pix[(y*w+x)*4:]
			p[0], p[1], p[2] = byte(x*255/w), byte(y*255/h), byte((x+y)*255/(w+h))
		}
	}
	if err := d.Paint(win, 0, 0, w, h, pix, w*4); err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	port := suite.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	e.StartVerb("shadow", fmt.Sprintf(":%d", shared), "--readonly", "--bind-rfb="+addr)
	srv, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", shared))
	if err != nil {
		t.Fatal(err)
	}
	// The viewer's screen is larger than the shadowed one, so that its
	// window shows the whole framebuffer without scrollbars.
	cd := SizedDisplay(t, "1600x1280x24")
	vncviewer(t, cd, addr, "-AutoSelect=0", "-FullColor=1", "-PreferredEncoding=Tight", "-NoJPEG=0", "-QualityLevel=6")
	cw := deskWaitWindow(t, cd, func(wi x11.WindowInfo) bool {
		return wi.Mapped && strings.Contains(wi.Title, "TigerVNC") && wi.Width == srv.Width && wi.Height == srv.Height
	})
	p := waitClosePixels(t, shared, srv.Root, cd, cw.ID, 30)
	if math.IsInf(p, 1) {
		t.Errorf("the picture is exact: JPEG was not used")
	}
	t.Logf("PSNR %.1f dB", p)
	// vncviewer with its defaults (it picks encodings and quality by
	// itself) shows the screen as well.
	cd2 := SizedDisplay(t, "1600x1280x24")
	vncviewer(t, cd2, addr)
	cw2 := deskWaitWindow(t, cd2, func(wi x11.WindowInfo) bool {
		return wi.Mapped && strings.Contains(wi.Title, "TigerVNC") && wi.Width == srv.Width && wi.Height == srv.Height
	})
	t.Logf("defaults: PSNR %.1f dB", waitClosePixels(t, shared, srv.Root, cd2, cw2.ID, 30))
}

// TestRFBKeysymOutsideLayout: a key whose keysym the display's layout
// lacks (the euro sign on Xvfb's US layout) still types its character:
// the server binds it to a spare keycode.
func TestRFBKeysymOutsideLayout(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	out := filepath.Join(e.Home, "typed")
	port := suite.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	n := e.StartVerb("start-desktop", smallXvfb, "--bind-rfb="+addr,
		fmt.Sprintf("--start=env LANG=C.UTF-8 LC_ALL=C.UTF-8 xterm -u8 -T keysym-app -geometry 40x8+0+0 -e sh -c 'read l; printf %%s \"$l\" | od -An -tx1 > %s; sleep 60'", out))
	WaitWindow(t, n, "keysym-app")
	c, err := dialRFB(t, addr, "", rfb.EncRaw)
	if err != nil {
		t.Fatal(err)
	}
	c.update(false)
	c.send(rfb.AppendPointerEvent(nil, 0, 40, 40))
	WaitFor(t, "the pointer over the xterm", func() bool {
		cmd := exec.Command("xdotool", "getmouselocation")
		cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", n))
		b, _ := cmd.Output()
		return strings.HasPrefix(string(b), "x:40 y:40 ")
	})
	for _, ks := range []uint32{0x20ac, 'a', 0xff0d} {
		c.send(rfb.AppendKeyEvent(nil, true, ks))
		c.send(rfb.AppendKeyEvent(nil, false, ks))
	}
	var got string
	WaitFor(t, "the typed line", func() bool {
		b, _ := os.ReadFile(out)
		got = strings.TrimSpace(string(b))
		return got != ""
	})
	if got != "e2 82 ac 61" {
		t.Errorf("the xterm read %q, want the bytes of \"€a\" (e2 82 ac 61)", got)
	}
}

// TestRFBShadowWithoutDamage: a display without the DAMAGE extension can
// be shadowed: its screen is compared periodically, and a change reaches
// the client all the same.
func TestRFBShadowWithoutDamage(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	shared := SizedDisplay(t, "800x600x24", "-extension", "DAMAGE")
	info, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", shared))
	if err != nil {
		t.Fatal(err)
	}
	if info.HasExtension("DAMAGE") {
		t.Skip("this Xvfb cannot run without DAMAGE")
	}
	port := suite.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	e.StartVerb("shadow", fmt.Sprintf(":%d", shared), "--readonly", "--bind-rfb="+addr)
	c, err := dialRFB(t, addr, "", rfb.EncZRLE, rfb.EncCopyRect)
	if err != nil {
		t.Fatal(err)
	}
	c.update(false)
	if ok, why := c.sameAsDisplay(shared, info.Root); !ok {
		t.Fatalf("first update: %s", why)
	}
	logo := exec.Command("xlogo", "-geometry", "200x150+300+200", "-bg", "red")
	logo.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", shared))
	if err := logo.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logo.Process.Kill(); logo.Wait() })
	WaitWindow(t, shared, "xlogo")
	var why string
	WaitFor(t, "the new window in the client's framebuffer", func() bool {
		c.tryUpdate(true, 500*time.Millisecond)
		var ok bool
		ok, why = c.sameAsDisplay(shared, info.Root)
		return ok
	})
	t.Log(why)
	// The xpra client of the same shadow follows the same comparisons.
	if _, err := exec.LookPath("xpra"); err != nil {
		return
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import gi; gi.require_foreign('cairo')").Run(); err != nil {
		return
	}
	cd := ClientDisplay(t)
	out, stop := e.srvAttachXpra(t, "socket://"+e.Socket(shared), cd)
	defer e.dumpOnFailure(t, shared, out, stop)
	cw := deskWaitWindow(t, cd, func(w x11.WindowInfo) bool {
		return w.Mapped && w.Width == info.Width && w.Height == info.Height
	})
	srvWaitSamePixels(t, shared, info.Root, cd, cw.ID)
	second := exec.Command("xterm", "-T", "second", "-geometry", "30x5+20+300", "-bg", "blue")
	second.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", shared))
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Process.Kill(); second.Wait() })
	WaitWindow(t, shared, "second")
	srvWaitSamePixels(t, shared, info.Root, cd, cw.ID)
	t.Logf("the xpra client's %dx%d window shows the change", cw.Width, cw.Height)
}

// TestRFBShadowFullAccess: without --readonly a shadow's clients control
// the shadowed display: the pointer moves there and typed keys reach its
// application (TestRFBShadow checks that --readonly drops them).
func TestRFBShadowFullAccess(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needVNCViewer(t) // xdotool
	shared := ClientDisplay(t)
	typed := filepath.Join(e.Home, "typed")
	app := exec.Command("xterm", "-T", "shadowed-full", "-geometry", "40x8+0+0", "-e", "sh", "-c", "read l; echo \"$l\" > "+typed+"; sleep 60")
	app.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", shared))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Process.Kill(); app.Wait() })
	WaitWindow(t, shared, "shadowed-full")
	port := suite.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	e.StartVerb("shadow", fmt.Sprintf(":%d", shared), "--bind-rfb="+addr)
	c, err := dialRFB(t, addr, "", rfb.EncZRLE)
	if err != nil {
		t.Fatal(err)
	}
	c.update(false)
	c.send(rfb.AppendPointerEvent(nil, 0, 40, 40))
	WaitFor(t, "the pointer over the shadowed xterm", func() bool {
		cmd := exec.Command("xdotool", "getmouselocation")
		cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", shared))
		b, _ := cmd.Output()
		return strings.HasPrefix(string(b), "x:40 y:40 ")
	})
	for _, ks := range []uint32{'f', 'u', 'l', 'l', 0xff0d} {
		c.send(rfb.AppendKeyEvent(nil, true, ks))
		c.send(rfb.AppendKeyEvent(nil, false, ks))
	}
	WaitFor(t, "the typed line on the shadowed display", func() bool {
		b, _ := os.ReadFile(typed)
		return strings.TrimSpace(string(b)) == "full"
	})

	// NX's view-only shadow: shadowmode=0 in the options file drops the
	// clients' input as --readonly does.
	e.MustRun("stop", fmt.Sprintf(":%d", shared))
	opts := filepath.Join(e.Home, "options")
	if err := os.WriteFile(opts, []byte("nx/nx,shadowmode=0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port2 := suite.FreePort(t)
	addr2 := fmt.Sprintf("127.0.0.1:%d", port2)
	e.StartVerb("shadow", fmt.Sprintf(":%d", shared), "--bind-rfb="+addr2, "--options-file="+opts)
	c2, err := dialRFB(t, addr2, "", rfb.EncZRLE)
	if err != nil {
		t.Fatal(err)
	}
	c2.update(false)
	c2.send(rfb.AppendPointerEvent(nil, 0, 200, 150))
	// The pointer event was read before any later update is answered.
	c2.tryUpdate(true, time.Second)
	cmd := exec.Command("xdotool", "getmouselocation")
	cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", shared))
	if b, _ := cmd.Output(); !strings.HasPrefix(string(b), "x:40 y:40 ") {
		t.Errorf("a view-only shadow's client moved the pointer: %s", b)
	}
	// shadowmode is for shadows only.
	out, code := e.Run("start-desktop", smallXvfb, "--options-file="+opts, "--daemon=no")
	if code == 0 || !strings.Contains(out, "shadowmode= is for shadow sessions") {
		t.Errorf("start-desktop with shadowmode: exit %d, %q", code, out)
	}
}

// TestRFBVncviewerRemoteResize: TigerVNC's vncviewer with RemoteResize
// asks for its window's size when the window is resized: the desktop
// session's screen takes it, and the viewer shows the resized screen.
func TestRFBVncviewerRemoteResize(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needVNCViewer(t)
	port := suite.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	n := e.StartVerb("start-desktop", smallXvfb, "--session-name=rfbresize", "--bind-rfb="+addr,
		"--start=xterm -T rr-app -geometry 40x8+0+0")
	WaitWindow(t, n, "rr-app")
	cd := ClientDisplay(t)
	logs, _ := vncviewer(t, cd, addr, "-AutoSelect=0", "-FullColor=1", "-PreferredEncoding=ZRLE", "-RemoteResize=1")
	cw := viewerWindow(t, cd, "rfbresize", 640, 480)
	srvXdotool(t, cd, "windowsize", fmt.Sprint(cw.ID), "520", "360")
	WaitFor(t, "the desktop to take the viewer's 520x360", func() bool { return screenSize(t, n) == "520x360" })
	srv, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", n))
	if err != nil {
		t.Fatal(err)
	}
	cw = viewerWindow(t, cd, "rfbresize", 520, 360)
	srvWaitSamePixels(t, n, srv.Root, cd, cw.ID)
	if t.Failed() {
		t.Log(logs.String())
	}
}
