package x11

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindLiveDisplay: shadow's display is the only one whose socket
// accepts connections; none or several is an error naming what to do.
// The sockets are real listeners in a directory of the test's own.
func TestFindLiveDisplay(t *testing.T) {
	dir := t.TempDir()
	listen := func(n int) net.Listener {
		l, err := net.Listen("unix", filepath.Join(dir, fmt.Sprintf("X%d", n)))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		return l
	}
	accepts := func(n int) bool {
		c, err := dialUnix(context.Background(), filepath.Join(dir, fmt.Sprintf("X%d", n)))
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	if _, err := findLiveDisplay(10, accepts); err == nil || !strings.Contains(err.Error(), "no X display below :10") {
		t.Errorf("no display: %v", err)
	}
	l3 := listen(3)
	// A socket file whose server is gone does not count.
	stale := listen(5)
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	if n, err := findLiveDisplay(10, accepts); err != nil || n != 3 {
		t.Errorf("one live display: %d, %v; want 3", n, err)
	}
	// Displays at the limit and above are not candidates.
	l12 := listen(12)
	defer l12.Close()
	if n, err := findLiveDisplay(10, accepts); err != nil || n != 3 {
		t.Errorf("with :12 too: %d, %v; want 3", n, err)
	}
	l7 := listen(7)
	defer l7.Close()
	if _, err := findLiveDisplay(10, accepts); err == nil || !strings.Contains(err.Error(), ":3, :7") {
		t.Errorf("two displays: %v", err)
	}
	l3.Close()
	if n, err := findLiveDisplay(10, accepts); err != nil || n != 7 {
		t.Errorf("after :3 ended: %d, %v; want 7", n, err)
	}
}
