package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sigpipeIgnored says whether pid has SIGPIPE ignored (SigIgn in
// /proc/PID/status), which its children would inherit across exec.
func sigpipeIgnored(t *testing.T, pid int) bool {
	t.Helper()
	mask, err := strconv.ParseUint(procField(t, pid, "SigIgn"), 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	return mask&(1<<(uint(syscall.SIGPIPE)-1)) != 0
}

// TestForegroundServerSurvivesClosedPipe: `xroam start --daemon=no | head`
// closes the server's standard output and error; the server's next log
// line must not kill it (and orphan Xvfb): it still answers, and stop
// still ends it and its X server.
func TestForegroundServerSurvivesClosedPipe(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(suite.Bin, "start", "--daemon=no", "--start-child=sleep 600", "--socket-dir="+e.SockDir)
	cmd.Env = e.Environ()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	xvfbPid := 0
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
		if xvfbPid > 0 {
			syscall.Kill(xvfbPid, syscall.SIGKILL)
		}
	})

	// Read up to the ready line, then close the pipe, as head does.
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	ready := regexp.MustCompile(`xroam session :(\d+) ready`)
	n := -1
	deadline := time.After(60 * time.Second)
	for n < 0 {
		select {
		case l, ok := <-lines:
			if !ok {
				<-exited
				t.Fatalf("the server's output ended before it was ready: %v", waitErr)
			}
			if m := ready.FindStringSubmatch(l); m != nil {
				n, _ = strconv.Atoi(m[1])
			}
		case <-deadline:
			t.Fatal("the server did not say it was ready")
		}
	}
	pr.Close()
	go func() {
		for range lines {
		}
	}()
	xvfbPid = ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "xvfb.pid"))
	disp := fmt.Sprintf(":%d", n)

	// Each of these logs a line to the closed pipe.
	for range 3 {
		if out, code := e.Run("info", disp); code != 0 || !strings.Contains(out, "server.type=xroam") {
			t.Fatalf("info after the pipe closed: exit %d\n%s", code, out)
		}
	}
	select {
	case <-exited:
		t.Fatalf("the server exited: %v", waitErr)
	default:
	}
	// The commands have SIGPIPE as it was, not ignored (Xvfb ignores it
	// itself, as X servers do).
	info := e.MustRun("info", disp)
	m := regexp.MustCompile(`children\.0\.pid=(\d+)`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("no child in info:\n%s", info)
	}
	child, _ := strconv.Atoi(m[1])
	if sigpipeIgnored(t, child) {
		t.Errorf("the session's command (pid %d) has SIGPIPE ignored", child)
	}

	if out, code := e.Run("stop", disp); code != 0 {
		t.Fatalf("stop: exit %d\n%s", code, out)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("the server ended with %v", waitErr)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not end after stop")
	}
	WaitFor(t, "Xvfb to end", func() bool { return !PidAlive(xvfbPid) })
}
