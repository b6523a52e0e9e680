package shm

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// childEnv tells the re-executed test binary to act as the creator.
const childEnv = "XROAM_SHM_TEST_CHILD"

// marker is what the child writes into its segments, so that the parent
// can tell it attached the child's memory.
var marker = []byte("xroam shm kill test")

// TestMain runs the creator child when the test re-executes itself: it
// makes two segments, writes the marker into both, prints their ids and
// waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "" {
		os.Exit(m.Run())
	}
	for range 2 {
		s, err := Create(4096)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		copy(s.Bytes(), marker)
		fmt.Println(s.ID())
	}
	select {}
}

// segmentInfo is one line of /proc/sysvipc/shm.
type segmentInfo struct {
	id, cpid, nattch int
}

// segments lists the System V segments the kernel holds, or skips.
func segments(tb testing.TB) []segmentInfo {
	tb.Helper()
	raw, err := os.ReadFile("/proc/sysvipc/shm")
	if err != nil {
		tb.Skipf("no /proc/sysvipc/shm: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	col := map[string]int{}
	for i, name := range strings.Fields(lines[0]) {
		col[name] = i
	}
	var out []segmentInfo
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		num := func(name string) int {
			i, ok := col[name]
			if !ok || i >= len(f) {
				tb.Fatalf("/proc/sysvipc/shm has no %s column: %q", name, lines[0])
			}
			n, err := strconv.Atoi(f[i])
			if err != nil {
				tb.Fatalf("/proc/sysvipc/shm: %s %q: %v", name, f[i], err)
			}
			return n
		}
		out = append(out, segmentInfo{id: num("shmid"), cpid: num("cpid"), nattch: num("nattch")})
	}
	return out
}

// left returns the segments that pid created and the kernel still holds.
func left(tb testing.TB, pid int) []segmentInfo {
	var out []segmentInfo
	for _, s := range segments(tb) {
		if s.cpid == pid {
			out = append(out, s)
		}
	}
	return out
}

// TestCreatorKilledLeavesNothing: a process that creates segments and is
// killed with SIGKILL, which runs no Close, leaves no segment behind,
// while another process that attached one by id keeps it usable until
// it detaches.
func TestCreatorKilledLeavesNothing(t *testing.T) {
	segments(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	r := bufio.NewScanner(out)
	var ids []int
	for len(ids) < 2 && r.Scan() {
		id, err := strconv.Atoi(r.Text())
		if err != nil {
			t.Fatalf("child: %q", r.Text())
		}
		ids = append(ids, id)
	}
	if len(ids) < 2 {
		t.Fatalf("the child printed %d segment ids: %v", len(ids), r.Err())
	}
	pid := cmd.Process.Pid
	if got := left(t, pid); len(got) != 2 {
		t.Fatalf("the child's segments while it runs: %+v, want 2", got)
	}

	// Already marked for removal, the segment can still be attached by
	// id from another process while its creator has it attached.
	a, err := Attach(ids[0])
	if err != nil {
		t.Fatalf("attaching the child's segment %d: %v", ids[0], err)
	}
	defer a.Close()
	if !bytes.HasPrefix(a.Bytes(), marker) {
		t.Fatalf("segment %d holds %q, not the child's marker", ids[0], a.Bytes()[:len(marker)])
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // the kernel has detached the child's segments once it is reaped
	killed = true

	// The one still attached here lives on, intact; the other is gone.
	if got := left(t, pid); len(got) != 1 || got[0].id != ids[0] || got[0].nattch != 1 {
		t.Fatalf("after SIGKILL, segments the child created: %+v, want only %d attached once", got, ids[0])
	}
	if !bytes.HasPrefix(a.Bytes(), marker) {
		t.Fatalf("segment %d lost the child's marker after the kill", ids[0])
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := left(t, pid); len(got) != 0 {
		t.Fatalf("after the last detach, segments the child created remain: %+v", got)
	}
}
