package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/mmap"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/core/sockdir"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/xpra"
)

// ServerOptions configures a session server.
type ServerOptions struct {
	Config *config.Config
	// Display is the requested display number, -1 to let Xvfb pick one.
	Display int
	Paths   sockdir.Paths
	Version string
	Getenv  func(string) string
	Logger  *slog.Logger
	// LogPath is the daemon's current log file, renamed once the display
	// is known; empty when running in the foreground.
	LogPath string
	// Mode is "seamless" for start (desktop and shadow come later).
	Mode string
	// LogLevel, when set, is the level of Logger's handler, which the
	// debug control command changes.
	LogLevel *slog.LevelVar
	// Plugins runs the authentication modules and the encoders;
	// Effective holds their configuration blocks.
	Plugins   *pluginhost.Host
	Effective *config.Effective
}

// EndMode says how a server ends.
type EndMode int

// How a server ends.
const (
	// EndStop ends the session: commands, the X server, the sockets.
	EndStop EndMode = iota
	// EndExit ends only the server: the X server and its applications keep
	// running so that `start --use-display` can take them over.
	EndExit
	// EndUpgrade is EndExit for `xroam upgrade`: the clients are told
	// "server upgrade", so that they attach again to the new server.
	EndUpgrade
)

// Server is a running session.
type Server struct {
	opts    ServerOptions
	cfg     *config.Config
	log     *slog.Logger
	started time.Time

	display    int
	xvfb       *x11.Xvfb
	xvfbPID    int
	socketDir  string
	socketPath string
	sessionDir string
	logPath    string // see LogPath
	listeners  []net.Listener
	auth       map[string][]authModule // by socket type
	limit      *authLimiter            // throttles failed password checks
	children   *Children
	xauth      displayAuth   // who may open the display, see xauth.go
	bound      []boundSocket // the network sockets of the transport plugins

	// subs are the features, in the order their hooks run, and handlers
	// the packet types they serve (see subsystem.go). The fields below
	// are the same subsystems, for the calls one makes into another.
	subs     []subsystem
	handlers map[string]route
	control  *controlSubsystem
	nx       *nxSubsystem
	screen   *screenSubsystem
	win      *windowsSubsystem
	keyboard *keyboardSubsystem
	encs     *encodingsSubsystem
	clip     *clipboardSubsystem
	flow     *flowSubsystem
	mmap     *mmapSubsystem
	rfb      *rfbSubsystem

	mu       sync.Mutex
	name     string // the session name; the name control command changes it
	clients  map[*clientConn]struct{}
	lastSeen time.Time // when the last client left (or the server started)
	uiSeen   bool      // a UI client has connected at least once
	end      chan EndMode
	endOnce  sync.Once
	connWG   sync.WaitGroup
	preauth  preAuthGate // connections not logged in yet, see preauth.go
}

// NewServer prepares a server; Run starts it.
func NewServer(opts ServerOptions) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Mode == "" {
		opts.Mode = "seamless"
	}
	s := &Server{opts: opts, cfg: opts.Config, log: opts.Logger, name: opts.Config.SessionName, clients: map[*clientConn]struct{}{}, end: make(chan EndMode, 1)}
	s.subs = newSubsystems(s)
	return s
}

func (s *Server) sessionName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.name
}

// Display returns the display number being served (valid once Run has
// reported readiness).
func (s *Server) Display() int { return s.display }

// requestEnd asks Run to end the server; the first request wins.
func (s *Server) requestEnd(m EndMode) {
	s.endOnce.Do(func() { s.end <- m })
}

