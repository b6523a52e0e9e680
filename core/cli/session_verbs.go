package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/xroam/xroam/core/dial"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/core/session"
	"github.com/xroam/xroam/core/sockdir"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/xpra"
)

func sessionGroups() []string {
	return []string{"general", "server", "network", "auth", "picture", "keyboard", "clipboard"}
}

func paths(inv *Invocation) (sockdir.Paths, error) {
	c := &inv.Config.Config
	return sockdir.NewPaths(c.SocketDir, c.SocketDirs, inv.Env.Getenv)
}

// serverLogger logs the server's events to its standard error, which is
// the log file when daemonized.
func serverLogger(inv *Invocation) (*slog.Logger, *slog.LevelVar) {
	level := new(slog.LevelVar)
	if inv.Config.Config.Debug != "" {
		level.Set(slog.LevelDebug)
	}
	return slog.New(slog.NewTextHandler(&bestEffortWriter{w: inv.Env.Stderr}, &slog.HandlerOptions{Level: level})), level
}

// bestEffortWriter is where a server logs: a log line that cannot be
// written (a foreground server's standard error is a pipe its reader has
// closed) is lost, never an error for the server. Once the pipe is known
// to be broken, nothing more is tried.
type bestEffortWriter struct {
	w      io.Writer
	mu     sync.Mutex
	broken bool
}

func (b *bestEffortWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.broken {
		if _, err := b.w.Write(p); errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrClosed) {
			b.broken = true
		}
	}
	return len(p), nil
}

func startVerb() *Verb {
	return &Verb{
		Name:    "start",
		Args:    "[:DISPLAY]",
		Summary: "start a session with its own virtual display",
		Description: "Starts an Xvfb display (a free one unless :DISPLAY is given, or the existing one with --use-display), " +
			"listens on the session socket <socket-dir>/<hostname>-<N> and on any --bind-tcp address, and runs the --start " +
			"and --start-child commands with DISPLAY set. It goes to the background with a log file unless --daemon=no.",
		Groups:  sessionGroups(),
		MaxArgs: 1,
		Run:     runStart,
	}
}

func startDesktopVerb() *Verb {
	return &Verb{
		Name:    "start-desktop",
		Args:    "[:DISPLAY]",
		Summary: "start a session whose whole screen is one window on the client",
		Description: "Like start, but the client shows the session's whole virtual screen as a single window, as VNC does; " +
			"start a desktop environment or a window manager with --start.",
		Groups:  sessionGroups(),
		MaxArgs: 1,
		Run: func(ctx context.Context, inv *Invocation) error {
			return runServer(ctx, inv, "desktop")
		},
	}
}

func shadowVerb() *Verb {
	return &Verb{
		Name:    "shadow",
		Args:    "[:DISPLAY]",
		Summary: "share an existing X display (the only one below :10 when omitted)",
		Description: "Serves an X display that is already running, such as the desktop in front of you, as one window: clients " +
			"see it and, unless --readonly, control it. The display is never started or stopped by xroam.",
		Groups:  sessionGroups(),
		MaxArgs: 1,
		Run: func(ctx context.Context, inv *Invocation) error {
			if len(inv.Args) == 0 {
				n, err := x11.FindLocalDisplay(10)
				if err != nil {
					return err
				}
				sub := *inv
				sub.Args = []string{fmt.Sprintf(":%d", n)}
				return runServer(ctx, &sub, "shadow")
			}
			return runServer(ctx, inv, "shadow")
		},
	}
}

func runStart(ctx context.Context, inv *Invocation) error {
	return runServer(ctx, inv, "seamless")
}

