package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

// meanAbsDiff is the mean absolute difference of two captures over R, G
// and B (0 when identical).
func meanAbsDiff(a, b x11test.Snapshot) float64 {
	var sum, n float64
	for i := 0; i+3 < len(a.Pix) && i+3 < len(b.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			d := int(a.Pix[i+c]) - int(b.Pix[i+c])
			sum += float64(max(d, -d))
			n++
		}
	}
	return sum / max(n, 1)
}

// TestXpraClientH264: Debian's xpra 3.1.3 client attached with
// --encoding=h264 gets h264 draws from the x264 plugin and shows the
// xterm within a PSNR and mean-difference bound; text typed in the client
// window reaches the application and shows up on the client again.
func TestXpraClientH264(t *testing.T) {
	t.Parallel()
	needXpraPainting(t)
	e := suite.NewEnv(t)
	title := "enc-h264"
	got := filepath.Join(e.Home, "got")
	n := e.Start("--plugin-dir="+suite.PluginDir, "--start=xterm -T "+title+" -geometry 60x12 -e sh -c 'echo "+title+"; ls /; "+
		"read l; echo \"$l\" > "+got+"; ls -l /; exec cat'")
	sock := "socket://" + e.Socket(n)
	srv := WaitWindow(t, n, title)
	info := e.MustRun("info", fmt.Sprintf(":%d", n))
	if !regexp.MustCompile(`(?m)^encodings\.core=.*\bh264\b`).MatchString(info) {
		t.Fatalf("info does not list h264 in encodings.core:\n%s", GrepLines(info, "encodings"))
	}
	cd := ClientDisplay(t)
	out, stop := e.srvAttachXpra(t, sock, cd, "--encoding=h264")
	defer e.dumpOnFailure(t, n, out, stop)
	cli := WaitWindow(t, cd, title)
	p := waitClosePixels(t, n, srv.ID, cd, cli.ID, 25)
	if e.infoInt(n, "encodings.draws.h264") == 0 {
		t.Fatalf("no h264 draws:\n%s", GrepLines(e.MustRun("info", fmt.Sprintf(":%d", n)), "encodings"))
	}
	t.Logf("h264: PSNR %.1f dB", p)

	before := e.infoInt(n, "encodings.draws.h264")
	srvXdotool(t, cd, "mousemove", "--window", fmt.Sprint(cli.ID), "40", "40")
	srvXdotool(t, cd, "windowfocus", "--sync", fmt.Sprint(cli.ID))
	srvXdotool(t, cd, "type", "--delay", "30", "typed264\n")
	WaitFor(t, "the typed line", func() bool {
		b, err := os.ReadFile(got)
		return err == nil && strings.TrimSpace(string(b)) == "typed264"
	})
	WaitFor(t, "more h264 draws", func() bool { return e.infoInt(n, "encodings.draws.h264") > before })
	p = waitClosePixels(t, n, srv.ID, cd, cli.ID, 25)
	ctx := context.Background()
	a, err1 := x11test.SnapshotWindow(ctx, fmt.Sprintf(":%d", n), srv.ID)
	b, err2 := x11test.SnapshotWindow(ctx, fmt.Sprintf(":%d", cd), cli.ID)
	if err1 != nil || err2 != nil {
		t.Fatalf("capture: %v / %v", err1, err2)
	}
	mad := meanAbsDiff(a, b)
	if mad > 6 {
		t.Fatalf("mean absolute difference %.2f after typing, want <= 6", mad)
	}
	if f := e.infoInt(n, "encodings.fallbacks"); f != 0 {
		t.Errorf("%d frames fell back to rgb32", f)
	}
	t.Logf("after typing: PSNR %.1f dB, mean abs diff %.2f; %s", p, mad, GrepLines(e.MustRun("info", fmt.Sprintf(":%d", n)), "encodings."))
}

// TestAttachH264: `xroam attach --encoding=h264` gets h264 draws from an
// xroam server, decodes them with libavcodec and shows the xterm within
// a PSNR bound; typed text reaches the application and is shown.
func TestAttachH264(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("xdotool is not installed")
	}
	title := "att-h264"
	typed := filepath.Join(e.Home, "typed.txt")
	n := e.Start("--plugin-dir="+suite.PluginDir, "--start=xterm -T "+title+" -geometry 61x13 -e sh -c 'echo "+title+"; ls /; cat > "+typed+"'")
	srv := WaitWindow(t, n, title)
	cd := ClientDisplay(t)
	e.Attach(cd, "socket://"+e.Socket(n), "--encoding=h264")
	cli := WaitWindowOn(t, cd, "the xterm on the client", func(w x11.WindowInfo) bool {
		return w.Mapped && strings.Contains(w.Title, title)
	})
	p := waitClosePixels(t, n, srv.ID, cd, cli.ID, 25)
	if e.infoInt(n, "encodings.draws.h264") == 0 {
		t.Fatalf("no h264 draws:\n%s", GrepLines(e.MustRun("info", fmt.Sprintf(":%d", n)), "encodings"))
	}
	srvXdotool(t, cd, "windowfocus", "--sync", fmt.Sprint(cli.ID))
	srvXdotool(t, cd, "type", "--delay", "30", "hello h264\n")
	WaitFor(t, "the typed text", func() bool {
		b, _ := os.ReadFile(typed)
		return strings.Contains(string(b), "hello h264")
	})
	p2 := waitClosePixels(t, n, srv.ID, cd, cli.ID, 25)
	t.Logf("PSNR %.1f dB, after typing %.1f dB; %s", p, p2, GrepLines(e.MustRun("info", fmt.Sprintf(":%d", n)), "encodings."))
}

