package session

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/pipeline"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
)

// encodingOrder is the order xpra's picture encodings are advertised in,
// whether or not a plugin serves them: an encoding no plugin serves is
// listed as unavailable. rgb32 is built into the pipeline.
func encodingOrder() []string {
	return []string{"png", "jpeg", "png/P", "png/L", "webp", "h264", "vp8", "vp9"}
}

// pluginEncodings are the encodings encoder plugins may serve, in the
// order they are advertised: encodingOrder, then those of the table that
// it lacks, in name order. The rgb names stay the pipeline's.
func pluginEncodings(table *pluginhost.EncoderTable) []string {
	out := encodingOrder()
	for _, name := range table.Encodings() {
		if !isRGB(name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// videoEncoderAllowed says whether --video-encoders (the list) lets the
// session use a video encoder plugin: "all" allows every one, "none"
// (with whatever else) none.
func videoEncoderAllowed(list []string, plugin string) bool {
	if len(list) == 0 || slices.Contains(list, "none") {
		return len(list) == 0
	}
	return slices.Contains(list, "all") || slices.Contains(list, plugin)
}

// encoderOpenTimeout bounds the start of an encoder plugin.
const encoderOpenTimeout = 30 * time.Second

// encoderSet is the session's encoders: which encodings it can send, the
// plugin that serves each (as the plugin host's encoder table says) and
// the plugin encoders, started on first use and shared by every client.
// A plugin that fails to start is marked unavailable with its reason and
// no longer advertised; one that crashes later is restarted by the plugin
// host while the pipelines send rgb32.
type encoderSet struct {
	host    *pluginhost.Host
	eff     *config.Effective
	allowed []string // --encodings, nil for all
	csc     []string // --csc-modules for the video plugins, nil for their own choice
	log     *slog.Logger

	names  []string          // the plugin encodings, see pluginEncodings
	serves map[string]string // encoding -> plugin, for the usable ones

	mu      sync.Mutex
	unavail map[string]string // encoding -> why not
	open    map[string]encoder.Encoder
}

// newEncoderSet asks the plugin host (which starts nothing) which plugin
// serves each encoding.
func newEncoderSet(ctx context.Context, host *pluginhost.Host, eff *config.Effective, cfg *config.Config, log *slog.Logger) *encoderSet {
	es := &encoderSet{host: host, eff: eff, log: log, serves: map[string]string{}, unavail: map[string]string{}, open: map[string]encoder.Encoder{}}
	if cfg != nil && len(cfg.Encodings) > 0 && !slices.Contains(cfg.Encodings, "all") {
		es.allowed = cfg.Encodings
	}
	if cfg != nil && len(cfg.CSCModules) > 0 && !slices.Contains(cfg.CSCModules, "all") {
		es.csc = cfg.CSCModules
	}
	var table *pluginhost.EncoderTable
	if host != nil {
		table = host.EncoderTable(ctx, eff)
	}
	es.names = pluginEncodings(table)
	for _, name := range es.names {
		pl, err := table.Plugin(name)
		switch {
		case es.allowed != nil && !slices.Contains(es.allowed, name):
			es.unavail[name] = "not in --encodings"
		case host == nil:
			es.unavail[name] = "no plugin host"
		case err != nil:
			es.unavail[name] = err.Error()
		case pipeline.IsVideo(name) && cfg != nil && !videoEncoderAllowed(cfg.VideoEncoders, pl):
			es.unavail[name] = "not in --video-encoders"
		case pipeline.IsVideo(name) && slices.Contains(es.csc, "none"):
			es.unavail[name] = "--csc-modules=none: video encoders need a colourspace converter"
		default:
			es.serves[name] = pl
		}
	}
	for name, why := range es.unavail {
		log.Debug("encoding unavailable", "encoding", name, "reason", why)
	}
	return es
}

// block is the encoder plugin's configuration block; for a video
// encoder, --csc-modules (when it is not "all") sets its csc attribute.
func (es *encoderSet) block(name string) *config.PluginBlock {
	pl := es.serves[name]
	var b *config.PluginBlock
	if es.eff != nil {
		b = es.eff.Plugin(plugin.KindEncoder, pl)
	}
	if es.csc == nil || !pipeline.IsVideo(name) {
		return b
	}
	out := config.PluginBlock{Kind: plugin.KindEncoder, Name: pl, Attrs: map[string]config.PluginAttr{}}
	if b != nil {
		out.Origin = b.Origin
		maps.Copy(out.Attrs, b.Attrs)
	}
	vals := make([]cty.Value, len(es.csc))
	for i, m := range es.csc {
		vals[i] = cty.StringVal(m)
	}
	origin := config.Origin{Kind: config.FromFlag, Name: "--csc-modules"}
	if es.eff != nil {
		origin = es.eff.Origin("csc-modules")
	}
	out.Attrs["csc"] = config.PluginAttr{Value: cty.ListVal(vals), Origin: origin}
	return &out
}

// core is the xpra encoding names the session can send, rgb32 first.
func (es *encoderSet) core() []string {
	out := []string{pipeline.RGB32}
	if es == nil {
		return out
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	for _, name := range es.names {
		if _, bad := es.unavail[name]; !bad {
			out = append(out, name)
		}
	}
	return out
}

// advertised is core plus xpra's meta name "rgb".
func (es *encoderSet) advertised() []string {
	return append([]string{"rgb"}, es.core()...)
}

// unavailable lists the plugin encodings that cannot be used, with why.
func (es *encoderSet) unavailable() map[string]any {
	out := map[string]any{}
	if es == nil {
		return out
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	for k, v := range es.unavail {
		out[k] = v
	}
	return out
}

// isRGB says whether name means the built-in encoding.
func isRGB(name string) bool {
	switch name {
	case "", "auto", "rgb", "rgb24", "rgb32":
		return true
	}
	return false
}

// choose picks a client's encoding: the server's --encoding unless it is
// auto, else the client's preferred "encoding", when the session has it
// and the client lists it; otherwise (or when the encoder cannot start)
// the built-in rgb32. It returns the encoder for a plugin encoding.
func (es *encoderSet) choose(ctx context.Context, serverPref string, caps wire.Dict) (string, encoder.Encoder) {
	clientList := caps.Strings("encodings")
	for _, c := range []struct{ who, name string }{{"server", serverPref}, {"client", caps.Str("encoding", "")}} {
		if isRGB(c.name) {
			if c.who == "server" && c.name != "" && c.name != "auto" {
				return pipeline.RGB32, nil
			}
			continue
		}
		if len(clientList) > 0 && !slices.Contains(clientList, c.name) {
			es.log.Info("the client does not decode the preferred encoding", "encoding", c.name, "from", c.who)
			continue
		}
		enc, err := es.get(ctx, c.name)
		if err != nil {
			es.log.Warn("encoding unavailable: trying the next", "encoding", c.name, "from", c.who, "err", err)
			continue
		}
		return c.name, enc
	}
	return pipeline.RGB32, nil
}

// get returns the encoder of a plugin encoding, starting it on first use.
func (es *encoderSet) get(ctx context.Context, name string) (encoder.Encoder, error) {
	if es == nil || !slices.Contains(es.names, name) {
		return nil, fmt.Errorf("encoding %q is not supported", name)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if why, bad := es.unavail[name]; bad {
		return nil, fmt.Errorf("encoding %q: %s", name, why)
	}
	pl := es.serves[name]
	if e := es.open[pl]; e != nil {
		return e, nil
	}
	ctx, cancel := context.WithTimeout(ctx, encoderOpenTimeout)
	defer cancel()
	e, err := es.host.Encoder(ctx, pluginhost.Spec{Name: pl, Block: es.block(name)})
	if err == nil {
		var info *encoder.Info
		info, err = e.Info(ctx)
		if err == nil && !slices.Contains(info.Encodings, name) {
			err = fmt.Errorf("the plugin encodes %v, not %s", info.Encodings, name)
		}
	}
	if err != nil {
		es.unavail[name] = err.Error()
		return nil, fmt.Errorf("starting the %s encoder: %w", name, err)
	}
	es.log.Info("encoder started", "encoding", name)
	es.open[pl] = e
	return e, nil
}

// encodingsSubsystem is the picture encodings the session sends, through
// the encoder set.
type encodingsSubsystem struct {
	s *Server

	mu  sync.Mutex
	set *encoderSet // nil until setup or first use, see current
}

func (*encodingsSubsystem) Name() string { return "encodings" }

// setup makes the session's encoder set, asking the plugin host which
// plugin serves each encoding (each encoder binary describes itself).
func (e *encodingsSubsystem) setup(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.set == nil {
		s := e.s
		e.set = newEncoderSet(ctx, s.opts.Plugins, s.opts.Effective, s.cfg, s.log.With("part", "encoders"))
	}
}

// current returns the session's encoder set, made by setup when the
// server runs (on first use for a server that does not).
func (e *encodingsSubsystem) current() *encoderSet {
	e.setup(context.Background())
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.set
}

// Caps are the encodings the client may be sent.
func (e *encodingsSubsystem) Caps(context.Context, *attachment) (wire.Dict, error) {
	es := e.current()
	return wire.Dict{"encodings": es.advertised(), "encodings.core": es.core()}, nil
}

// Info is what the session can send, what it cannot and why, and the
// draws sent so far per encoding (over every attached client), with the
// frames sent as rgb32 because an encoder failed.
func (e *encodingsSubsystem) Info(ctx context.Context) map[string]any {
	es := e.current()
	out := map[string]any{"core": es.core(), "unavailable": es.unavailable()}
	ws := e.s.win.current()
	if ws == nil {
		return out
	}
	ws.mu.Lock()
	var ps []*pipeline.Pipeline
	for _, wc := range ws.subs {
		ps = append(ps, wc.p)
	}
	ws.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	draws := map[string]any{}
	used := map[string]any{}
	var fallbacks, refreshes, zlib int64
	for i, p := range ps {
		st := p.Stats(ctx)
		for enc, n := range st.ByEncoding {
			prev, _ := draws[enc].(int64)
			draws[enc] = prev + n
		}
		fallbacks += st.Fallbacks
		refreshes += st.Refreshes
		zlib += st.Zlib
		used[fmt.Sprint(i)] = p.Encoding()
	}
	out["draws"] = draws
	out["fallbacks"] = fallbacks
	out["refreshes"] = refreshes
	out["rgb32-zlib"] = zlib
	out["clients"] = used
	return out
}

// pictureQuality is the quality lossy draws use: the server's --quality,
// else the one the client's hello asks for ("quality", or
// "encoding.quality"), else 0 (the encoder's default).
func pictureQuality(server int, caps wire.Dict) int {
	if server > 0 {
		return min(server, 100)
	}
	for _, k := range []string{"quality", "encoding.quality"} {
		if q := caps.Int(k, 0); q > 0 {
			return int(min(q, 100))
		}
	}
	return 0
}

// pictureSpeed is the speed the encoders are asked for: the server's
// --speed unless 0, else the one the client's hello asks for ("speed" or
// "encoding.speed"), else 0 (the encoder's default).
func pictureSpeed(server int, caps wire.Dict) int {
	if server > 0 {
		return min(server, 100)
	}
	for _, k := range []string{"speed", "encoding.speed"} {
		if v := caps.Int(k, 0); v > 0 {
			return int(min(v, 100))
		}
	}
	return 0
}
