package x11test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
)

func TestMain(m *testing.M) {
	// xgb prints to standard error about a missing ~/.Xauthority and
	// about connections the tests close; keep the output readable.
	x11.RouteXGBLog(nil)
	os.Exit(m.Run())
}

func TestWaitForWindowXterm(t *testing.T) {
	t.Parallel()
	x := StartXvfb(t, x11.XvfbConfig{Display: -1})
	StartApp(t, x.Display(), "xterm", "-T", "probe-test")
	w, err := WaitForWindow(Context(t), x11.DisplayName(x.Display()), func(w x11.WindowInfo) bool {
		return w.Mapped && w.Title == "probe-test"
	})
	if err != nil {
		t.Fatalf("WaitForWindow: %v", err)
	}
	if w.ID == 0 || w.Width <= 0 || w.Height <= 0 || w.MapState != x11.Viewable {
		t.Errorf("xterm window: %+v", w)
	}
	if w.WMName != "probe-test" || w.Class != "XTerm" || w.Instance != "xterm" {
		t.Errorf("xterm window names: WM_NAME %q class %q instance %q", w.WMName, w.Class, w.Instance)
	}
	info, err := x11.Probe(Context(t), x11.DisplayName(x.Display()))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, pw := range info.Windows {
		if pw.ID == w.ID {
			found = true
			if pw.Title != "probe-test" || !pw.Mapped {
				t.Errorf("Probe sees the xterm as %+v", pw)
			}
		}
	}
	if !found {
		t.Errorf("Probe's windows %+v lack the xterm %#x", info.Windows, w.ID)
	}
}

func TestWaitForWindowUTF8Title(t *testing.T) {
	t.Parallel()
	x := StartXvfb(t, x11.XvfbConfig{Display: -1})
	// xterm sets _NET_WM_NAME as UTF-8 with -u8 and a UTF-8 locale; xeyes
	// would do for WM_NAME only, so check what the title path gives.
	StartApp(t, x.Display(), "xterm", "-u8", "-T", "tést-ü")
	w, err := WaitForWindow(Context(t), x11.DisplayName(x.Display()), func(w x11.WindowInfo) bool {
		return w.Mapped && strings.HasPrefix(w.Title, "t")
	})
	if err != nil {
		t.Fatalf("WaitForWindow: %v", err)
	}
	if w.Title != "tést-ü" {
		t.Errorf("title %q (WM_NAME %q, _NET_WM_NAME %q), want %q", w.Title, w.WMName, w.NetWMName, "tést-ü")
	}
}

func TestWaitForWindowTimeout(t *testing.T) {
	t.Parallel()
	x := StartXvfb(t, x11.XvfbConfig{Display: -1})
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err := WaitForWindow(ctx, x11.DisplayName(x.Display()), func(x11.WindowInfo) bool { return false })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitForWindow that never matches: %v, want DeadlineExceeded", err)
	}
}

func TestWaitForWindowNoServer(t *testing.T) {
	t.Parallel()
	// A display number no server has: the lock file and the socket are
	// both absent for it.
	n := 4500
	for ; n < 4600; n++ {
		if inUse, err := x11.DisplayInUse(n); err == nil && !inUse {
			break
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := WaitForWindow(ctx, x11.DisplayName(n), func(x11.WindowInfo) bool { return true })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitForWindow with no server: %v, want DeadlineExceeded", err)
	}
}