// Run starts the display, the socket and the commands, serves until the
// session ends, and cleans up. ready is called once clients can connect.
func (s *Server) Run(ctx context.Context, ready func(display int, logPath string)) error {
	s.started = time.Now()
	s.lastSeen = s.started
	s.logPath = s.opts.LogPath
	handlers, err := handlerTable(s.subs)
	if err != nil {
		return err
	}
	s.handlers = handlers
	if err := s.setupAuth(ctx); err != nil {
		return err
	}
	if err := s.checkEncryption(); err != nil {
		return err
	}
	if err := s.checkNetwork(); err != nil {
		return err
	}
	if err := s.rfb.setup(ctx); err != nil {
		return err
	}
	s.encs.setup(ctx)
	if _, err := s.flow.serverBandwidth(); err != nil {
		return err
	}
	if _, _, err := mmap.ParseOption(s.cfg.Mmap); err != nil {
		return err
	}
	dir, err := s.opts.Paths.ServerDir()
	if err != nil {
		return err
	}
	s.socketDir = dir
	if err := s.nx.prepare(); err != nil {
		return err
	}
	if err := s.setupDisplay(ctx); err != nil {
		return err
	}
	if err := s.nx.setupDisplay(ctx); err != nil {
		s.abortDisplay(ctx)
		return err
	}
	s.log = s.log.With("display", fmt.Sprintf(":%d", s.display))
	if s.logPath != "" {
		final := s.logFileName()
		if err := RenameLog(s.logPath, final); err != nil {
			s.log.Warn("keeping the log under its first name", "err", err)
		} else {
			s.logPath = final
		}
	}
	if err := s.setupSession(); err != nil {
		// A taken-over display keeps the xvfb.pid that stop relies on.
		s.cleanupFiles(s.cfg.UseDisplay)
		s.abortDisplay(ctx)
		return err
	}
	if err := s.listen(ctx); err != nil {
		s.cleanupFiles(false)
		s.abortDisplay(ctx)
		return err
	}
	s.win.start(ctx)
	s.rfb.start(ctx)
	s.startCommands(ctx)
	s.log.Info("session ready", "socket", s.socketPath, "pid", os.Getpid())
	if ready != nil {
		ready(s.display, s.logPath)
	}
	for _, l := range s.listeners {
		go s.acceptLoop(ctx, l)
	}
	withdraw := s.announce()
	mode := s.wait(ctx)
	withdraw()
	s.shutdown(mode)
	return nil
}

// LogPath is the daemon's log file under its current name ("" in the
// foreground): the first name until Run has renamed it. Call it only once
// Run has returned.
func (s *Server) LogPath() string { return s.logPath }

func (s *Server) logFileName() string {
	dir := s.cfg.LogDir
	if dir == "" || dir == "auto" {
		dir = s.socketDir
	} else if d, ok := s.opts.Paths.Expand(dir); ok {
		dir = d
	}
	name := strings.ReplaceAll(s.cfg.LogFile, "$DISPLAY", fmt.Sprintf(":%d", s.display))
	name = strings.ReplaceAll(name, "${DISPLAY}", fmt.Sprintf(":%d", s.display))
	return filepath.Join(dir, name)
}

