package x11

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/xroam/xroam/core/config"
)

// DefaultXvfbCommand is the Xvfb command line used when XvfbConfig.Command
// is empty. Composite is what window capture is built on; the others are
// already on by default in Xvfb but are named to make the dependency plain.
const DefaultXvfbCommand = "Xvfb +extension Composite +extension DAMAGE +extension RANDR +extension XTEST -screen 0 1920x1080x24+32 -nolisten tcp -noreset"

const (
	// defaultStartTimeout bounds start-up when XvfbConfig.StartTimeout is
	// zero: a healthy Xvfb is ready in well under a second, but a loaded
	// machine can be slow, and a wedged one must not hang the caller.
	defaultStartTimeout = 10 * time.Second
	// stopGrace is how long Stop waits after SIGTERM before SIGKILL.
	stopGrace = 5 * time.Second
	// failedStartGrace is the same for a start that failed, which the
	// caller is waiting on.
	failedStartGrace = 2 * time.Second
	// killWait bounds the wait for the exit after SIGKILL, which the kernel
	// delivers unless the process is stuck in the kernel.
	killWait = 5 * time.Second
	// stderrTail is how much of Xvfb's output an error quotes.
	stderrTail = 2048
	// displayFD is the descriptor number Xvfb sees for the -displayfd pipe:
	// the first of cmd.ExtraFiles, after stdin, stdout and stderr.
	displayFD = 3
)

// ErrReleased is returned by Stop after Release: the process is no longer
// ours to stop.
var ErrReleased = errors.New("xvfb: released, not stopping it")

// XvfbConfig says how to start Xvfb.
type XvfbConfig struct {
	// Command is the full command line, e.g. "Xvfb +extension Composite
	// -screen 0 1920x1080x24+32 -nolisten tcp -noreset", split like a shell
	// would (see config.SplitCommand). It must not name a display or -displayfd:
	// those come from Display. Empty means DefaultXvfbCommand.
	Command string
	// Display is the display number to serve; -1 lets Xvfb pick a free one.
	Display int
	// LogPath receives Xvfb's stdout and stderr, appended; "" discards them.
	LogPath string
	// Env holds extra "KEY=value" variables, added to (and overriding)
	// BaseEnv.
	Env []string
	// BaseEnv is Xvfb's environment before Env; nil means this process's.
	// The server passes its own less the variables that hold secrets.
	BaseEnv []string
	// StartTimeout bounds the wait until the display accepts connections,
	// in addition to the context; 0 means 10 s.
	StartTimeout time.Duration
	// Logger receives start and stop events; nil discards them.
	Logger *slog.Logger
	// Cookie, when set, is the MIT-MAGIC-COOKIE-1 that clients must
	// present: Xvfb gets -auth with an authority file holding only it.
	// Without it (and without -auth in Command) Xvfb lets every local
	// user in. The file is an unlinked one that Xvfb holds open and reads
	// as /proc/self/fd/N, since the X server reads its -auth file at the
	// first connection and at each reset, for as long as it runs: no
	// name on disk has to outlive this process or be cleaned up after
	// Xvfb, and no other process can open it.
	Cookie []byte
}

// Xvfb is a running Xvfb process started by StartXvfb. Its methods are safe
// for concurrent use.
type Xvfb struct {
	display int
	cmd     *exec.Cmd
	log     *slog.Logger

	// socket is the display's socket file as Xvfb created it, so that a
	// stale one can be told from a newer server's after a SIGKILL.
	socket os.FileInfo

	done    chan struct{} // closed once the process has been reaped
	waitErr error         // cmd.Wait's result, set before done is closed

	mu       sync.Mutex
	released bool
}

