package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"

	"github.com/xroam/xroam/core/x11"
)

// suite is what TestMain built for every test of this binary.
var suite *Suite

func TestMain(m *testing.M) {
	s, err := NewSuite(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	x11.RouteXGBLog(slog.New(slog.DiscardHandler))
	// The sessions' displays need their cookie: every session of the
	// tests adds it here, where the X tools the tests run (and xgb in
	// this process) look for it, as a user's ~/.Xauthority would be.
	os.Setenv("XAUTHORITY", s.Xauthority)
	suite = s
	code := m.Run()
	s.Close()
	os.Exit(code)
}
