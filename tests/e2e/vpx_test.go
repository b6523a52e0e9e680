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

// TestXpraClientVPX: Debian's xpra 3.1.3 client attached with
// --encoding=vp8 or vp9 gets draws of that encoding from the vpx plugin
// and shows the xterm within a PSNR and mean-difference bound, before and
// after text typed in the client window changes it.
func TestXpraClientVPX(t *testing.T) {
	t.Parallel()
	needXpraPainting(t)
	for _, coding := range []string{"vp8", "vp9"} {
		t.Run(coding, func(t *testing.T) {
			t.Parallel()
			e := suite.NewEnv(t)
			title := "enc-" + coding
			got := filepath.Join(e.Home, "got")
			n := e.Start("--plugin-dir="+suite.PluginDir, "--start=xterm -T "+title+" -geometry 60x12 -e sh -c 'echo "+title+"; ls /; "+
				"read l; echo \"$l\" > "+got+"; ls -l /; exec cat'")
			sock := "socket://" + e.Socket(n)
			srv := WaitWindow(t, n, title)
			info := e.MustRun("info", fmt.Sprintf(":%d", n))
			if !regexp.MustCompile(`(?m)^encodings\.core=.*\b` + coding + `\b`).MatchString(info) {
				t.Fatalf("info does not list %s in encodings.core:\n%s", coding, GrepLines(info, "encodings"))
			}
			cd := ClientDisplay(t)
			out, stop := e.srvAttachXpra(t, sock, cd, "--encoding="+coding)
			defer e.dumpOnFailure(t, n, out, stop)
			draws := "encodings.draws." + coding
			cli := WaitWindow(t, cd, title)
			p := waitClosePixels(t, n, srv.ID, cd, cli.ID, 25)
			if e.infoInt(n, draws) == 0 {
				t.Fatalf("no %s draws:\n%s", coding, GrepLines(e.MustRun("info", fmt.Sprintf(":%d", n)), "encodings"))
			}
			t.Logf("%s: PSNR %.1f dB", coding, p)

			before := e.infoInt(n, draws)
			srvXdotool(t, cd, "mousemove", "--window", fmt.Sprint(cli.ID), "40", "40")
			srvXdotool(t, cd, "windowfocus", "--sync", fmt.Sprint(cli.ID))
			srvXdotool(t, cd, "type", "--delay", "30", "typed"+coding+"\n")
			WaitFor(t, "the typed line", func() bool {
				b, err := os.ReadFile(got)
				return err == nil && strings.TrimSpace(string(b)) == "typed"+coding
			})
			WaitFor(t, "more "+coding+" draws", func() bool { return e.infoInt(n, draws) > before })
			p = waitClosePixels(t, n, srv.ID, cd, cli.ID, 25)
			ctx := context.Background()
			a, err1 := x11test.SnapshotWindow(ctx, fmt.Sprintf(":%d", n), srv.ID)
			b, err2 := x11test.SnapshotWindow(ctx, fmt.Sprintf(":%d", cd), cli.ID)
			if err1 != nil || err2 != nil {
				t.Fatalf("capture: %v / %v", err1, err2)
			}
			if mad := meanAbsDiff(a, b); mad > 6 {
				t.Fatalf("mean absolute difference %.2f after typing, want <= 6", mad)
			}
			if f := e.infoInt(n, "encodings.fallbacks"); f != 0 {
				t.Errorf("%d frames fell back to rgb32", f)
			}
			t.Logf("after typing: PSNR %.1f dB; %s", p, GrepLines(e.MustRun("info", fmt.Sprintf(":%d", n)), "encodings."))
		})
	}
}

// TestAttachVPX: `xroam attach --encoding=vp8` (and vp9) gets draws of
// that encoding from an xroam server, decodes them with libavcodec and
// shows the xterm within a PSNR bound; typed text reaches the
// application and is shown.
func TestAttachVPX(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("xdotool is not installed")
	}
	for _, coding := range []string{"vp8", "vp9"} {
		t.Run(coding, func(t *testing.T) {
			t.Parallel()
			e := suite.NewEnv(t)
			title := "att-" + coding
			typed := filepath.Join(e.Home, "typed.txt")
			n := e.Start("--plugin-dir="+suite.PluginDir, "--start=xterm -T "+title+" -geometry 61x13 -e sh -c 'echo "+title+"; ls /; cat > "+typed+"'")
			srv := WaitWindow(t, n, title)
			cd := ClientDisplay(t)
			e.Attach(cd, "socket://"+e.Socket(n), "--encoding="+coding)
			cli := WaitWindowOn(t, cd, "the xterm on the client", func(w x11.WindowInfo) bool {
				return w.Mapped && strings.Contains(w.Title, title)
			})
			p := waitClosePixels(t, n, srv.ID, cd, cli.ID, 25)
			if e.infoInt(n, "encodings.draws."+coding) == 0 {
				t.Fatalf("no %s draws:\n%s", coding, GrepLines(e.MustRun("info", fmt.Sprintf(":%d", n)), "encodings"))
			}
			srvXdotool(t, cd, "windowfocus", "--sync", fmt.Sprint(cli.ID))
			srvXdotool(t, cd, "type", "--delay", "30", "hello "+coding+"\n")
			WaitFor(t, "the typed text", func() bool {
				b, _ := os.ReadFile(typed)
				return strings.Contains(string(b), "hello "+coding)
			})
			p2 := waitClosePixels(t, n, srv.ID, cd, cli.ID, 25)
			if f := e.infoInt(n, "encodings.fallbacks"); f != 0 {
				t.Errorf("%d frames fell back to rgb32", f)
			}
			t.Logf("PSNR %.1f dB, after typing %.1f dB; %s", p, p2, GrepLines(e.MustRun("info", fmt.Sprintf(":%d", n)), "encodings."))
		})
	}
}
