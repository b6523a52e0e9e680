package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ReadyFDEnv names the environment variable through which a daemonized
// server learns the descriptor on which it reports readiness.
const ReadyFDEnv = "XROAM_READY_FD"

// DaemonResult is what the starting process learns from its daemon.
type DaemonResult struct {
	Display int
	PID     int
	LogPath string
}

// Daemonize runs this binary again, detached (new session, stdin from
// /dev/null, output to a log file in logDir), with args plus --daemon=no,
// and waits until the daemon reports the display it serves or dies. The
// daemon renames the log to its final name (see RenameLog) once it knows
// the display.
func Daemonize(ctx context.Context, args []string, env []string, logDir string) (DaemonResult, error) {
	self, err := os.Executable()
	if err != nil {
		return DaemonResult{}, fmt.Errorf("finding this executable: %w", err)
	}
	if err := os.MkdirAll(logDir, 0o700); err != nil {
		return DaemonResult{}, fmt.Errorf("log directory: %w", err)
	}
	logPath := filepath.Join(logDir, fmt.Sprintf("xroam-start-%d.log", os.Getpid()))
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return DaemonResult{}, fmt.Errorf("log file: %w", err)
	}
	defer logf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return DaemonResult{}, fmt.Errorf("pipe: %w", err)
	}
	defer pr.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		pw.Close()
		return DaemonResult{}, err
	}
	defer devnull.Close()
	cmd := exec.Command(self, append(append([]string{}, args...), "--daemon=no")...)
	cmd.Env = append(append([]string{}, env...), ReadyFDEnv+"=3", "XROAM_LOG_FILE="+logPath)
	cmd.Stdin = devnull
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return DaemonResult{}, fmt.Errorf("starting the daemon: %w", err)
	}
	pw.Close()
	pid := cmd.Process.Pid
	// Reap it in the background should it die before reporting; if it
	// lives, it outlives us and init adopts it.
	go func() { _ = cmd.Wait() }()
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1)
	go func() {
		s, err := bufio.NewReader(pr).ReadString('\n')
		ch <- line{s, err}
	}()
	select {
	case l := <-ch:
		if l.err != nil {
			tail := logTail(logPath, 20)
			return DaemonResult{PID: pid, LogPath: logPath}, fmt.Errorf("the server failed to start; its log %s ends with:\n%s", logPath, tail)
		}
		// The daemon writes "DISPLAY LOGPATH".
		f := strings.SplitN(strings.TrimSpace(l.s), " ", 2)
		n, err := strconv.Atoi(f[0])
		if err != nil {
			return DaemonResult{}, fmt.Errorf("bad readiness report %q", l.s)
		}
		res := DaemonResult{Display: n, PID: pid, LogPath: logPath}
		if len(f) == 2 {
			res.LogPath = f[1]
		}
		return res, nil
	case <-ctx.Done():
		return DaemonResult{PID: pid, LogPath: logPath}, ctx.Err()
	}
}

func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ReportReady tells the starting process (through the descriptor named by
// XROAM_READY_FD) and --displayfd which display is served.
func ReportReady(getenv func(string) string, displayfd int, display int, logPath string) error {
	var errs []error
	if s := getenv(ReadyFDEnv); s != "" {
		if fd, err := strconv.Atoi(s); err == nil {
			f := os.NewFile(uintptr(fd), "ready")
			_, err := fmt.Fprintf(f, "%d %s\n", display, logPath)
			f.Close()
			errs = append(errs, err)
		}
	}
	if displayfd > 0 {
		f := os.NewFile(uintptr(displayfd), "displayfd")
		_, err := fmt.Fprintf(f, "%d\n", display)
		f.Close()
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// RenameLog moves the daemon's log to its final name once the display is
// known, keeping an existing log of that name as .old, as xpra does. The
// open descriptors keep writing to the renamed file.
func RenameLog(cur, final string) error {
	if cur == "" || cur == final {
		return nil
	}
	if _, err := os.Stat(final); err == nil {
		_ = os.Rename(final, final+".old")
	}
	if err := os.Rename(cur, final); err != nil {
		return fmt.Errorf("renaming the log: %w", err)
	}
	return nil
}

// WaitGone waits until path no longer exists, up to timeout.
func WaitGone(ctx context.Context, path string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}
