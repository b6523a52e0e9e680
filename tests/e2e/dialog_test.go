package e2e

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xroam/xroam/core/x11/x11test"
)

// xpropOut runs xprop on display and returns its output.
func xpropOut(t *testing.T, display int, args ...string) string {
	t.Helper()
	cmd := exec.Command("xprop", args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", display))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xprop %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// sizeHintLines picks the minimum, maximum, increment and base size
// lines of xprop's WM_NORMAL_HINTS output.
func sizeHintLines(s string) []string {
	return regexp.MustCompile(`(?m)^\s*program specified (minimum size|maximum size|resize increment|base size).*$`).FindAllString(s, -1)
}

// TestAttachDialogAndHints: a Tk application's dialog, transient for its
// main window, is transient for the main window's counterpart on the
// xroam client, keeps its dialog type and its place, and the size hints
// of both the Tk window and an xterm (minimum, maximum, increments) are
// the client windows' hints too.
func TestAttachDialogAndHints(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	for _, tool := range []string{"wish", "xprop"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	script := filepath.Join(e.Home, "dialog.tcl")
	tcl := `wm title . tkmain
wm geometry . 300x200+20+20
wm minsize . 250 150
wm maxsize . 600 500
update
toplevel .d
wm title .d tkdialog
wm transient .d .
wm attributes .d -type dialog
wm geometry .d 200x100+400+300
label .d.l -text {a dialog}
pack .d.l
`
	if err := os.WriteFile(script, []byte(tcl), 0o644); err != nil {
		t.Fatal(err)
	}
	n := e.Start("--start=wish "+script, "--start=xterm -T hintterm -geometry 40x10+20+400")
	srvMain := WaitWindow(t, n, "tkmain")
	srvDialog := WaitWindow(t, n, "tkdialog")
	srvTerm := WaitWindow(t, n, "hintterm")

	cd := ClientDisplay(t)
	e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir, "--encoding=rgb")
	cliMain := WaitWindow(t, cd, "tkmain")
	cliDialog := WaitWindow(t, cd, "tkdialog")
	cliTerm := WaitWindow(t, cd, "hintterm")

	_, v, err := x11test.WindowProperty(context.Background(), fmt.Sprintf(":%d", cd), cliDialog.ID, "WM_TRANSIENT_FOR")
	if err != nil || len(v) != 4 || binary.LittleEndian.Uint32(v) != cliMain.ID {
		t.Errorf("client dialog WM_TRANSIENT_FOR = % x (%v), want 0x%x", v, err, cliMain.ID)
	}
	if out := xpropOut(t, cd, "-id", fmt.Sprint(cliDialog.ID), "_NET_WM_WINDOW_TYPE"); !strings.Contains(out, "_NET_WM_WINDOW_TYPE_DIALOG") {
		t.Errorf("client dialog type: %s", out)
	}
	if cliDialog.X != srvDialog.X || cliDialog.Y != srvDialog.Y {
		t.Errorf("dialog at %d,%d on the client, %d,%d on the server", cliDialog.X, cliDialog.Y, srvDialog.X, srvDialog.Y)
	}
	SamePixels(t, n, srvDialog.ID, cd, cliDialog.ID, 0)

	for _, pair := range [][2]uint32{{srvMain.ID, cliMain.ID}, {srvTerm.ID, cliTerm.ID}} {
		want := sizeHintLines(xpropOut(t, n, "-id", fmt.Sprint(pair[0]), "WM_NORMAL_HINTS"))
		got := sizeHintLines(xpropOut(t, cd, "-id", fmt.Sprint(pair[1]), "WM_NORMAL_HINTS"))
		if len(want) < 2 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("client size hints:\n%s\nserver's:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
