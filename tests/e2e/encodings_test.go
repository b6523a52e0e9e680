package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11/x11test"
)

// needXpraPainting skips when the 3.1.3 client or xdotool cannot run.
func needXpraPainting(t *testing.T) {
	t.Helper()
	needXpra(t)
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("xdotool is not installed")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import gi; gi.require_foreign('cairo')").Run(); err != nil {
		t.Skip("the xpra client cannot paint: apt-get install python3-gi-cairo")
	}
}

// infoInt reads an integer from `xroam info` (flattened keys), 0 if absent.
func (e *Env) infoInt(display int, key string) int64 {
	out, _ := e.Run("info", fmt.Sprintf(":%d", display))
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `=(-?\d+)$`).FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// windowPSNR compares two captures over R, G and B.
func windowPSNR(a, b x11test.Snapshot) (float64, error) {
	if a.Width != b.Width || a.Height != b.Height {
		return 0, fmt.Errorf("sizes differ: %dx%d and %dx%d", a.Width, a.Height, b.Width, b.Height)
	}
	var se float64
	var n int
	for i := 0; i+3 < len(a.Pix) && i+3 < len(b.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			d := float64(a.Pix[i+c]) - float64(b.Pix[i+c])
			se += d * d
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("empty capture")
	}
	if se == 0 {
		return math.Inf(1), nil
	}
	return 10 * math.Log10(255*255*float64(n)/se), nil
}

