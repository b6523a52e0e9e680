package session

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/xroam/xroam/core/pipeline"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
)

// flowSubsystem is the picture settings of a client's pipeline
// (--quality, --speed and their minimums, --auto-refresh-delay,
// --bandwidth-limit), the control commands that change them during the
// session, and the client's own bandwidth limit (its hello's
// "bandwidth-limit" and the packet of that name, both in bits per
// second).
type flowSubsystem struct {
	s *Server
}

func (*flowSubsystem) Name() string { return "flow" }

// Caps tells the client the refresh delay and the server's bandwidth
// limit, and that it may send its own with the bandwidth-limit packet.
func (f *flowSubsystem) Caps(context.Context, *attachment) (wire.Dict, error) {
	bps, _ := f.serverBandwidth()
	return wire.Dict{
		"auto_refresh_delay":             int64(f.s.cfg.AutoRefreshDelay * 1000),
		"network.bandwidth-limit-change": true,
		"network.bandwidth-limit":        bps,
	}, nil
}

func (f *flowSubsystem) Handlers() map[string]handler {
	return map[string]handler{xpra.TypeBandwidthLimit: ui(f.bandwidthLimit)}
}

// serverBandwidth is --bandwidth-limit in bits per second (0: none).
func (f *flowSubsystem) serverBandwidth() (int64, error) {
	bps, err := pipeline.ParseBandwidth(f.s.cfg.BandwidthLimit)
	if err != nil {
		return 0, fmt.Errorf("--bandwidth-limit: %w", err)
	}
	return bps, nil
}

// effectiveBandwidth is the lower of the server's and the client's
// limits, where either is set.
func effectiveBandwidth(server, client int64) int64 {
	switch {
	case client <= 0:
		return server
	case server <= 0:
		return client
	}
	return min(server, client)
}

// pictureConfig fills in a client's pipeline settings.
func (f *flowSubsystem) pictureConfig(cfg *pipeline.Config, caps wire.Dict) {
	s := f.s
	cfg.Quality = pictureQuality(s.cfg.Quality, caps)
	cfg.MinQuality = s.cfg.MinQuality
	if s.cfg.MinQuality <= 0 {
		cfg.MinQuality = int(caps.Int("encoding.min-quality", 0))
	}
	cfg.Speed = pictureSpeed(s.cfg.Speed, caps)
	cfg.MinSpeed = s.cfg.MinSpeed
	if s.cfg.MinSpeed <= 0 {
		cfg.MinSpeed = int(caps.Int("encoding.min-speed", 0))
	}
	cfg.RGBFormat = pipeline.RGBFormatFor(caps.Strings("encodings.rgb_formats"))
	cfg.RGBZlib = caps.Bool("encoding.rgb_zlib", false)
	cfg.AutoRefreshDelay = time.Duration(s.cfg.AutoRefreshDelay * float64(time.Second))
	server, _ := f.serverBandwidth() // checked when the server started
	cfg.BandwidthLimit = effectiveBandwidth(server, caps.Int("bandwidth-limit", 0))
}

// bandwidthLimit handles a client's ["bandwidth-limit", bps]: a new
// limit of its own (0: none), never above the server's.
func (f *flowSubsystem) bandwidthLimit(_ context.Context, c *clientConn, pkt wire.Packet) error {
	if _, _, err := f.s.win.client(c); err != nil {
		return err
	}
	bl, err := xpra.ParseBandwidthLimit(pkt)
	if err != nil {
		return nil
	}
	bps := bl.BPS
	server, _ := f.serverBandwidth()
	for _, p := range f.s.win.pipelines(c) {
		p.SetBandwidthLimit(effectiveBandwidth(server, bps))
	}
	return nil
}