// StartXvfb starts Xvfb as cfg says and returns once its display accepts
// connections. With cfg.Display < 0 the server picks a free display and
// reports it through -displayfd; with a given display, a display already in
// use is refused before anything is started. Xvfb runs in its own process
// group so that it can outlive this process (see Release). If Xvfb exits
// during start-up the error quotes the end of its output; if ctx ends or the
// start timeout passes first, Xvfb is killed.
func StartXvfb(ctx context.Context, cfg XvfbConfig) (*Xvfb, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start xvfb: %w", context.Cause(ctx))
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	command := cfg.Command
	if strings.TrimSpace(command) == "" {
		command = DefaultXvfbCommand
	}
	argv, err := config.SplitCommand(command)
	if err != nil {
		return nil, fmt.Errorf("xvfb command: %w", err)
	}
	if len(argv) == 0 {
		return nil, errors.New("xvfb command: empty")
	}
	for _, a := range argv[1:] {
		if a == "-displayfd" {
			return nil, fmt.Errorf("xvfb command %q: remove -displayfd, xroam passes its own", command)
		}
		if strings.HasPrefix(a, ":") && allDigits(a[1:]) {
			return nil, fmt.Errorf("xvfb command %q: remove the display %s, it is chosen separately", command, a)
		}
	}
	if cfg.Display >= 0 {
		if why, err := displayUse(cfg.Display); err != nil {
			return nil, fmt.Errorf("start xvfb on :%d: %w", cfg.Display, err)
		} else if why != "" {
			return nil, fmt.Errorf("start xvfb: display :%d is already in use (%s)", cfg.Display, why)
		}
	}

	var authFile *os.File
	if cfg.Cookie != nil {
		if _, ok := XvfbAuthFile(argv); ok {
			return nil, fmt.Errorf("xvfb command %q has its own -auth: start it without a cookie", command)
		}
		if authFile, err = xvfbAuthority(cfg.Cookie); err != nil {
			return nil, err
		}
		defer authFile.Close() // Xvfb holds its own copy
	}

	out, outStart, err := openOutput(cfg.LogPath)
	if err != nil {
		return nil, err
	}
	defer out.Close() // Xvfb holds its own copy

	args := make([]string, 0, len(argv)+2)
	var pr, pw *os.File
	if cfg.Display >= 0 {
		// No -displayfd here: with it Xvfb skips its lock file, which other
		// X servers and tools rely on to see that the display is taken.
		args = append(args, DisplayName(cfg.Display))
	} else {
		if pr, pw, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("start xvfb: displayfd pipe: %w", err)
		}
		defer pr.Close()
		args = append(args, "-displayfd", strconv.Itoa(displayFD))
	}
	if authFile != nil {
		// The first of cmd.ExtraFiles after the -displayfd pipe.
		fd := displayFD
		if pw != nil {
			fd++
		}
		args = append(args, "-auth", "/proc/self/fd/"+strconv.Itoa(fd))
	}
	args = append(args, argv[1:]...)
	// Not exec.CommandContext: ctx bounds the start-up only, and Xvfb must
	// keep running after it.
	cmd := exec.Command(argv[0], args...)
	base := cfg.BaseEnv
	if base == nil {
		base = os.Environ()
	}
	cmd.Env = append(slices.Clone(base), cfg.Env...)
	cmd.Stdout = out
	cmd.Stderr = out
	if pw != nil {
		cmd.ExtraFiles = []*os.File{pw}
	}
	if authFile != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, authFile)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	if pw != nil {
		pw.Close() // only Xvfb writes to it now, so its exit gives us EOF
	}
	if err != nil {
		return nil, fmt.Errorf("start xvfb %q: %w", argv[0], err)
	}
	x := &Xvfb{display: cfg.Display, cmd: cmd, log: log, done: make(chan struct{})}
	go x.reap()

	timeout := cfg.StartTimeout
	if timeout <= 0 {
		timeout = defaultStartTimeout
	}
	startCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	n, err := x.waitReady(startCtx, pr)
	if err != nil {
		x.kill()
		tail := readTail(out, outStart)
		if tail != "" {
			err = fmt.Errorf("%w; xvfb output:\n%s", err, tail)
		}
		return nil, fmt.Errorf("start xvfb: %w", err)
	}
	x.display = n
	log.Info("started Xvfb", "display", DisplayName(n), "pid", x.Pid(), "command", command)
	return x, nil
}

// XvfbAuthFile returns the file named by -auth in an X server's command
// line (argv as config.SplitCommand returns it), if it has one.
func XvfbAuthFile(argv []string) (string, bool) {
	for i, a := range argv {
		if i > 0 && a == "-auth" && i+1 < len(argv) {
			return argv[i+1], true
		}
	}
	return "", false
}

