package e2e

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xroam/xroam/core/x11"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xroam-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Readable by all: TestUIDDropsPrivileges re-runs it as nobody.
	os.Chmod(dir, 0o755)
	xroamBin = filepath.Join(dir, "xroam")
	out, err := exec.Command("go", "build", "-o", xroamBin, "github.com/xroam/xroam/cmd/xroam").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building xroam: %v\n%s", err, out)
		os.Exit(1)
	}
	// The plugins, named as `make` names them, for --plugin-dir.
	testPlugins = filepath.Join(dir, "plugins")
	mains, _ := filepath.Glob("../../plugins/*/*/main.go")
	for _, m := range mains {
		d := filepath.Dir(m)
		kind := strings.TrimSuffix(filepath.Base(filepath.Dir(d)), "s")
		bin := filepath.Join(testPlugins, "xroam-"+kind+"-"+filepath.Base(d))
		if out, err := exec.Command("go", "build", "-tags", "extlib", "-o", bin, "./"+d).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", d, err, out)
			os.Exit(1)
		}
	}
	x11.RouteXGBLog(slog.New(slog.DiscardHandler))
	// The sessions' displays need their cookie: every session of the
	// tests adds it here, where the X tools the tests run (and xgb in
	// this process) look for it, as a user's ~/.Xauthority would be.
	os.Setenv("XAUTHORITY", filepath.Join(dir, "Xauthority"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