// setupDisplay starts Xvfb, or with --use-display takes over the display
// that is already there.
func (s *Server) setupDisplay(ctx context.Context) error {
	if s.opts.Mode == "shadow" {
		// The display is someone else's: watch it, never start or stop it.
		s.display = s.opts.Display
		if sock, err := s.opts.Paths.FindSocket(s.display); err == nil {
			if sockdir.Probe(ctx, sock, sockdir.ServerPID(filepath.Dir(sock), s.display)) == sockdir.Live {
				return fmt.Errorf("display :%d already has a session (%s): attach to it instead of shadowing it", s.display, sock)
			}
		}
		info, err := x11.Probe(ctx, fmt.Sprintf(":%d", s.display))
		if err != nil {
			return fmt.Errorf("shadow: %w", err)
		}
		// Without DAMAGE the screen is compared periodically instead.
		return x11.RequireExtensions(info, "XTEST")
	}
	if s.cfg.UseDisplay {
		if s.opts.Display < 0 {
			return errors.New("--use-display needs the display to take over, e.g. xroam start :7 --use-display")
		}
		s.display = s.opts.Display
		// The X server is the previous server's: take it over only when
		// no live server owns the session, and remember its pid so that
		// stop can end it.
		if sock, err := s.opts.Paths.FindSocket(s.display); err == nil {
			if sockdir.Probe(ctx, sock, sockdir.ServerPID(filepath.Dir(sock), s.display)) == sockdir.Live {
				return fmt.Errorf("display :%d is still served by a live server (%s); stop or exit it first", s.display, sock)
			}
		}
		if err := s.adoptDisplayAuth(ctx); err != nil {
			return err
		}
		info, err := x11.Probe(ctx, fmt.Sprintf(":%d", s.display))
		if err != nil {
			s.withdrawDisplayAuth()
			return fmt.Errorf("--use-display: %w", err)
		}
		if err := x11.RequireExtensions(info, "Composite", "DAMAGE", "RANDR", "XTEST"); err != nil {
			s.withdrawDisplayAuth()
			return err
		}
		if b, err := os.ReadFile(filepath.Join(sockdir.SessionDir(s.socketDir, s.display), "xvfb.pid")); err == nil {
			s.xvfbPID, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		s.log.Info("took over the existing display", "display", s.display, "xvfb-pid", s.xvfbPID)
		return nil
	}
	if s.opts.Display >= 0 {
		if sock, err := s.opts.Paths.FindSocket(s.opts.Display); err == nil {
			if sockdir.Probe(ctx, sock, sockdir.ServerPID(filepath.Dir(sock), s.opts.Display)) == sockdir.Live {
				return fmt.Errorf("a session is already running on display :%d (%s)", s.opts.Display, sock)
			}
		}
	}
	command := s.nx.xvfbCommand()
	cookie, err := s.prepareDisplayAuth(command)
	if err != nil {
		return err
	}
	xv, err := x11.StartXvfb(ctx, x11.XvfbConfig{
		Command: command,
		Display: s.opts.Display,
		LogPath: "",
		BaseEnv: withoutVars(os.Environ(), append(s.secretEnv(), ReadyFDEnv, ArgsFDEnv, "XROAM_LOG_FILE")),
		Logger:  s.log,
		Cookie:  cookie,
	})
	if err != nil {
		return fmt.Errorf("starting the X server: %w", err)
	}
	s.xvfb = xv
	s.display = xv.Display()
	s.xvfbPID = xv.Pid()
	if cookie != nil {
		if err := s.publishDisplayAuth(ctx, cookie); err != nil {
			s.abortDisplay(ctx)
			return err
		}
	}
	info, err := x11.Probe(ctx, fmt.Sprintf(":%d", s.display))
	if err == nil {
		err = x11.RequireExtensions(info, "Composite", "DAMAGE", "RANDR", "XTEST")
	}
	if err != nil {
		s.abortDisplay(ctx)
		return fmt.Errorf("the X server started by %q is not usable (change --xvfb): %w", s.cfg.Xvfb, err)
	}
	return nil
}

// abortDisplay ends the X server of a start that failed, and the cookie
// it published. A taken-over display (--use-display) is left as it was.
func (s *Server) abortDisplay(ctx context.Context) {
	if s.xvfb != nil {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = s.xvfb.Stop(stopCtx)
		s.withdrawDisplayAuth()
		if s.xauth.entry.Data != nil {
			os.Remove(filepath.Join(sockdir.SessionDir(s.socketDir, s.display), authFileName))
		}
		// Also when publishing the cookie failed (a full disk) and left
		// the directory empty; os.Remove takes only an empty one.
		os.Remove(sockdir.SessionDir(s.socketDir, s.display))
	}
}

// setupSession writes the session directory: the pids that list, stop and
// use-display rely on.
func (s *Server) setupSession() error {
	s.sessionDir = sockdir.SessionDir(s.socketDir, s.display)
	if err := os.MkdirAll(s.sessionDir, 0o700); err != nil {
		return fmt.Errorf("session directory: %w", err)
	}
	files := map[string]string{
		"server.pid": strconv.Itoa(os.Getpid()),
		"display":    fmt.Sprintf(":%d", s.display),
	}
	if s.xvfbPID > 0 {
		files["xvfb.pid"] = strconv.Itoa(s.xvfbPID)
	}
	for name, v := range files {
		if err := os.WriteFile(filepath.Join(s.sessionDir, name), []byte(v+"\n"), 0o600); err != nil {
			return fmt.Errorf("session directory: %w", err)
		}
	}
	if s.cfg.Pidfile != "" {
		p, _ := s.opts.Paths.Expand(s.cfg.Pidfile)
		if err := os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("--pidfile: %w", err)
		}
	}
	return nil
}