// xvfbAuthority makes the authority file Xvfb reads cookie from: written,
// then unlinked, so that only the open descriptor (inherited by Xvfb)
// reaches it.
func xvfbAuthority(cookie []byte) (*os.File, error) {
	if len(cookie) != CookieLen {
		return nil, fmt.Errorf("xvfb cookie: %d bytes, want %d", len(cookie), CookieLen)
	}
	e, err := CookieEntry(-1, cookie)
	if err != nil {
		return nil, err
	}
	b, err := EncodeAuthority([]AuthEntry{e})
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "xroam-xvfb-auth-*")
	if err != nil {
		return nil, fmt.Errorf("xvfb authority: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("xvfb authority: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("xvfb authority: %w", err)
	}
	return f, nil
}

// waitReady waits until Xvfb serves its display and returns the display
// number. With automatic selection Xvfb writes the number to the
// -displayfd pipe once it accepts connections; with a given display it is
// ready when the socket accepts and the lock file is its own (so that
// another server that raced us onto the number is not mistaken for ours).
// Either way the socket file must accept, since that is what clients use.
func (x *Xvfb) waitReady(ctx context.Context, pr *os.File) (int, error) {
	n := x.display
	if pr != nil {
		var err error
		if n, err = x.readDisplayFD(ctx, pr); err != nil {
			return 0, err
		}
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		// The filesystem socket, which xgb dials: Xvfb listens on the
		// abstract one a moment earlier, and a probe in that moment
		// found no socket file (or one not yet listening).
		if c, err := dialUnix(ctx, socketPath(n)); err == nil {
			_ = c.Close()
			if pid, err := lockPID(n); err == nil && (pid == 0 || pid == x.Pid()) {
				break
			}
		}
		select {
		case <-x.done:
			return 0, x.earlyExit(ctx)
		case <-ctx.Done():
			return 0, fmt.Errorf("waiting for display :%d to accept connections: %w", n, context.Cause(ctx))
		case <-tick.C:
		}
	}
	if fi, err := os.Stat(socketPath(n)); err == nil {
		x.socket = fi
	}
	return n, nil
}

// readDisplayFD reads the display number Xvfb writes to the -displayfd pipe.
func (x *Xvfb) readDisplayFD(ctx context.Context, pr *os.File) (int, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(pr).ReadString('\n')
		ch <- result{line, err}
	}()
	select {
	case r := <-ch:
		s := strings.TrimSpace(r.line)
		if r.err != nil && (!errors.Is(r.err, io.EOF) || s == "") {
			// EOF before a number: Xvfb closed the pipe, i.e. it died.
			return 0, x.earlyExit(ctx)
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("xvfb wrote %q to -displayfd, not a display number", s)
		}
		return n, nil
	case <-x.done:
		return 0, x.earlyExit(ctx)
	case <-ctx.Done():
		return 0, fmt.Errorf("waiting for xvfb to pick a display: %w", context.Cause(ctx))
	}
}

// earlyExit describes Xvfb's exit during start-up, once it is reaped.
func (x *Xvfb) earlyExit(ctx context.Context) error {
	select {
	case <-x.done:
	case <-ctx.Done():
		return fmt.Errorf("xvfb closed -displayfd without a display number: %w", context.Cause(ctx))
	}
	if x.waitErr != nil {
		return fmt.Errorf("xvfb exited during start-up: %w", x.waitErr)
	}
	return errors.New("xvfb exited during start-up with status 0")
}

func (x *Xvfb) reap() {
	x.waitErr = x.cmd.Wait()
	close(x.done)
}

// kill ends the process after a failed start and waits until it is
// reaped. SIGTERM comes first, briefly, because only Xvfb itself knows
// which display it may already have claimed and can clean that up.
func (x *Xvfb) kill() {
	_ = x.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-x.done:
		return
	case <-time.After(failedStartGrace):
	}
	_ = x.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-x.done:
		x.removeStale()
	case <-time.After(killWait):
		x.log.Warn("Xvfb did not exit after SIGKILL", "pid", x.Pid())
	}
}

// openOutput opens where Xvfb's output goes, and the offset its output will
// start at. It is always a file, never a pipe, so that Xvfb can outlive us.
// With no log path it is an unlinked temporary file: nothing is kept, yet a
// failed start can still be explained.
func openOutput(path string) (*os.File, int64, error) {
	if path == "" {
		f, err := os.CreateTemp("", "xroam-xvfb-*.log")
		if err != nil {
			return nil, 0, fmt.Errorf("xvfb output: %w", err)
		}
		if err := os.Remove(f.Name()); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("xvfb output: %w", err)
		}
		return f, 0, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("xvfb log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("xvfb log: %w", err)
	}
	return f, fi.Size(), nil
}

