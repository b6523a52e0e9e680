package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/sdk"
	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// ErrNotFound is returned when no binary and no built-in has the name.
var ErrNotFound = errors.New("plugin not found")

// ErrUnavailable is returned by calls to a plugin that is down.
var ErrUnavailable = errors.New("plugin unavailable")

// Backoff waits before restart attempt number attempt (1, 2, ...), or
// returns ctx's error when the host closes.
type Backoff func(ctx context.Context, attempt int) error

// ExponentialBackoff waits min, 2*min, ... up to max.
func ExponentialBackoff(minDelay, maxDelay time.Duration) Backoff {
	return func(ctx context.Context, attempt int) error {
		d := minDelay
		for i := 1; i < attempt && d < maxDelay; i++ {
			d *= 2
		}
		d = min(d, maxDelay)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Options configure a Host.
type Options struct {
	// Dirs are searched for binaries, first match wins (see DefaultDirs).
	Dirs []string
	// Builtins are plugins run in-process: the caller's catalog (xroam's
	// is plugins/builtin, which cmd/xroam hands over through core/cli).
	Builtins []plugin.Servable
	// PreferExternal picks a binary over a built-in of the same name.
	PreferExternal bool
	Logger         *slog.Logger
	// Env is the plugins' environment before go-plugin's own variables
	// and the variables named by PassEnv attributes; nil means MinimalEnv().
	Env []string
	// Backoff paces restarts; nil means ExponentialBackoff(250ms, 30s).
	Backoff Backoff
	// HealthInterval is the time between health checks (default 5s).
	HealthInterval time.Duration
	// StartTimeout bounds a plugin's start (default 1 minute: a loaded
	// machine is slow to start a binary).
	StartTimeout time.Duration
	// APIVersions the host speaks; nil means sdk.APIVersions().
	APIVersions []int
}

// MinimalEnv is the environment plugins get by default: a PATH, and the
// temporary directory go-plugin puts its socket in.
func MinimalEnv() []string {
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	if t, ok := os.LookupEnv("TMPDIR"); ok {
		env = append(env, "TMPDIR="+t)
	}
	return env
}

// Host starts and supervises plugins. Close stops them all.
type Host struct {
	opts   Options
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	remotes []*remote
	inproc  []Status
	authEnv []string // see AuthEnv
}

// New returns a host. Nothing starts until a plugin is asked for.
func New(opts Options) *Host {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Env == nil {
		opts.Env = MinimalEnv()
	}
	if opts.Backoff == nil {
		opts.Backoff = ExponentialBackoff(250*time.Millisecond, 30*time.Second)
	}
	if opts.HealthInterval <= 0 {
		opts.HealthInterval = 5 * time.Second
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = time.Minute
	}
	if len(opts.APIVersions) == 0 {
		opts.APIVersions = sdk.APIVersions()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Host{opts: opts, log: opts.Logger, ctx: ctx, cancel: cancel}
}

// Spec says which plugin to start and how to configure it.
type Spec struct {
	Kind, Name string
	// Block is the plugin's HCL block, or nil.
	Block *config.PluginBlock
	// Options are text options from an --auth style spec, over Block.
	Options map[string][]string

	// listener receives a transport's connections (see Host.Transport).
	listener *Listener
}

// AuthSpecFor returns the Spec for an --auth style string, with the auth
// block of the same name from the configuration (which may be nil).
func AuthSpecFor(s string, eff *config.Effective) (Spec, error) {
	as, err := ParseAuthSpec(s)
	if err != nil {
		return Spec{}, err
	}
	sp := Spec{Kind: plugin.KindAuth, Name: as.Module, Options: as.Options}
	if eff != nil {
		sp.Block = eff.Plugin(plugin.KindAuth, as.Module)
	}
	return sp, nil
}

func (h *Host) builtin(kind, name string) plugin.Servable {
	for _, b := range h.opts.Builtins {
		if d := b.Describe(); d.Kind == kind && d.Name == name {
			return b
		}
	}
	return nil
}

func (h *Host) find(kind, name string) (string, error) {
	found, err := Discover(h.opts.Dirs)
	for _, f := range found {
		if f.Kind == kind && f.Name == name {
			return f.Path, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("%w: %s %q (%w)", ErrNotFound, kind, name, err)
	}
	return "", fmt.Errorf("%w: no %s in %v", ErrNotFound, BinaryName(kind, name), h.opts.Dirs)
}

// Available reports whether the plugin kind/name can be opened without
// starting it: a built-in or a binary in the plugin directories, not
// disabled by its configuration block (which may be nil). The error says
// why not.
func (h *Host) Available(kind, name string, blk *config.PluginBlock) error {
	if off, at := Disabled(blk); off {
		return fmt.Errorf("%s %q is disabled (enabled = false at %s)", kind, name, at)
	}
	if h.builtin(kind, name) != nil {
		return nil
	}
	_, err := h.find(kind, name)
	return err
}

// Auth starts (or builds in-process) the auth module of the spec and
// returns it configured. Errors from a call to an external module that is
// down mean deny.
func (h *Host) Auth(ctx context.Context, sp Spec) (auth.Authenticator, error) {
	sp.Kind = plugin.KindAuth
	v, err := h.open(ctx, sp)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case auth.Authenticator:
		return x, nil
	case *remote:
		return &remoteAuth{r: x}, nil
	}
	return nil, fmt.Errorf("auth %q is not an authenticator", sp.Name)
}

// Encoder starts (or builds in-process) the encoder of the spec.
func (h *Host) Encoder(ctx context.Context, sp Spec) (encoder.Encoder, error) {
	sp.Kind = plugin.KindEncoder
	v, err := h.open(ctx, sp)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case encoder.Encoder:
		return x, nil
	case *remote:
		return &remoteEncoder{r: x}, nil
	}
	return nil, fmt.Errorf("encoder %q is not an encoder", sp.Name)
}

func (h *Host) open(ctx context.Context, sp Spec) (any, error) {
	if h.ctx.Err() != nil {
		return nil, errors.New("plugin host closed")
	}
	if off, at := Disabled(sp.Block); off {
		return nil, fmt.Errorf("%s %q is disabled (enabled = false at %s)", sp.Kind, sp.Name, at)
	}
	b := h.builtin(sp.Kind, sp.Name)
	path, ferr := h.find(sp.Kind, sp.Name)
	// A transport binary parses network framing out of the core's
	// process, so it wins over the plain built-in whenever installed.
	preferExternal := h.opts.PreferExternal || sp.Kind == plugin.KindTransport
	if b != nil && (ferr != nil || !preferExternal) {
		return h.openBuiltin(ctx, sp, b)
	}
	if ferr != nil {
		return nil, ferr
	}
	d, err := Describe(ctx, path, h.opts.Env)
	if err != nil {
		return nil, err
	}
	if d.Kind != sp.Kind || d.Name != sp.Name {
		return nil, fmt.Errorf("%s describes itself as %s %q", path, d.Kind, d.Name)
	}
	ver, err := Negotiate(h.opts.APIVersions, d.APIVersions)
	if err != nil {
		return nil, fmt.Errorf("%s %q (%s): %w", sp.Kind, sp.Name, path, err)
	}
	vals, err := PluginConfig(sp.Kind, sp.Name, sp.Block, sp.Options, d.Schema)
	if err != nil {
		return nil, err
	}
	h.noteAuthEnv(sp.Kind, d.Schema, vals)
	pin, err := PinnedSHA256(sp.Block)
	if err != nil {
		return nil, err
	}
	r := &remote{h: h, path: path, desc: *d, version: ver, cfg: vals, pin: pin,
		env: append(slices.Clone(h.opts.Env), passEnv(d.Schema, vals)...), kick: make(chan struct{}, 1),
		listener: sp.listener}
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.remotes = append(h.remotes, r)
	h.mu.Unlock()
	h.wg.Add(1)
	go r.supervise()
	return r, nil
}

// passEnv copies the server's variables that PassEnv attributes name.
func passEnv(s schema.Schema, vals schema.Values) []string {
	var env []string
	for _, name := range passEnvNames(s, vals) {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return env
}

// passEnvNames lists the variables that PassEnv attributes name.
func passEnvNames(s schema.Schema, vals schema.Values) []string {
	var names []string
	for _, a := range s.Attrs {
		if name := vals.String(a.Name); a.PassEnv && name != "" {
			names = append(names, name)
		}
	}
	return names
}

// noteAuthEnv records the variables an auth module reads, for AuthEnv.
func (h *Host) noteAuthEnv(kind string, s schema.Schema, vals schema.Values) {
	if kind != plugin.KindAuth {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range passEnvNames(s, vals) {
		if !slices.Contains(h.authEnv, n) {
			h.authEnv = append(h.authEnv, n)
		}
	}
}

// AuthEnv names the server's environment variables that the auth modules
// opened so far read (their PassEnv attributes, such as the env module's
// XROAM_PASSWORD): they hold secrets, which the session's commands and X
// server must not inherit.
func (h *Host) AuthEnv() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.authEnv)
}

func (h *Host) openBuiltin(ctx context.Context, sp Spec, b plugin.Servable) (any, error) {
	d := b.Describe()
	if _, err := Negotiate(h.opts.APIVersions, d.APIVersions); err != nil {
		return nil, fmt.Errorf("built-in %s %q: %w", d.Kind, d.Name, err)
	}
	vals, err := PluginConfig(sp.Kind, sp.Name, sp.Block, sp.Options, d.Schema)
	if err != nil {
		return nil, err
	}
	h.noteAuthEnv(d.Kind, d.Schema, vals)
	var v any
	switch p := b.(type) {
	case plugin.Auth:
		v, err = p.New(ctx, vals)
	case plugin.Encoder:
		v, err = p.New(ctx, vals)
	case plugin.Clipboard:
		v, err = p.New(ctx, vals)
	case plugin.Transport:
		v, err = p.New(ctx, vals)
	default:
		err = fmt.Errorf("unknown built-in type %T", b)
	}
	if err != nil {
		return nil, fmt.Errorf("built-in %s %q: %w", d.Kind, d.Name, err)
	}
	h.mu.Lock()
	h.inproc = append(h.inproc, Status{Kind: d.Kind, Name: d.Name, Version: d.Version, Builtin: true, State: StateRunning})
	h.mu.Unlock()
	return v, nil
}

// State is a plugin's state.
type State string

// The states a plugin can be in.
const (
	StateRunning    State = "running"
	StateRestarting State = "restarting"
	StateFailed     State = "failed"
	StateStopped    State = "stopped"
)

// Status describes one started plugin.
type Status struct {
	Kind, Name, Version string
	Path                string
	Builtin             bool
	State               State
	// Err says why a plugin is not running.
	Err      string
	Restarts int
	PID      int
	API      int
}

// Status lists the plugins started so far.
func (h *Host) Status() []Status {
	h.mu.Lock()
	out := slices.Clone(h.inproc)
	rs := slices.Clone(h.remotes)
	h.mu.Unlock()
	for _, r := range rs {
		out = append(out, r.status())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kind+out[i].Name < out[j].Kind+out[j].Name })
	return out
}

// Close stops every plugin and waits for the supervisors.
func (h *Host) Close() error {
	h.cancel()
	h.mu.Lock()
	rs := slices.Clone(h.remotes)
	h.mu.Unlock()
	for _, r := range rs {
		r.stop()
	}
	h.wg.Wait()
	return nil
}
