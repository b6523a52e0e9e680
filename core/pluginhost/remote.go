package pluginhost

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
	"github.com/xroam/xroam/sdk/transport"
)

// configurer is what the dispensed gRPC clients have in common.
type configurer interface {
	Configure(ctx context.Context, apiVersion int, cfg schema.Values) error
}

// remote is one plugin subprocess and its supervisor.
type remote struct {
	h       *Host
	path    string
	desc    plugin.Description
	version int
	cfg     schema.Values
	pin     string
	env     []string
	kick    chan struct{}
	// listener receives a transport plugin's connections.
	listener *Listener

	mu       sync.Mutex
	client   *goplugin.Client
	rpc      goplugin.ClientProtocol
	impl     any
	state    State
	lastErr  error
	restarts int
	pid      int
}

func (r *remote) name() string { return r.desc.Kind + " " + r.desc.Name }

// logWriter forwards go-plugin's log lines (and the plugin's stderr) to
// slog at debug level, but for the plugin's own warnings and errors
// (slog's level=WARN and level=ERROR): those say why something a user
// sees failed (a connection dropped by a transport), so they reach the
// server's log as they are.
type logWriter struct {
	r *remote
}

func (w logWriter) Write(p []byte) (int, error) {
	sc := bufio.NewScanner(strings.NewReader(string(p)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		w.r.h.log.Log(context.Background(), pluginLineLevel(line), "plugin", "plugin", w.r.name(), "line", line)
	}
	return len(p), nil
}

// maxPluginLine bounds what stderrLog holds of a line without its end.
const maxPluginLine = 64 << 10

// stderrLog cuts a plugin's stderr, which arrives in arbitrary pieces,
// into lines for logWriter.
type stderrLog struct {
	w   logWriter
	mu  sync.Mutex
	buf []byte
}

func (s *stderrLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	if i := bytes.LastIndexByte(s.buf, '\n'); i >= 0 {
		_, _ = s.w.Write(s.buf[:i+1])
		s.buf = append(s.buf[:0], s.buf[i+1:]...)
	}
	if len(s.buf) > maxPluginLine {
		_, _ = s.w.Write(s.buf)
		s.buf = s.buf[:0]
	}
	return len(p), nil
}

// pluginLineLevel is the level a plugin's stderr line is logged at. The
// line is the plugin's: at worst it raises its own line to a warning.
func pluginLineLevel(line string) slog.Level {
	// slog's text handler writes time=… level=… first; a later
	// "level=" is inside the message.
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "level="); ok {
			switch v {
			case "WARN":
				return slog.LevelWarn
			case "ERROR":
				return slog.LevelError
			}
			break
		}
	}
	return slog.LevelDebug
}

// start launches the plugin, dispenses its client and configures it.
func (r *remote) start(ctx context.Context) error {
	cmd := exec.Command(r.path)
	cmd.Env = r.env
	// A server killed outright (SIGKILL, OOM) cannot stop its plugins:
	// the kernel tells them instead.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	var listen func(context.Context, any) error
	if r.listener != nil {
		child, l, cleanup, err := r.prepareTransport()
		if err != nil {
			return fmt.Errorf("starting %s: %w", r.name(), err)
		}
		defer cleanup()
		listen = l
		cmd.ExtraFiles = []*os.File{child}
		cmd.Env = append(cmd.Env, transport.HandoffFDEnv+"=3")
	}
	var secure *goplugin.SecureConfig
	if r.pin != "" {
		sum, err := hex.DecodeString(r.pin)
		if err != nil || len(sum) != sha256.Size {
			return fmt.Errorf("%s: sha256 pin %q is not 64 hex digits", r.name(), r.pin)
		}
		secure = &goplugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	}
	c := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  plugin.Handshake,
		Plugins:          plugin.ClientPlugins(),
		Cmd:              cmd,
		SecureConfig:     secure,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		StartTimeout:     r.h.opts.StartTimeout,
		GRPCDialOptions:  plugin.DialOptions(),
		Stderr:           io.Discard,
		// What the plugin writes to os.Stderr once served (its slog
		// lines) comes over go-plugin's stdio stream, not the pipe
		// that Logger reads.
		SyncStderr: &stderrLog{w: logWriter{r: r}},
		Logger: hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Debug, Output: logWriter{r: r},
			DisableTime: true}),
	})
	fail := func(err error) error {
		c.Kill()
		return fmt.Errorf("starting %s (%s): %w", r.name(), r.path, err)
	}
	rpc, err := c.Client()
	if err != nil {
		return fail(err)
	}
	raw, err := rpc.Dispense(r.desc.Kind)
	if err != nil {
		return fail(err)
	}
	conf, ok := raw.(configurer)
	if !ok {
		return fail(fmt.Errorf("unexpected client type %T", raw))
	}
	cctx, cancel := context.WithTimeout(ctx, r.h.opts.StartTimeout)
	defer cancel()
	if err := conf.Configure(cctx, r.version, r.cfg); err != nil {
		return fail(err)
	}
	if listen != nil {
		if err := listen(cctx, raw); err != nil {
			return fail(err)
		}
	}
	pid := 0
	if rc := c.ReattachConfig(); rc != nil {
		pid = rc.Pid
	}
	r.mu.Lock()
	r.client, r.rpc, r.impl, r.state, r.lastErr, r.pid = c, rpc, raw, StateRunning, nil, pid
	r.mu.Unlock()
	r.h.log.Debug("plugin started", "plugin", r.name(), "path", r.path, "pid", pid, "api", r.version)
	return nil
}

