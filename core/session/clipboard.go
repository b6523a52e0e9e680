package session

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/xroam/xroam/core/clipsync"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
	"github.com/xroam/xroam/sdk/clipboard"
	"github.com/xroam/xroam/sdk/plugin"
)

// clipHub is the server's clipboard: one backend on the session's display,
// started when the first client that wants a clipboard attaches, and the
// protocol state of each attached client. Local events go to the client
// that attached last, as in xpra.
type clipHub struct {
	backend clipboard.Backend
	log     *slog.Logger
	cfg     clipsync.Config

	mu     sync.Mutex
	dir    clipsync.Direction
	conns  map[*clientConn]*clipsync.Sync
	latest *clientConn
}

// clipboardSubsystem synchronizes the session's clipboard with the
// attached clients that want it.
type clipboardSubsystem struct {
	s *Server

	once sync.Once
	mu   sync.Mutex
	hub  *clipHub // nil until a client wants a clipboard, see start
}

func (*clipboardSubsystem) Name() string { return "clipboard" }

// start starts the clipboard backend once; nil when the clipboard is off
// or its backend could not start (logged).
func (cb *clipboardSubsystem) start(ctx context.Context) *clipHub {
	s := cb.s
	cb.once.Do(func() {
		name, on, dir, err := clipsync.Parse(s.cfg.Clipboard, s.nx.clipboardDirectionInForce(), true)
		if err != nil || !on {
			if err != nil {
				s.log.Warn("clipboard disabled", "err", err)
			}
			return
		}
		filters, err := clipsync.LoadFilters(s.cfg.ClipboardFilterFile)
		if err != nil {
			s.log.Warn("clipboard disabled", "err", err)
			return
		}
		if s.opts.Plugins == nil {
			return
		}
		sp := pluginhost.Spec{Name: name, Options: map[string][]string{"display": {fmt.Sprintf(":%d", s.display)}}}
		if s.opts.Effective != nil {
			sp.Block = s.opts.Effective.Plugin(plugin.KindClipboard, name)
		}
		// The backend lives as long as the server, not the first client.
		b, err := s.opts.Plugins.Clipboard(context.WithoutCancel(ctx), sp)
		if err != nil {
			s.log.Warn("clipboard disabled: its backend did not start", "backend", name, "err", err)
			return
		}
		evs, err := b.Watch(context.WithoutCancel(ctx))
		if err != nil {
			s.log.Warn("clipboard disabled: its backend sends no events", "backend", name, "err", err)
			return
		}
		cs := pluginhost.ClipboardSettingsOf(sp.Block)
		h := &clipHub{backend: b, log: s.log, dir: dir, conns: map[*clientConn]*clipsync.Sync{},
			cfg: clipsync.Config{Backend: b, Filters: filters, Server: true, Log: s.log,
				Selections: cs.Selections, MaxBytes: cs.MaxBytes}}
		go h.run(evs)
		cb.mu.Lock()
		cb.hub = h
		cb.mu.Unlock()
		s.log.Info("clipboard ready", "backend", name, "direction", dir.XpraName(true), "selections", cs.Selections)
	})
	return cb.current()
}

// current returns the clipboard if it started.
func (cb *clipboardSubsystem) current() *clipHub {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return cb.hub
}

// run hands the backend's events to the latest client, refusing pastes
// when none is there.
func (h *clipHub) run(evs <-chan clipboard.Event) {
	for ev := range evs {
		h.mu.Lock()
		sy := h.conns[h.latest]
		h.mu.Unlock()
		if sy != nil {
			sy.HandleEvent(ev)
			continue
		}
		if ev.Kind == clipboard.Wanted {
			ctx, cancel := context.WithTimeout(context.Background(), clipsync.DefaultTimeout)
			_ = h.backend.Answer(ctx, &clipboard.AnswerRequest{ID: ev.ID})
			cancel()
		}
	}
}

// Caps are the clipboard keys of an attaching client's hello; the first
// client starts the clipboard.
func (cb *clipboardSubsystem) Caps(ctx context.Context, _ *attachment) (wire.Dict, error) {
	h := cb.start(ctx)
	if h == nil {
		return wire.Dict{"clipboard": false}, nil
	}
	h.mu.Lock()
	cfg := h.cfg
	cfg.Direction = h.dir
	h.mu.Unlock()
	hello := wire.Dict{}
	for k, v := range clipsync.New(cfg).Caps() {
		hello[k] = v
	}
	return hello, nil
}

// Attach starts the clipboard protocol with a UI client that asked for
// it; the detach ends it.
func (cb *clipboardSubsystem) Attach(ctx context.Context, a *attachment) (func(), error) {
	c := a.c
	h := cb.start(ctx)
	if h == nil || !c.caps.Bool("clipboard", false) {
		return nil, nil
	}
	h.mu.Lock()
	cfg := h.cfg
	cfg.Direction = h.dir
	cfg.Send = c.w.WritePacket
	sy := clipsync.New(cfg)
	sy.SetPeer(c.caps)
	h.conns[c] = sy
	h.latest = c
	h.mu.Unlock()
	// Contents travel inline in one packet: let one as large as the
	// clipboard's limit through (serve has not started reading yet).
	c.r.SetMaxPacketSize(max(c.r.MaxPacketSize(), clipsync.PacketLimit(cfg.MaxBytes)))
	return func() {
		h.mu.Lock()
		delete(h.conns, c)
		if h.latest == c {
			h.latest = nil
			for o := range h.conns {
				h.latest = o
			}
		}
		h.mu.Unlock()
		sy.Close()
	}, nil
}

func (cb *clipboardSubsystem) Handlers() map[string]handler {
	hs := map[string]handler{}
	for _, t := range xpra.ClipboardPacketTypes() {
		hs[t] = ui(cb.packet)
	}
	return hs
}

// packet hands a clipboard packet of a UI client to its protocol state;
// without one (the clipboard is off, or the client did not ask for it)
// the packet is dropped.
func (cb *clipboardSubsystem) packet(_ context.Context, c *clientConn, pkt wire.Packet) error {
	h := cb.current()
	if h == nil {
		return nil
	}
	h.mu.Lock()
	sy := h.conns[c]
	h.mu.Unlock()
	if sy != nil {
		sy.Handle(pkt)
	}
	return nil
}

// setDirection is `xroam control :N clipboard-direction D`.
func (cb *clipboardSubsystem) setDirection(args []string) (int, string) {
	if len(args) != 1 {
		return 5, "clipboard-direction takes one argument: to-server, to-client, both or disabled"
	}
	d, err := clipsync.ParseDirection(args[0], true)
	if err != nil {
		return 5, err.Error()
	}
	h := cb.current()
	if h == nil {
		return 7, "the clipboard is not enabled on this server"
	}
	h.mu.Lock()
	h.dir = d
	var syncs []*clipsync.Sync
	for _, sy := range h.conns {
		syncs = append(syncs, sy)
	}
	h.mu.Unlock()
	for _, sy := range syncs {
		sy.SetDirection(d)
	}
	return 0, "clipboard direction set to " + d.XpraName(true)
}

// Info is the clipboard's state.
func (cb *clipboardSubsystem) Info(context.Context) map[string]any {
	h := cb.current()
	if h == nil {
		return map[string]any{"enabled": false}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return map[string]any{"enabled": true, "direction": h.dir.XpraName(true), "clients": int64(len(h.conns)),
		"filters": int64(len(h.cfg.Filters)), "selections": h.cfg.Selections}
}
