package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11/x11test"
)

// html5Driver returns the node command that drives chromium, or skips
// the test when node, chromium or the npm project are missing.
func html5Driver(t *testing.T) (node, dir, chromium string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (apt-get install nodejs npm): the HTML5 client test needs it")
	}
	chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("chromium is not installed (apt-get install chromium): the HTML5 client test needs it")
	}
	dir, _ = filepath.Abs("../html5")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		t.Skip("playwright-core is not installed: run npm ci --prefix tests/html5")
	}
	if _, err := os.Stat("/usr/share/xpra/www/index.html"); err != nil {
		t.Skip("xpra's HTML5 client is not installed (apt-get install xpra)")
	}
	return node, dir, chromium
}

// TestHTML5Client: xroam serves the HTML5 client of Debian's xpra 3.1.3
// over --bind-ws; headless chromium loads it, the client connects through
// the ws transport plugin and shows the session's xterm; a click moves
// the server's pointer into the xterm and typed text reaches the program
// running in it.
func TestHTML5Client(t *testing.T) {
	t.Parallel()
	node, dir, chromium := html5Driver(t)
	e := suite.NewEnv(t)
	ws := suite.FreePort(t)
	typed := filepath.Join(e.Home, "typed")
	n := e.Start("--plugin-dir="+suite.PluginDir, fmt.Sprintf("--bind-ws=127.0.0.1:%d", ws), "--html=/usr/share/xpra/www",
		"--start=xterm -T html5-app -geometry 60x12 -e sh -c 'stty -echo; head -n 1 > "+typed+"; sleep 600'")
	srv := WaitWindow(t, n, "html5-app")
	shot := filepath.Join(e.Home, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const text = "Hello-42>x"
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "drive.js"), fmt.Sprintf("http://127.0.0.1:%d/index.html", ws), text, shot)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium, "HOME="+e.Home)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("driving chromium: %v\n%s%s", err, out, stderr)
	}
	var box struct {
		Width, Height  float64
		ClickX, ClickY float64
	}
	if err := json.Unmarshal(out, &box); err != nil {
		t.Fatalf("driver output %q: %v", out, err)
	}
	// The HTML5 client made a canvas of the xterm's size.
	if int(box.Width) != srv.Width || int(box.Height) != srv.Height {
		t.Errorf("the browser's window is %vx%v, the xterm %dx%d", box.Width, box.Height, srv.Width, srv.Height)
	}
	// The click moved the server's pointer into the xterm.
	xd := exec.Command("xdotool", "getmouselocation", "--shell")
	xd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", n))
	loc, err := xd.Output()
	if err != nil {
		t.Fatalf("xdotool getmouselocation: %v", err)
	}
	px, py := -1, -1
	for _, l := range strings.Fields(string(loc)) {
		k, v, _ := strings.Cut(l, "=")
		switch k {
		case "X":
			px, _ = strconv.Atoi(v)
		case "Y":
			py, _ = strconv.Atoi(v)
		}
	}
	// The HTML5 client moves the window to where the page shows it.
	srv = WaitWindow(t, n, "html5-app")
	wantX, wantY := srv.X+int(box.ClickX), srv.Y+int(box.ClickY)
	if px < wantX-2 || px > wantX+2 || py < wantY-2 || py > wantY+2 {
		t.Errorf("the server's pointer is at %d,%d; the click was at %d,%d in the xterm at %d,%d", px, py, int(box.ClickX), int(box.ClickY), srv.X, srv.Y)
	}
	// The typed line reached the program in the xterm. The comparison
	// ignores case: the core maps the HTML5 client's key codes (which
	// are upper case letters) to shifted keys.
	WaitFor(t, "the typed line to reach the xterm", func() bool {
		b, err := os.ReadFile(typed)
		return err == nil && strings.Contains(string(b), "\n")
	})
	b, _ := os.ReadFile(typed)
	if got := strings.TrimSpace(string(b)); got != text {
		t.Errorf("the xterm got %q, typed %q", got, text)
	}
	// The browser's canvas shows the xterm's pixels: rgb32 in the RGBX
	// layout the HTML5 client asks for.
	want, err := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", n), srv.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pngSnapshot(shot)
	if err != nil {
		t.Fatalf("the browser's screenshot: %v", err)
	}
	if p, err := windowPSNR(want, got); err != nil || p < 30 {
		t.Errorf("the browser shows the xterm at %.1f dB (%v), want at least 30", p, err)
	} else {
		t.Logf("browser canvas vs server window: %.1f dB", p)
	}
	logb := e.LogOf(n)
	if !strings.Contains(logb, "client-type=HTML5") {
		t.Errorf("the server did not see the HTML5 client:\n%s", Tail(logb, 3000))
	}
}
