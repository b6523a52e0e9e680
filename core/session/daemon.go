package session

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ReadyFDEnv names the environment variable through which a daemonized
// server learns the descriptor on which it reports readiness.
const ReadyFDEnv = "XROAM_READY_FD"

// ArgsFDEnv names the environment variable through which a daemonized
// server learns the descriptor it reads its command line from (see
// ReadArgs). The arguments may hold secrets (--tcp-auth=password:value=…)
// and every user can read a process's argv in /proc/PID/cmdline, so they
// never travel in the daemon's argv.
const ArgsFDEnv = "XROAM_ARGS_FD"

// maxArgsSize bounds the command line read from the starting process.
const maxArgsSize = 1 << 20

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
// the display. The daemon's argv is only verb and --daemon=no, for ps: the
// arguments travel through an inherited pipe (ArgsFDEnv).
func Daemonize(ctx context.Context, verb string, args []string, env []string, logDir string) (DaemonResult, error) {
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
	argsJSON, err := json.Marshal(append(slices.Clone(args), "--daemon=no"))
	if err != nil {
		pw.Close()
		return DaemonResult{}, err
	}
	ar, aw, err := os.Pipe()
	if err != nil {
		pw.Close()
		return DaemonResult{}, fmt.Errorf("pipe: %w", err)
	}
	cmd := exec.Command(self, verb, "--daemon=no")
	cmd.Env = append(slices.Clone(env), ReadyFDEnv+"=3", ArgsFDEnv+"=4", "XROAM_LOG_FILE="+logPath)
	cmd.Stdin = devnull
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.ExtraFiles = []*os.File{pw, ar}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	pw.Close()
	ar.Close()
	if err != nil {
		aw.Close()
		return DaemonResult{}, fmt.Errorf("starting the daemon: %w", err)
	}
	// A daemon that dies first makes the write fail, and its report (or
	// its absence) below says why.
	go func() {
		_, _ = aw.Write(argsJSON)
		aw.Close()
	}()
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
		if rest, ok := strings.CutPrefix(l.s, failurePrefix); ok {
			var f failure
			if err := json.Unmarshal([]byte(rest), &f); err != nil {
				return DaemonResult{PID: pid}, fmt.Errorf("the server failed to start (bad report %q)", l.s)
			}
			if f.Log == "" {
				return DaemonResult{PID: pid}, fmt.Errorf("the server failed to start: %s", f.Error)
			}
			return DaemonResult{PID: pid, LogPath: f.Log}, fmt.Errorf("the server failed to start: %s (its log: %s)", f.Error, f.Log)
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

// ReadArgs reads the command line a starting process passed through the
// descriptor fd (the value of ArgsFDEnv) and closes it, so that nothing
// the daemon starts inherits it.
func ReadArgs(fd string) ([]string, error) {
	n, err := strconv.Atoi(fd)
	if err != nil || n < 3 {
		return nil, fmt.Errorf("%s=%q: not a descriptor", ArgsFDEnv, fd)
	}
	f := os.NewFile(uintptr(n), "args")
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxArgsSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the command line: %w", err)
	}
	if len(b) > maxArgsSize {
		return nil, fmt.Errorf("reading the command line: over %d bytes", maxArgsSize)
	}
	var args []string
	if err := json.Unmarshal(b, &args); err != nil {
		return nil, fmt.Errorf("reading the command line: %w", err)
	}
	return args, nil
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

// failurePrefix starts a daemon's report that it failed to start, before
// a JSON failure: the starting process shows the real cause from it even
// where the log could not be written (a full disk) or was renamed.
const failurePrefix = "error "

type failure struct {
	Error string `json:"error"`
	Log   string `json:"log,omitempty"`
}

// ReportFailure tells the starting process (through the descriptor named
// by XROAM_READY_FD, which must not have been used for ReportReady) why
// the server did not start. Write the error to the log first: this
// removes the log at logPath when it is still empty (a full disk took
// nothing), and the report then names no log.
func ReportFailure(getenv func(string) string, cause error, logPath string) error {
	if logPath != "" {
		if st, err := os.Stat(logPath); err == nil && st.Size() == 0 && os.Remove(logPath) == nil {
			logPath = ""
		}
	}
	s := getenv(ReadyFDEnv)
	fd, err := strconv.Atoi(s)
	if s == "" || err != nil {
		return nil
	}
	b, err := json.Marshal(failure{Error: cause.Error(), Log: logPath})
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), "ready")
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s%s\n", failurePrefix, b)
	return err
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
