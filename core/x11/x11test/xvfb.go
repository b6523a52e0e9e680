package x11test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
)

// Command enables every extension the tests check, on a small screen.
const Command = "Xvfb +extension Composite +extension DAMAGE +extension RANDR +extension MIT-SHM +extension XTEST -screen 0 1024x768x24 -nolisten tcp -noreset"

// Generous bounds: the machine running the tests may be small and loaded.
const (
	StartTimeout = 60 * time.Second
	Wait         = 60 * time.Second
)

// RequireXvfb skips the test when Xvfb is not installed.
func RequireXvfb(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		tb.Skipf("skipping: the Xvfb binary is not installed (apt install xvfb): %v", err)
	}
}

// Logger logs at debug level into the test's output.
func Logger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// StartXvfb starts Xvfb (Command unless cfg says otherwise) and stops it
// when the test ends; it skips the test when Xvfb is not installed.
func StartXvfb(tb testing.TB, cfg x11.XvfbConfig) *x11.Xvfb {
	tb.Helper()
	RequireXvfb(tb)
	if cfg.Command == "" {
		cfg.Command = Command
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = StartTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = Logger(tb)
	}
	x, err := x11.StartXvfb(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("StartXvfb: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Wait)
		defer cancel()
		if err := x.Stop(ctx); err != nil {
			tb.Errorf("cleanup: Stop: %v", err)
		}
	})
	return x
}

// StartApp starts an X client on display and kills it when the test
// ends; it skips the test when the program is not installed.
func StartApp(tb testing.TB, display int, name string, args ...string) *exec.Cmd {
	tb.Helper()
	if _, err := exec.LookPath(name); err != nil {
		tb.Skipf("skipping: %s is not installed: %v", name, err)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+x11.DisplayName(display))
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// Context is the test's context, bounded by Wait.
func Context(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(tb.Context(), Wait)
	tb.Cleanup(cancel)
	return ctx
}