// runServer starts a server in one of the session modes: seamless (start),
// desktop (start-desktop) or shadow.
func runServer(ctx context.Context, inv *Invocation, mode string) error {
	cfg := &inv.Config.Config
	if slices.Contains(cfg.VideoEncoders, "help") {
		return videoEncodersHelp(ctx, inv)
	}
	if slices.Contains(cfg.CSCModules, "help") {
		return cscModulesHelp(ctx, inv)
	}
	display := -1
	if len(inv.Args) == 1 {
		t, err := dial.ParseTarget(inv.Args[0])
		if err != nil || t.Display < 0 {
			return &UsageError{Msg: fmt.Sprintf("%q is not a display such as :7", inv.Args[0])}
		}
		display = t.Display
	}
	// Drop privileges first, so that the socket directory, the log and
	// the session are created by and for the target user.
	if err := dropPrivileges(cfg.UID, cfg.GID); err != nil {
		return err
	}
	p, err := paths(inv)
	if err != nil {
		return err
	}
	if cfg.Daemon && inv.Env.Getenv(session.ReadyFDEnv) == "" {
		logDir := cfg.LogDir
		if logDir == "" || logDir == "auto" {
			if logDir, err = p.ServerDir(); err != nil {
				return err
			}
		} else if d, ok := p.Expand(logDir); ok {
			logDir = d
		}
		res, err := session.Daemonize(ctx, inv.Verb.Name, inv.Env.Args, os.Environ(), logDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(inv.Env.Stdout, "xroam session :%d started (pid %d), log file %s\n", res.Display, res.PID, res.LogPath)
		// --displayfd names a descriptor of this process, not of the
		// daemon: report on it here.
		return session.ReportReady(func(string) string { return "" }, cfg.Displayfd, res.Display, res.LogPath)
	}
	// A foreground server's standard output and error may be a pipe whose
	// reader goes away (`xroam start --daemon=no | head`): a write there
	// must fail with EPIPE, not kill the server with SIGPIPE and orphan
	// its X server. Notify rather than Ignore: an ignored signal stays
	// ignored across exec, in Xvfb and in every command of the session,
	// while a caught one is reset to the default there.
	sigpipe := make(chan os.Signal, 1)
	signal.Notify(sigpipe, syscall.SIGPIPE)
	defer signal.Stop(sigpipe)
	// The NX options file is read again at each attach: pin its path
	// before --chdir moves the server.
	if cfg.OptionsFile != "" {
		if d, ok := p.Expand(cfg.OptionsFile); ok {
			if abs, err := filepath.Abs(d); err == nil {
				cfg.OptionsFile = abs
			}
		}
	}
	if cfg.Chdir != "" {
		if d, ok := p.Expand(cfg.Chdir); ok {
			if err := os.Chdir(d); err != nil {
				return fmt.Errorf("--chdir: %w", err)
			}
		}
	}
	logger, level := serverLogger(inv)
	host := pluginhost.New(pluginhost.Options{
		Dirs:     pluginhost.DefaultDirs(cfg.PluginDir, inv.Env.Getenv("HOME"), inv.Env.Build.PluginDir),
		Builtins: inv.Env.Build.Builtins,
		Logger:   logger,
	})
	defer host.Close()
	srv := session.NewServer(session.ServerOptions{
		Plugins:   host,
		Effective: inv.Config,
		Config:    cfg,
		Display:   display,
		Paths:     p,
		Version:   inv.Env.Build.Version,
		Getenv:    inv.Env.Getenv,
		Logger:    logger,
		LogLevel:  level,
		LogPath:   inv.Env.Getenv("XROAM_LOG_FILE"),
		Mode:      mode,
	})
	reported := false
	err = srv.Run(ctx, func(d int, logPath string) {
		reported = true
		displayfd := cfg.Displayfd
		if inv.Env.Getenv(session.ReadyFDEnv) != "" {
			displayfd = 0 // the starting process reports on it
		}
		if err := session.ReportReady(inv.Env.Getenv, displayfd, d, logPath); err != nil {
			fmt.Fprintf(inv.Env.Stderr, "xroam start: reporting readiness: %v\n", err)
		}
		if inv.Env.Getenv(session.ReadyFDEnv) == "" {
			fmt.Fprintf(inv.Env.Stdout, "xroam session :%d ready\n", d)
		}
	})
	if err != nil && !reported && inv.Env.Getenv(session.ReadyFDEnv) != "" {
		// The starting process shows the cause, which the log (on a
		// full disk, say) may not hold.
		fmt.Fprintf(inv.Env.Stderr, "xroam %s: %v\n", inv.Verb.Name, err)
		if rerr := session.ReportFailure(inv.Env.Getenv, err, srv.LogPath()); rerr != nil {
			fmt.Fprintf(inv.Env.Stderr, "xroam %s: reporting the failure: %v\n", inv.Verb.Name, rerr)
		}
		return shownError{err}
	}
	return err
}

// shownError is an error already written out: Main exits with its code
// without writing it again.
type shownError struct{ error }

func (e shownError) Unwrap() error { return e.error }

// dropPrivileges switches to the --uid/--gid user when running as root.
func dropPrivileges(uidSpec, gidSpec string) error {
	if uidSpec == "" && gidSpec == "" {
		return nil
	}
	uid, gid := -1, -1
	home := ""
	if uidSpec != "" {
		u, err := user.Lookup(uidSpec)
		if err != nil {
			u, err = user.LookupId(uidSpec)
		}
		if err != nil {
			return &UsageError{Msg: fmt.Sprintf("--uid=%s: no such user", uidSpec)}
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		home = u.HomeDir
	}
	if gidSpec != "" {
		g, err := user.LookupGroup(gidSpec)
		if err != nil {
			g, err = user.LookupGroupId(gidSpec)
		}
		if err != nil {
			return &UsageError{Msg: fmt.Sprintf("--gid=%s: no such group", gidSpec)}
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	// Already the target (the daemon re-run by a starter that dropped
	// privileges before forking): nothing to do.
	if (uid < 0 || uid == os.Geteuid()) && (gid < 0 || gid == os.Getegid()) {
		return nil
	}
	if os.Geteuid() != 0 {
		return &UsageError{Msg: "--uid and --gid need the server to be started as root"}
	}
	if gid >= 0 {
		if err := syscall.Setgroups([]int{gid}); err != nil {
			return fmt.Errorf("setgroups: %w", err)
		}
		if err := syscall.Setgid(gid); err != nil {
			return fmt.Errorf("setgid %d: %w", gid, err)
		}
	}
	if uid >= 0 {
		if err := syscall.Setuid(uid); err != nil {
			return fmt.Errorf("setuid %d: %w", uid, err)
		}
		os.Setenv("HOME", home)
	}
	return nil
}

func listVerb() *Verb {
	return &Verb{
		Name:    "list",
		Summary: "list the sessions of this host",
		Description: "Lists the session sockets found in the socket directories with their state: LIVE (the server answers), " +
			"DEAD (no server any more), UNKNOWN (refused while the server process lives) or INACCESSIBLE. " +
			"--clean removes the files of dead sessions.",
		Groups:  []string{"general"},
		Flags:   []LocalFlag{{Name: "clean", Bool: true, Help: "remove the sockets of dead sessions"}},
		MaxArgs: 0,
		Run: func(ctx context.Context, inv *Invocation) error {
			p, err := paths(inv)
			if err != nil {
				return err
			}
			ents, err := p.List(ctx, inv.Flags["clean"] == "yes")
			if err != nil {
				return err
			}
			out := inv.Env.Stdout
			if len(ents) == 0 {
				fmt.Fprintln(out, "No xroam sessions found.")
				return nil
			}
			fmt.Fprintln(out, "Found the following xroam sessions:")
			for _, e := range ents {
				suffix := ""
				if e.Cleaned {
					suffix = " (cleaned up)"
				}
				fmt.Fprintf(out, "\t%s session at :%d\t%s%s\n", e.State, e.Display, e.Socket, suffix)
			}
			return nil
		},
	}
}

func initenvVerb() *Verb {
	return &Verb{
		Name:        "initenv",
		Summary:     "create the socket directories",
		Description: "Creates the socket directory (--socket-dir, or each usable --socket-dirs entry) with mode 0700, as a session would, and prints them.",
		Groups:      []string{"general"},
		MaxArgs:     0,
		Run: func(_ context.Context, inv *Invocation) error {
			p, err := paths(inv)
			if err != nil {
				return err
			}
			for _, d := range p.Dirs() {
				if err := os.MkdirAll(d, 0o700); err != nil {
					fmt.Fprintf(inv.Env.Stderr, "xroam initenv: %s: %v\n", d, err)
					continue
				}
				fmt.Fprintln(inv.Env.Stdout, d)
			}
			return nil
		},
	}
}

// resolveTarget turns the optional connection string argument into a
// target; without one, the only live session of this host is used.
func resolveTarget(ctx context.Context, inv *Invocation, p sockdir.Paths) (dial.Target, error) {
	t, err := findTarget(ctx, inv, p)
	t.Opts = dialOptions(inv)
	return t, err
}

func findTarget(ctx context.Context, inv *Invocation, p sockdir.Paths) (dial.Target, error) {
	if len(inv.Args) > 0 {
		t, err := dial.ParseTarget(inv.Args[0])
		if err != nil {
			return t, &UsageError{Msg: err.Error()}
		}
		return t, nil
	}
	ents, err := p.List(ctx, false)
	if err != nil {
		return dial.Target{}, err
	}
	var live []sockdir.Entry
	for _, e := range ents {
		if e.State == sockdir.Live {
			live = append(live, e)
		}
	}
	switch len(live) {
	case 0:
		return dial.Target{}, fmt.Errorf("no live session found in %s", strings.Join(p.Dirs(), ", "))
	case 1:
		return dial.Target{Network: "unix", Address: live[0].Socket, Display: live[0].Display}, nil
	}
	var names []string
	for _, e := range live {
		names = append(names, fmt.Sprintf(":%d", e.Display))
	}
	return dial.Target{}, &UsageError{Msg: "several live sessions (" + strings.Join(names, ", ") + "): say which one"}
}

// request runs a command-line request against the chosen session.
func request(ctx context.Context, inv *Invocation, kind string) (*dial.RequestConn, dial.Target, error) {
	p, err := paths(inv)
	if err != nil {
		return nil, dial.Target{}, err
	}
	t, err := resolveTarget(ctx, inv, p)
	if err != nil {
		return nil, t, err
	}
	pw, err := password(inv)
	if err != nil {
		return nil, t, err
	}
	rc, err := dial.RequestWithPassword(ctx, p, t, kind, loginCaps(inv), pw)
	return rc, t, err
}

// loginCaps are the hello keys that say who logs in (--username).
func loginCaps(inv *Invocation) wire.Dict {
	if u := inv.Config.Config.Username; u != "" {
		return wire.Dict{"username": u}
	}
	return nil
}

// password is what the client answers a challenge with: the first
// --password-file, else $XROAM_PASSWORD; nil when neither is given.
func password(inv *Invocation) ([]byte, error) {
	if files := inv.Config.Config.PasswordFile; len(files) > 0 {
		return dial.ReadPasswordFile(files[0])
	}
	if v := inv.Env.Getenv("XROAM_PASSWORD"); v != "" {
		return []byte(v), nil
	}
	return nil, nil
}

func remoteVersion(ctx context.Context, inv *Invocation) error {
	rc, _, err := request(ctx, inv, "version")
	if err != nil {
		return err
	}
	defer rc.Close()
	v := rc.Server.Str("version", "")
	if v == "" {
		return errors.New("the server did not say its version")
	}
	if xv := rc.Server.Str("xroam.version", ""); xv != "" {
		_, err = fmt.Fprintf(inv.Env.Stdout, "xroam %s (xpra protocol %s)\n", xv, v)
		return err
	}
	_, err = fmt.Fprintln(inv.Env.Stdout, v)
	return err
}

func infoVerb() *Verb {
	return &Verb{
		Name:    "info",
		Args:    "[DISPLAY|URI]",
		Summary: "show the state of a session as key=value lines",
		Description: "Connects to the session (:N, a socket path or a URI as for attach; the only live one when omitted) " +
			"and prints its state, as xpra's info does: server, display, children, clients, windows, encodings.",
		Groups:  []string{"general"},
		MaxArgs: 1,
		Run: func(ctx context.Context, inv *Invocation) error {
			rc, _, err := request(ctx, inv, "info")
			if err != nil {
				return err
			}
			defer rc.Close()
			return xpra.FormatInfo(inv.Env.Stdout, rc.Server)
		},
	}
}

// endVerb builds stop and exit, which differ in the packet they send and
// what the server leaves running.
func endVerb(name string, packet wire.Packet, summary, desc string) *Verb {
	return &Verb{
		Name:        name,
		Args:        "[DISPLAY|URI]",
		Summary:     summary,
		Description: desc,
		Groups:      []string{"general"},
		MaxArgs:     1,
		Run: func(ctx context.Context, inv *Invocation) error {
			rc, t, err := request(ctx, inv, name)
			if err != nil {
				return err
			}
			defer rc.Close()
			if err := rc.W.WritePacket(packet); err != nil {
				return fmt.Errorf("sending %s: %w", packet.Type(), err)
			}
			reason, err := rc.WaitDisconnect(10 * time.Second)
			if err != nil {
				return err
			}
			if t.Network == "unix" {
				if !session.WaitGone(ctx, t.Address, 10*time.Second) {
					return fmt.Errorf("the server answered %q but its socket %s is still there after 10 s", reason, t.Address)
				}
			}
			where := t.String()
			if t.Display >= 0 {
				where = fmt.Sprintf(":%d", t.Display)
			}
			fmt.Fprintf(inv.Env.Stdout, "xroam at %s has exited (%s).\n", where, reason)
			return nil
		},
	}
}

func stopVerb() *Verb {
	return endVerb("stop", xpra.ShutdownServer{}.Packet(), "stop a session: its commands, its display and its sockets",
		"Asks the session's server to shut down: the commands started in the session are terminated, the X server ends "+
			"and the sockets are removed. Waits up to 10 s for the socket to disappear.")
}

func exitVerb() *Verb {
	return endVerb("exit", xpra.ExitServer{}.Packet(), "end the server but leave its display and applications running",
		"Asks the session's server to exit without stopping the session: the X server and its applications keep running, "+
			"and 'xroam start :N --use-display' takes them over again.")
}

func detachVerb() *Verb {
	return &Verb{
		Name:        "detach",
		Args:        "[DISPLAY|URI]",
		Summary:     "disconnect every client from a session, which keeps running",
		Description: "Disconnects all the clients attached to the session; the session and its applications keep running for the next attach.",
		Groups:      []string{"general"},
		MaxArgs:     1,
		Run: func(ctx context.Context, inv *Invocation) error {
			rc, _, err := request(ctx, inv, "detach")
			var de *dial.DisconnectedError
			if errors.As(err, &de) && de.Reason == xpra.ReasonDone {
				msg := "detached"
				if len(de.Extra) > 0 {
					msg = de.Extra[0]
				}
				fmt.Fprintln(inv.Env.Stdout, msg)
				return nil
			}
			if err != nil {
				return err
			}
			rc.Close()
			return errors.New("the server did not detach its clients")
		},
	}
}