// get returns the running plugin's client, or ErrUnavailable.
func (r *remote) get() (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != StateRunning || r.impl == nil {
		return nil, fmt.Errorf("%w: %s is %s: %v", ErrUnavailable, r.name(), r.state, r.lastErr)
	}
	return r.impl, nil
}

// failed notes a failed call: a transport error makes the supervisor
// check the plugin now rather than at its next tick.
func (r *remote) failed(err error) {
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unavailable && s.Code() != codes.Canceled {
		return
	}
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *remote) healthy() error {
	r.mu.Lock()
	c, rpc := r.client, r.rpc
	r.mu.Unlock()
	if c == nil || c.Exited() {
		return errors.New("plugin process exited")
	}
	if err := rpc.Ping(); err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	return nil
}

// supervise health-checks the plugin and restarts it after a failure.
func (r *remote) supervise() {
	defer r.h.wg.Done()
	ctx := r.h.ctx
	tick := time.NewTicker(r.h.opts.HealthInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-r.kick:
		}
		err := r.healthy()
		if err == nil {
			continue
		}
		r.mu.Lock()
		c, impl := r.client, r.impl
		r.state, r.lastErr, r.impl = StateRestarting, err, nil
		r.mu.Unlock()
		if c != nil {
			c.Kill()
		}
		release(impl)
		r.h.log.Warn("plugin down, restarting", "plugin", r.name(), "err", err)
		for attempt := 1; ; attempt++ {
			if r.h.opts.Backoff(ctx, attempt) != nil {
				return
			}
			serr := r.start(ctx)
			if serr == nil && ctx.Err() != nil {
				r.stop()
				return
			}
			if serr == nil {
				r.mu.Lock()
				r.restarts++
				r.mu.Unlock()
				r.h.log.Info("plugin restarted", "plugin", r.name(), "attempt", attempt)
				break
			}
			r.mu.Lock()
			r.lastErr = serr
			r.mu.Unlock()
			r.h.log.Warn("plugin restart failed", "plugin", r.name(), "attempt", attempt, "err", serr)
		}
	}
}

func (r *remote) stop() {
	r.mu.Lock()
	c, impl := r.client, r.impl
	r.state, r.impl, r.lastErr = StateStopped, nil, errors.New("stopped")
	r.mu.Unlock()
	if c != nil {
		c.Kill()
	}
	release(impl)
}

// release frees what a dispensed client holds, such as an encoder's
// shared-memory segments, which would otherwise outlive the server.
func release(impl any) {
	if c, ok := impl.(io.Closer); ok {
		_ = c.Close() // nothing to retry: the segments are gone or leaked
	}
}

func (r *remote) status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Status{Kind: r.desc.Kind, Name: r.desc.Name, Version: r.desc.Version, Path: r.path, State: r.state,
		Restarts: r.restarts, PID: r.pid, API: r.version}
	if r.lastErr != nil {
		s.Err = r.lastErr.Error()
	}
	return s
}

// remoteAuth is an auth plugin subprocess behind auth.Authenticator:
// any failure, the plugin being down included, is an error, which denies.
type remoteAuth struct{ r *remote }

func (a *remoteAuth) client() (auth.Authenticator, error) {
	v, err := a.r.get()
	if err != nil {
		return nil, err
	}
	return v.(auth.Authenticator), nil
}

func (a *remoteAuth) Prepare(ctx context.Context, req *auth.PrepareRequest) (*auth.PrepareResponse, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	resp, err := c.Prepare(ctx, req)
	if err != nil {
		a.r.failed(err)
		return nil, err
	}
	return resp, nil
}

func (a *remoteAuth) Authenticate(ctx context.Context, req *auth.Request) (*auth.Response, error) {
	c, err := a.client()
	if err != nil {
		return auth.Deny(err.Error()), err
	}
	resp, err := c.Authenticate(ctx, req)
	if err != nil {
		a.r.failed(err)
		return auth.Deny(err.Error()), err
	}
	return resp, nil
}

// remoteEncoder is an encoder plugin subprocess behind encoder.Encoder.
type remoteEncoder struct{ r *remote }

func (e *remoteEncoder) client() (encoder.Encoder, error) {
	v, err := e.r.get()
	if err != nil {
		return nil, err
	}
	return v.(encoder.Encoder), nil
}

func (e *remoteEncoder) Info(ctx context.Context) (*encoder.Info, error) {
	c, err := e.client()
	if err != nil {
		return nil, err
	}
	info, err := c.Info(ctx)
	if err != nil {
		e.r.failed(err)
	}
	return info, err
}

func (e *remoteEncoder) Encode(ctx context.Context, req *encoder.Request) (*encoder.Response, error) {
	c, err := e.client()
	if err != nil {
		return nil, err
	}
	resp, err := c.Encode(ctx, req)
	if err != nil {
		e.r.failed(err)
	}
	return resp, err
}
