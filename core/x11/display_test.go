package x11

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

func TestParseDisplay(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{":7", 7, false},
		{"7", 7, false},
		{":7.0", 7, false},
		{":0", 0, false},
		{":123.4", 123, false},
		{" :7 ", 7, false},
		{"unix:7", 7, false},
		{"", 0, true},
		{":", 0, true},
		{":x", 0, true},
		{":-1", 0, true},
		{":7.", 0, true},
		{":7.x", 0, true},
		{"host:7", 0, true},
		{"localhost:7.0", 0, true},
		{"::7", 0, true},
		{"7a", 0, true},
		{":99999999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDisplay(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDisplay(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("ParseDisplay(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestDisplayName(t *testing.T) {
	if got := DisplayName(7); got != ":7" {
		t.Errorf("DisplayName(7) = %q", got)
	}
}

// TestDisplayInUseLockFile checks the lock-file half of DisplayInUse on a
// display number far above what tests and servers use: a lock naming a
// live process means in use, one naming a dead process is stale.
func TestDisplayInUseLockFile(t *testing.T) {
	n := freeDisplay(t, 4000)
	lock := lockPath(n)
	t.Cleanup(func() { os.Remove(lock) })

	if err := os.WriteFile(lock, []byte("     "+strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if inUse, err := DisplayInUse(n); err != nil || !inUse {
		t.Errorf("lock held by this live process: DisplayInUse(%d) = %v, %v; want true", n, inUse, err)
	}

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lock, []byte(strconv.Itoa(dead.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if inUse, err := DisplayInUse(n); err != nil || inUse {
		t.Errorf("lock of a dead process: DisplayInUse(%d) = %v, %v; want false", n, inUse, err)
	}

	if err := os.WriteFile(lock, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if inUse, err := DisplayInUse(n); err != nil || inUse {
		t.Errorf("unreadable lock: DisplayInUse(%d) = %v, %v; want false", n, inUse, err)
	}

	if _, err := DisplayInUse(-1); err == nil {
		t.Error("DisplayInUse(-1): want an error")
	}
}

// freeDisplay returns a display number from start up that has neither a
// lock file nor a socket.
func freeDisplay(t *testing.T, start int) int {
	t.Helper()
	for n := start; n < start+1000; n++ {
		_, errL := os.Lstat(lockPath(n))
		_, errS := os.Lstat(socketPath(n))
		if os.IsNotExist(errL) && os.IsNotExist(errS) && !socketAccepts(t.Context(), n) {
			return n
		}
	}
	t.Fatalf("no free display number from %d", start)
	return 0
}