// pictureControls are the control commands that change the picture of
// every attached client, as xpra's of the same names do.
func pictureControls() map[string]controlCommand {
	cmds := map[string]controlCommand{
		"encoding": {"NAME", "switch every client's windows to an encoding", func(s *Server, args []string) (int, string) {
			if len(args) < 1 {
				return 5, "encoding takes the name of an encoding"
			}
			return s.flow.setEncoding(args[0])
		}},
		"auto-refresh": {"SECONDS", "set the delay of the lossless refresh after lossy updates (0: none)", func(s *Server, args []string) (int, string) {
			if len(args) < 1 {
				return 5, "auto-refresh takes a delay in seconds"
			}
			secs, err := strconv.ParseFloat(args[0], 64)
			if err != nil || secs < 0 {
				return 5, fmt.Sprintf("auto-refresh: invalid delay %q", args[0])
			}
			ps := s.win.pipelines(nil)
			for _, p := range ps {
				p.SetAutoRefresh(time.Duration(secs * float64(time.Second)))
			}
			return 0, fmt.Sprintf("auto-refresh delay set to %dms for %d clients", int(secs*1000), len(ps))
		}},
	}
	for _, name := range []string{"quality", "min-quality", "speed", "min-speed"} {
		cmds[name] = controlCommand{"0-100", "set the encoding " + name + " of every client (quality, speed 0: automatic)", func(s *Server, args []string) (int, string) {
			if len(args) < 1 {
				return 5, name + " takes a value from 0 to 100"
			}
			v, err := strconv.Atoi(args[0])
			if err != nil || v < 0 || v > 100 {
				return 5, fmt.Sprintf("%s: %q is not a value from 0 to 100", name, args[0])
			}
			ps := s.win.pipelines(nil)
			for _, p := range ps {
				p.SetPicture(name, v)
			}
			return 0, fmt.Sprintf("%s set to %d for %d clients", name, v, len(ps))
		}}
	}
	return cmds
}

// setEncoding switches every attached client that decodes name to it;
// the windows are sent again in it at once.
func (f *flowSubsystem) setEncoding(name string) (int, string) {
	es := f.s.encs.current()
	if !isRGB(name) && !slices.Contains(es.core(), name) {
		return 5, fmt.Sprintf("encoding %q is not available: %v", name, es.core())
	}
	ws := f.s.win.current()
	if ws == nil {
		return 7, "this session has no windows"
	}
	ws.mu.Lock()
	type sub struct {
		caps wire.Dict
		p    *pipeline.Pipeline
	}
	var subs []sub
	for c, wc := range ws.subs {
		subs = append(subs, sub{c.caps, wc.p})
	}
	ws.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), encoderOpenTimeout)
	defer cancel()
	n := 0
	for _, c := range subs {
		if isRGB(name) {
			c.p.SetEncoding(pipeline.RGB32, nil)
			n++
			continue
		}
		if l := c.caps.Strings("encodings"); len(l) > 0 && !slices.Contains(l, name) {
			continue
		}
		enc, err := es.get(ctx, name)
		if err != nil {
			return 9, err.Error()
		}
		c.p.SetEncoding(name, enc)
		n++
	}
	return 0, fmt.Sprintf("encoding set to %s for %d of %d clients", name, n, len(subs))
}

// autoLossy lists, best first, the encodings auto mode may use for the
// windows that update at video rate: a video stream where the client
// decodes one, since it costs the fewest bytes per frame, else jpeg.
func autoLossy() []string { return []string{pipeline.H264, pipeline.VP8, "jpeg"} }

// startAutoLossy gives an auto-mode pipeline (neither the server nor the
// client asked for an encoding) the best lossy encoder that the client
// decodes and the session has. The plugin starts in the background: until
// it is up, every draw is lossless.
func (f *flowSubsystem) startAutoLossy(ctx context.Context, p *pipeline.Pipeline, encName string, caps wire.Dict, log *slog.Logger) {
	auto := func(v string) bool { return v == "" || v == "auto" }
	if encName != pipeline.RGB32 || !auto(f.s.cfg.Encoding) || !auto(caps.Str("encoding", "")) {
		return
	}
	es := f.s.encs.current()
	var names []string
	for _, n := range autoLossy() {
		if slices.Contains(caps.Strings("encodings"), n) && slices.Contains(es.core(), n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return
	}
	go func() {
		for _, n := range names {
			enc, err := es.get(ctx, n)
			if err != nil {
				log.Info("auto mode: lossy encoder unavailable", "encoding", n, "err", err)
				continue
			}
			log.Debug("auto mode: video-rate windows go lossy", "encoding", n)
			p.SetLossy(n, enc)
			return
		}
		log.Info("auto mode stays lossless")
	}()
}

// clientScrolls says whether the client paints scroll draws in a window:
// the 3.1.3 GTK client says so with "encoding.scrolling" in the
// map-window properties, or for all windows in its hello.
func clientScrolls(props wire.Dict, caps wire.Dict) bool {
	if v, ok := props["encoding.scrolling"]; ok {
		return wire.Truthy(v)
	}
	return caps.Bool("encoding.scrolling", false)
}
