package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"
)

// ChildInfo describes one command started in the session.
type ChildInfo struct {
	PID     int
	Command string
	// Child is true for --start-child commands, which count for
	// --exit-with-children.
	Child   bool
	Started time.Time
	// Exited is set once the process is reaped.
	Exited   bool
	ExitCode int
}

// Children starts the session's commands and reaps them. Each command runs
// in its own session (setsid) so that it outlives the server when the
// server exits without stopping the session (the exit verb), as xpra's do.
type Children struct {
	Env         []string
	Dir         string
	ExecWrapper []string
	Logger      *slog.Logger
	// OnLastChildExit is called (once per time the count drops to zero)
	// when the last --start-child command has exited.
	OnLastChildExit func()

	mu    sync.Mutex
	procs []*childProc
	wg    sync.WaitGroup
}

type childProc struct {
	info ChildInfo
	cmd  *exec.Cmd
	done chan struct{}
}

// StartAs is how one command runs when a client's login said more about
// its user (see authResult).
type StartAs struct {
	// Env is added over the session's environment.
	Env []string
	// Credential, when set, is the user and group the command runs as.
	Credential *syscall.Credential
	// Dir, when set, replaces the session's working directory (which
	// another user may not be able to enter).
	Dir string
}

// Start runs command with /bin/sh -c, as xpra runs its start commands.
func (c *Children) Start(command string, isChild bool) (int, error) {
	return c.StartWith(command, isChild, StartAs{})
}

// StartWith is Start with the user's environment and ids from as.
func (c *Children) StartWith(command string, isChild bool, as StartAs) (int, error) {
	argv := append(append([]string{}, c.ExecWrapper...), "/bin/sh", "-c", command)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = c.Env
	if len(as.Env) > 0 {
		base := c.Env
		if base == nil {
			base = os.Environ()
		}
		// The last of duplicate keys wins (os/exec).
		cmd.Env = append(slices.Clone(base), as.Env...)
	}
	cmd.Dir = cmp.Or(as.Dir, c.Dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: as.Credential}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, fmt.Errorf("opening %s: %w", os.DevNull, err)
	}
	defer devnull.Close()
	cmd.Stdin = devnull
	// Output goes to the server's log, as xpra does.
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %q: %w", command, err)
	}
	p := &childProc{info: ChildInfo{PID: cmd.Process.Pid, Command: command, Child: isChild, Started: time.Now()}, cmd: cmd, done: make(chan struct{})}
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	c.logger().Info("started command", "pid", p.info.PID, "command", command, "child", isChild)
	c.wg.Add(1)
	go c.reap(p)
	return p.info.PID, nil
}

func (c *Children) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c *Children) reap(p *childProc) {
	defer c.wg.Done()
	err := p.cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
	}
	c.mu.Lock()
	p.info.Exited = true
	p.info.ExitCode = code
	lastChild := p.info.Child && c.liveChildrenLocked() == 0
	c.mu.Unlock()
	close(p.done)
	c.logger().Info("command exited", "pid", p.info.PID, "command", p.info.Command, "exit-code", code)
	if lastChild && c.OnLastChildExit != nil {
		c.OnLastChildExit()
	}
}

func (c *Children) liveChildrenLocked() int {
	n := 0
	for _, p := range c.procs {
		if p.info.Child && !p.info.Exited {
			n++
		}
	}
	return n
}

// List returns the commands started so far.
func (c *Children) List() []ChildInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]ChildInfo, len(c.procs))
	for i, p := range c.procs {
		out[i] = p.info
	}
	return out
}

// Terminate sends SIGTERM to every running command's process group, then
// SIGKILL to those still running when ctx ends, and waits for them.
func (c *Children) Terminate(ctx context.Context) {
	c.mu.Lock()
	procs := append([]*childProc{}, c.procs...)
	c.mu.Unlock()
	for _, p := range procs {
		select {
		case <-p.done:
			continue
		default:
		}
		_ = syscall.Kill(-p.info.PID, syscall.SIGTERM)
	}
	for _, p := range procs {
		select {
		case <-p.done:
		case <-ctx.Done():
			_ = syscall.Kill(-p.info.PID, syscall.SIGKILL)
			<-p.done
		}
	}
}

// Release stops tracking the commands without signalling them: they go on
// running after the server exits. Reaping goroutines end with the process.
func (c *Children) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if !p.info.Exited {
			c.logger().Info("leaving command running", "pid", p.info.PID, "command", p.info.Command)
		}
	}
}
