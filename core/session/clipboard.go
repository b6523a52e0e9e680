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

// clipboardHub starts the clipboard backend once; nil when the clipboard
// is off or its backend could not start (logged).
func (s *Server) clipboardHub(ctx context.Context) *clipHub {
	s.clipOnce.Do(func() {
		name, on, dir, err := clipsync.Parse(s.cfg.Clipboard, s.clipboardDirection(), true)
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
		s.mu.Lock()
		s.clip = h
		s.mu.Unlock()
		s.log.Info("clipboard ready", "backend", name, "direction", dir.XpraName(true), "selections", cs.Selections)
	})
	return s.clipHub()
}

// clipHub returns the clipboard if it started.
func (s *Server) clipHub() *clipHub {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clip
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

// clipboardCaps adds the clipboard keys to an attaching client's hello.
func (s *Server) clipboardCaps(ctx context.Context, hello wire.Dict) {
	h := s.clipboardHub(ctx)
	if h == nil {
		hello["clipboard"] = false
		return
	}
	h.mu.Lock()
	cfg := h.cfg
	cfg.Direction = h.dir
	h.mu.Unlock()
	for k, v := range clipsync.New(cfg).Caps() {
		hello[k] = v
	}
}

// attachClipboard starts the clipboard protocol with a UI client that
// asked for it; the returned function ends it.
func (s *Server) attachClipboard(ctx context.Context, c *clientConn) func() {
	h := s.clipboardHub(ctx)
	if h == nil || !c.caps.Bool("clipboard", false) {
		return func() {}
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
	}
}

// clipboardPacket handles a clipboard packet of a UI client; false when
// pkt is not one.
func (s *Server) clipboardPacket(c *clientConn, pkt wire.Packet) bool {
	if !xpra.IsClipboardPacket(pkt.Type()) {
		return false
	}
	h := s.clipHub()
	if h == nil {
		return true
	}
	h.mu.Lock()
	sy := h.conns[c]
	h.mu.Unlock()
	if sy != nil {
		sy.Handle(pkt)
	}
	return true
}

// controlClipboardDirection is `xroam control :N clipboard-direction D`.
func (s *Server) controlClipboardDirection(args []string) (int, string) {
	if len(args) != 1 {
		return 5, "clipboard-direction takes one argument: to-server, to-client, both or disabled"
	}
	d, err := clipsync.ParseDirection(args[0], true)
	if err != nil {
		return 5, err.Error()
	}
	h := s.clipHub()
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

// clipboardInfo is the clipboard's part of info.
func (s *Server) clipboardInfo() map[string]any {
	h := s.clipHub()
	if h == nil {
		return map[string]any{"enabled": false}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return map[string]any{"enabled": true, "direction": h.dir.XpraName(true), "clients": int64(len(h.conns)),
		"filters": int64(len(h.cfg.Filters)), "selections": h.cfg.Selections}
}