// TestXpraClientAutoVideo: Debian's 3.1.3 client in auto mode (no
// encoding asked for) gets an xterm flooded with output (the whole
// window changing at video rate) as an h264 stream, and once the flood
// stops, the lossless refresh makes its pixels exactly the server's.
func TestXpraClientAutoVideo(t *testing.T) {
	t.Parallel()
	needXpraPainting(t)
	e := suite.NewEnv(t)
	title := "auto-video"
	n, flood, calm := e.floodingXterm(t, title, "head -c 3000 /dev/urandom | base64", "--auto-refresh-delay=0.3")
	srv := WaitWindow(t, n, title)
	cd := ClientDisplay(t)
	out, stop := e.srvAttachXpra(t, "socket://"+e.Socket(n), cd)
	defer e.dumpOnFailure(t, n, out, stop)
	cli := WaitWindow(t, cd, title)
	SamePixels(t, n, srv.ID, cd, cli.ID, 0)
	if d := e.infoInt(n, "encodings.draws.h264"); d != 0 {
		t.Fatalf("%d h264 draws before the flood", d)
	}
	flood()
	WaitFor(t, "h264 draws of the flooded window", func() bool { return e.infoInt(n, "encodings.draws.h264") >= 10 })
	calm()
	SamePixels(t, n, srv.ID, cd, cli.ID, 0)
	if f := e.infoInt(n, "encodings.fallbacks"); f != 0 {
		t.Errorf("%d frames fell back to rgb32", f)
	}
	t.Logf("%s", GrepLines(e.MustRun("info", fmt.Sprintf(":%d", n)), "encodings.draws"))
}

// TestXpraClientZlibFlood: a terminal printing without pause is paced,
// and its draws go zlib-compressed to Debian's xpra 3.1.3 client, which
// paints them without a decoding error; when it stops, the client's
// pixels are the server's.
func TestXpraClientZlibFlood(t *testing.T) {
	t.Parallel()
	needXpraPainting(t)
	e := suite.NewEnv(t)
	title := "zlib-flood"
	n, flood, calm := e.floodingXterm(t, title, "seq 1 5000", "--encoding=rgb")
	srv := WaitWindow(t, n, title)
	cd := ClientDisplay(t)
	out, stop := e.srvAttachXpra(t, "socket://"+e.Socket(n), cd, "--encoding=rgb")
	defer e.dumpOnFailure(t, n, out, stop)
	cli := WaitWindow(t, cd, title)
	SamePixels(t, n, srv.ID, cd, cli.ID, 0)
	flood()
	WaitFor(t, "zlib draws of the flooded window", func() bool { return e.infoInt(n, "encodings.rgb32-zlib") >= 5 })
	calm()
	SamePixels(t, n, srv.ID, cd, cli.ID, 0)
	if s := out.String(); strings.Contains(s, "decompress") || strings.Contains(s, "zlib") {
		t.Errorf("the xpra client complained about the zlib draws:\n%s", s)
	}
	t.Logf("%s", GrepLines(e.MustRun("info", fmt.Sprintf(":%d", n)), "encodings."))
}

// floodingXterm starts a session with an 80x30 xterm titled title that
// runs print (a shell command) over and over between flood() and calm().
func (e *Env) floodingXterm(t *testing.T, title, print string, opts ...string) (n int, flood, calm func()) {
	t.Helper()
	goFile := filepath.Join(e.Home, "go")
	stopFile := filepath.Join(e.Home, "stop")
	n = e.Start(append([]string{"--plugin-dir=" + suite.PluginDir,
		"--start=xterm -T " + title + " -geometry 80x30 -e sh -c 'echo " + title + "; " +
			"while [ ! -e " + goFile + " ]; do sleep 0.1; done; " +
			"while [ ! -e " + stopFile + " ]; do " + print + "; done; echo done; exec cat'"}, opts...)...)
	touch := func(f string) func() {
		return func() {
			if err := os.WriteFile(f, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return n, touch(goFile), touch(stopFile)
}