// listen creates the unix socket and has the transport plugins bind the
// network addresses.
func (s *Server) listen(ctx context.Context) error {
	perm, err := strconv.ParseUint(s.cfg.SocketPermissions, 8, 32)
	if err != nil || perm > 0o777 {
		return fmt.Errorf("--socket-permissions=%q is not an octal mode such as 600", s.cfg.SocketPermissions)
	}
	if !slicesContainsOnly(s.cfg.Bind, "none") {
		s.socketPath = filepath.Join(s.socketDir, s.opts.Paths.SocketName(s.display))
		// A dead session's socket may be left over: it was checked above
		// that no live server answers on it.
		_ = os.Remove(s.socketPath)
		l, err := net.Listen("unix", s.socketPath)
		if err != nil {
			return fmt.Errorf("listening on %s: %w", s.socketPath, err)
		}
		if err := os.Chmod(s.socketPath, os.FileMode(perm)); err != nil {
			l.Close()
			return fmt.Errorf("socket permissions: %w", err)
		}
		s.listeners = append(s.listeners, l)
	}
	if err := s.listenTransports(ctx); err != nil {
		s.closeListeners()
		return err
	}
	if err := s.rfb.listen(); err != nil {
		s.closeListeners()
		return err
	}
	return nil
}

func slicesContainsOnly(l []string, v string) bool {
	return len(l) == 1 && l[0] == v
}

func isLoopback(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) closeListeners() {
	for _, l := range s.listeners {
		l.Close()
	}
	s.listeners = nil
}

// childEnv is the environment of the session's commands.
func (s *Server) childEnv() []string {
	skip := map[string]bool{"DISPLAY": true, ReadyFDEnv: true, ArgsFDEnv: true, "XROAM_LOG_FILE": true, "WAYLAND_DISPLAY": true, "XAUTHORITY": s.xauth.file != ""}
	var env []string
	for _, kv := range withoutVars(os.Environ(), s.secretEnv()) {
		k, _, _ := strings.Cut(kv, "=")
		if !skip[k] {
			env = append(env, kv)
		}
	}
	env = append(env, fmt.Sprintf("DISPLAY=:%d", s.display), "XROAM_SERVER_SOCKET="+s.socketPath)
	if s.xauth.file != "" {
		env = append(env, "XAUTHORITY="+s.xauth.file)
	}
	if s.cfg.SessionName != "" {
		env = append(env, "XROAM_SESSION_NAME="+s.cfg.SessionName)
	}
	return append(env, s.cfg.Env...)
}

func (s *Server) startCommands(ctx context.Context) {
	dir := ""
	if s.cfg.Chdir != "" {
		dir, _ = s.opts.Paths.Expand(s.cfg.Chdir)
	}
	var wrapper []string
	if s.cfg.ExecWrapper != "" {
		wrapper = strings.Fields(s.cfg.ExecWrapper)
	}
	s.children = &Children{Env: s.childEnv(), Dir: dir, ExecWrapper: wrapper, Logger: s.log}
	if s.cfg.ExitWithChildren {
		s.children.OnLastChildExit = func() {
			s.log.Info("the last child command exited: stopping (--exit-with-children)")
			s.requestEnd(EndStop)
		}
	}
	started := s.startList(s.cfg.Start, s.cfg.StartChild, "start")
	later := len(s.cfg.StartChildAfterConnect) + len(s.cfg.StartChildOnConnect) + len(s.cfg.StartChildOnLastClientExit)
	if s.cfg.ExitWithChildren && started == 0 && later == 0 {
		s.log.Warn("--exit-with-children without any --start-child command that started: stopping")
		s.requestEnd(EndStop)
	}
}