// readTail returns the last stderrTail bytes written to f after offset
// start, from the beginning of a line where possible.
func readTail(f *os.File, start int64) string {
	fi, err := f.Stat()
	if err != nil || fi.Size() <= start {
		return ""
	}
	from := max(start, fi.Size()-stderrTail)
	buf := make([]byte, fi.Size()-from)
	n, _ := f.ReadAt(buf, from)
	s := string(buf[:n])
	if from > start {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return strings.TrimSpace(s)
}

// Display returns the display number Xvfb serves.
func (x *Xvfb) Display() int { return x.display }

// Pid returns Xvfb's process id, which is also its process group id.
func (x *Xvfb) Pid() int { return x.cmd.Process.Pid }

// Done is closed once Xvfb has exited and been reaped.
func (x *Xvfb) Done() <-chan struct{} { return x.done }

// Wait blocks until Xvfb has exited and returns how: nil for exit status 0,
// otherwise an *exec.ExitError. It may be called any number of times.
func (x *Xvfb) Wait() error {
	<-x.done
	return x.waitErr
}

// ProcessState returns Xvfb's exit state, or nil while it runs.
func (x *Xvfb) ProcessState() *os.ProcessState {
	select {
	case <-x.done:
		return x.cmd.ProcessState
	default:
		return nil
	}
}

// Stop ends Xvfb: SIGTERM, then SIGKILL when it has not exited after a
// grace period or when ctx ends, whichever comes first. It returns nil once
// the process is gone, and an error if it could not be made to exit. After
// a SIGKILL it removes the display's lock file and socket only if the lock
// file still names this Xvfb, since Xvfb had no chance to remove them;
// nothing else is touched. Stop after Release returns ErrReleased.
func (x *Xvfb) Stop(ctx context.Context) error {
	x.mu.Lock()
	released := x.released
	x.mu.Unlock()
	if released {
		return ErrReleased
	}
	select {
	case <-x.done:
		return nil
	default:
	}
	if err := x.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop xvfb %d: %w", x.Pid(), err)
	}
	grace := time.NewTimer(stopGrace)
	defer grace.Stop()
	select {
	case <-x.done:
		x.log.Info("stopped Xvfb", "display", DisplayName(x.display), "pid", x.Pid())
		return nil
	case <-grace.C:
	case <-ctx.Done():
	}
	x.log.Warn("Xvfb did not exit on SIGTERM, killing it", "display", DisplayName(x.display), "pid", x.Pid())
	if err := x.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill xvfb %d: %w", x.Pid(), err)
	}
	select {
	case <-x.done:
	case <-time.After(killWait):
		return fmt.Errorf("xvfb %d did not exit after SIGKILL", x.Pid())
	}
	x.removeStale()
	return nil
}

// removeStale removes the lock file and socket that a killed Xvfb left
// behind, but only those proven to be this Xvfb's: the lock file when it
// holds this pid, the socket when it is the very file (same inode) that
// and time) that existed while this Xvfb served the display and nothing
// accepts on it.
func (x *Xvfb) removeStale() {
	if x.display < 0 {
		return
	}
	if x.socket != nil && !socketAccepts(context.Background(), x.display) {
		if fi, err := os.Stat(socketPath(x.display)); err == nil && os.SameFile(fi, x.socket) && fi.ModTime().Equal(x.socket.ModTime()) {
			_ = os.Remove(socketPath(x.display))
		}
	}
	if pid, err := lockPID(x.display); err == nil && pid == x.Pid() {
		_ = os.Remove(lockPath(x.display))
	}
}

// Release stops tracking Xvfb without ending it: it keeps running, in its
// own process group, after this process exits (the session's exit verb).
// Stop then does nothing. While this process lives, an exit of Xvfb is
// still reaped, so Done and Wait keep working and no zombie is left.
func (x *Xvfb) Release() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.released {
		x.released = true
		x.log.Info("leaving Xvfb running", "display", DisplayName(x.display), "pid", x.Pid())
	}
}