// waitClosePixels waits until the client window shows the server window's
// pixels with a PSNR of at least minDB (lossy encodings).
func waitClosePixels(t *testing.T, srvDisplay int, srv uint32, cliDisplay int, cli uint32, minDB float64) float64 {
	t.Helper()
	ctx := context.Background()
	var last string
	deadline := time.Now().Add(60 * time.Second)
	for {
		a, err1 := x11test.SnapshotWindow(ctx, fmt.Sprintf(":%d", srvDisplay), srv)
		b, err2 := x11test.SnapshotWindow(ctx, fmt.Sprintf(":%d", cliDisplay), cli)
		if err1 == nil && err2 == nil {
			p, err := windowPSNR(a, b)
			if err == nil && p >= minDB {
				return p
			}
			last = fmt.Sprintf("PSNR %.1f dB (%v)", p, err)
		} else {
			last = fmt.Sprintf("capture: %v / %v", err1, err2)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client window never came within %.0f dB of the server's: %s", minDB, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestXpraClientPictureEncodings: the 3.1.3 client attached with
// --encoding=png gets png draws (from the png plugin) and shows the
// xterm's pixels exactly; with --encoding=jpeg it gets jpeg draws and
// shows them within a PSNR bound. The server advertises both. png/P
// and png/L (8-bit palette and grayscale) are exact too: the xterm is
// black on white, which both keep. webp (lossy at the default quality)
// is held to the jpeg bound.
func TestXpraClientPictureEncodings(t *testing.T) {
	t.Parallel()
	needXpraPainting(t)
	for _, tc := range []struct {
		enc   string
		exact bool
	}{{"png", true}, {"jpeg", false}, {"png/P", true}, {"png/L", true}, {"webp", false}} {
		t.Run(tc.enc, func(t *testing.T) {
			t.Parallel()
			e := suite.NewEnv(t)
			title := "enc-" + strings.ReplaceAll(tc.enc, "/", "")
			// The application prints more when the test makes the file go.
			goFile := filepath.Join(e.Home, "go")
			n := e.Start("--plugin-dir="+suite.PluginDir, "--start=xterm -T "+title+" -geometry 60x12 -e sh -c 'echo "+title+"; ls /; "+
				"while [ ! -e "+goFile+" ]; do sleep 0.1; done; ls -l /; exec cat'")
			sock := "socket://" + e.Socket(n)
			srv := WaitWindow(t, n, title)
			info := e.MustRun("info", fmt.Sprintf(":%d", n))
			if !regexp.MustCompile(`(?m)^encodings\.core=.*\bpng\b.*\bjpeg\b`).MatchString(info) {
				t.Errorf("info does not list png and jpeg in encodings.core:\n%s", GrepLines(info, "encodings"))
			}
			cd := ClientDisplay(t)
			out, stop := e.srvAttachXpra(t, sock, cd, "--encoding="+tc.enc)
			defer e.dumpOnFailure(t, n, out, stop)
			cli := WaitWindow(t, cd, title)
			if tc.exact {
				srvWaitSamePixels(t, n, srv.ID, cd, cli.ID)
			} else {
				p := waitClosePixels(t, n, srv.ID, cd, cli.ID, 25)
				t.Logf("%s: PSNR %.1f dB", tc.enc, p)
			}
			// New output reaches the client, in the same encoding.
			before := e.infoInt(n, "encodings.draws."+tc.enc)
			if err := os.WriteFile(goFile, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			WaitFor(t, "more "+tc.enc+" draws", func() bool { return e.infoInt(n, "encodings.draws."+tc.enc) > before })
			if tc.exact {
				srvWaitSamePixels(t, n, srv.ID, cd, cli.ID)
			} else {
				waitClosePixels(t, n, srv.ID, cd, cli.ID, 25)
			}
			info = e.MustRun("info", fmt.Sprintf(":%d", n))
			if e.infoInt(n, "encodings.draws.rgb32") != 0 || e.infoInt(n, "encodings.fallbacks") != 0 {
				t.Errorf("some draws were not %s:\n%s", tc.enc, GrepLines(info, "encodings"))
			}
			t.Logf("%s", GrepLines(info, "encodings."))
		})
	}
}

// TestEncoderPluginCrash: the jpeg plugin is killed in the middle of a
// session whose xterm keeps drawing; the draws go on as rgb32 while the
// plugin host restarts the plugin, then are jpeg again, and the session
// and its client live on.
func TestEncoderPluginCrash(t *testing.T) {
	t.Parallel()
	needXpraPainting(t)
	e := suite.NewEnv(t)
	n := e.Start("--plugin-dir="+suite.PluginDir, "--encoding=jpeg",
		"--start=xterm -T crashy -geometry 40x6 -e sh -c 'while :; do date +%T.%N; sleep 0.05; done'")
	sock := "socket://" + e.Socket(n)
	WaitWindow(t, n, "crashy")
	cd := ClientDisplay(t)
	out, _ := e.srvAttachXpra(t, sock, cd)
	cli := WaitWindow(t, cd, "crashy")
	defer func() {
		if t.Failed() {
			t.Logf("xpra attach output:\n%s", out.String())
			b, _ := os.ReadFile(filepath.Join(e.SockDir, fmt.Sprintf(":%d.log", n)))
			t.Logf("server log tail:\n%s", Tail(string(b), 4000))
		}
	}()
	WaitFor(t, "jpeg draws", func() bool { return e.infoInt(n, "encodings.draws.jpeg") > 3 })
	server := int(e.infoInt(n, "server.pid"))
	plug := ChildNamed(server, "xroam-encoder-jpeg")
	if plug == 0 {
		t.Fatal("no jpeg plugin process under the server")
	}
	if err := syscall.Kill(plug, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "rgb32 draws while the plugin is down", func() bool { return e.infoInt(n, "encodings.fallbacks") > 0 })
	WaitFor(t, "a new jpeg plugin process", func() bool {
		p := ChildNamed(server, "xroam-encoder-jpeg")
		return p != 0 && p != plug
	})
	after := e.infoInt(n, "encodings.draws.jpeg")
	WaitFor(t, "jpeg draws again", func() bool { return e.infoInt(n, "encodings.draws.jpeg") > after+3 })
	if !PidAlive(server) {
		t.Fatal("the server died")
	}
	if _, err := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", cd), cli.ID); err != nil {
		t.Fatalf("the client window is gone: %v", err)
	}
	info := e.MustRun("info", fmt.Sprintf(":%d", n))
	t.Logf("%s", GrepLines(info, "encodings."))
	if !strings.Contains(info, "clients.count=1") {
		t.Errorf("the client is no longer attached:\n%s", GrepLines(info, "clients"))
	}
}