// startList runs a list of commands and a list of child commands (which
// count for --exit-with-children); it returns how many children started.
func (s *Server) startList(cmds, childCmds []string, when string) int {
	for _, c := range cmds {
		if _, err := s.children.Start(c, false); err != nil {
			s.log.Error("command failed to start", "when", when, "err", err)
		}
	}
	started := 0
	for _, c := range childCmds {
		if _, err := s.children.Start(c, true); err != nil {
			s.log.Error("child command failed to start", "when", when, "err", err)
			continue
		}
		started++
	}
	return started
}

// wait blocks until something ends the session and says how.
func (s *Server) wait(ctx context.Context) EndMode {
	var xdone <-chan struct{}
	if s.xvfb != nil {
		xdone = s.xvfb.Done()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case m := <-s.end:
			return m
		case <-ctx.Done():
			s.log.Info("signalled: stopping")
			return EndStop
		case <-xdone:
			s.log.Error("the X server has exited: stopping")
			xdone = nil
			s.xvfb = nil
			return EndStop
		case <-tick.C:
			s.nx.checkIdle()
			if s.cfg.UseDisplay && s.xvfbPID > 0 && !sockdir.ProcessAlive(s.xvfbPID) {
				s.log.Error("the X server has exited: stopping")
				return EndStop
			}
			if t := s.cfg.ServerIdleTimeout; t > 0 {
				s.mu.Lock()
				idle := len(s.clients) == 0 && time.Since(s.lastSeen) > time.Duration(t)*time.Second
				s.mu.Unlock()
				if idle {
					s.log.Info("no client for --server-idle-timeout: stopping", "seconds", t)
					return EndStop
				}
			}
		}
	}
}

// shutdown ends the session as mode says, removing the files it created.
func (s *Server) shutdown(mode EndMode) {
	s.closeListeners()
	s.rfb.stop()
	reason := xpra.ReasonServerShutdown
	switch mode {
	case EndExit:
		reason = xpra.ReasonServerExit
	case EndUpgrade:
		reason, mode = xpra.ReasonServerUpgrade, EndExit
	}
	s.disconnectAll(reason, nil)
	waitCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	s.waitConns(waitCtx)
	cancel()
	if mode == EndStop {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		s.children.Terminate(ctx)
		cancel()
		ctx, cancel = context.WithTimeout(context.Background(), 4*time.Second)
		if s.xvfb != nil {
			if err := s.xvfb.Stop(ctx); err != nil {
				s.log.Warn("stopping the X server", "err", err)
			}
		} else if s.xvfbPID > 0 {
			// A taken-over X server is not our child: signal it by pid.
			_ = syscall.Kill(s.xvfbPID, syscall.SIGTERM)
			for sockdir.ProcessAlive(s.xvfbPID) && ctx.Err() == nil {
				time.Sleep(50 * time.Millisecond)
			}
			if sockdir.ProcessAlive(s.xvfbPID) {
				_ = syscall.Kill(s.xvfbPID, syscall.SIGKILL)
			}
		}
		cancel()
		// After exit or upgrade the entries stay: the display lives on.
		s.withdrawDisplayAuth()
		s.removeUserAuthFiles()
	} else {
		if s.cfg.TerminateChildren {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
			s.children.Terminate(ctx)
			cancel()
		} else {
			s.children.Release()
		}
		if s.xvfb != nil {
			s.xvfb.Release()
		}
		s.log.Info("exiting; the X server and its applications keep running", "xvfb-pid", s.xvfbPID)
	}
	s.cleanupFiles(mode == EndExit)
	s.log.Info("server ended", "mode", map[EndMode]string{EndStop: "stop", EndExit: "exit"}[mode])
}

// cleanupFiles removes the socket and the session directory. After exit,
// the session directory's xvfb.pid is kept for `start --use-display`.
func (s *Server) cleanupFiles(keepXvfbPID bool) {
	if s.socketPath != "" {
		os.Remove(s.socketPath)
	}
	if s.cfg.Pidfile != "" {
		if p, ok := s.opts.Paths.Expand(s.cfg.Pidfile); ok {
			os.Remove(p)
		}
	}
	if s.sessionDir == "" {
		return
	}
	if keepXvfbPID {
		os.Remove(filepath.Join(s.sessionDir, "server.pid"))
		return
	}
	os.RemoveAll(s.sessionDir)
}
