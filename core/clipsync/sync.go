package clipsync

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
	"github.com/xroam/xroam/sdk/clipboard"
)

// Defaults of Config.
const (
	DefaultMaxBytes = 64 << 20
	DefaultTimeout  = 5 * time.Second
	// XpraMaxContents is the most xroam sends to an xpra peer, whose
	// packets may not exceed 16 MiB.
	XpraMaxContents = 16<<20 - 64<<10
	// maxInflight bounds the peer's requests read from the local display
	// at once; more are refused.
	maxInflight = 8
)

// PacketLimit is the largest packet a connection must accept for
// contents of up to maxBytes (DefaultMaxBytes when 0), sent inline.
func PacketLimit(maxBytes int) int {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return maxBytes + 1<<20
}

// AllSelections are the selections xpra synchronises.
func AllSelections() []string { return []string{"CLIPBOARD", "PRIMARY", "SECONDARY"} }

// PreferredTargets are the targets advertised as preferred, as xpra 3.1.3.
func PreferredTargets() []string {
	return []string{"UTF8_STRING", "TEXT", "STRING", "text/plain", "image/png"}
}

// Config configures a Sync.
type Config struct {
	Backend clipboard.Backend
	// Send writes a packet to the peer; it must be safe for concurrent
	// use (a wire.Writer is).
	Send      func(wire.Packet) error
	Direction Direction
	// Filters drop outgoing contents that match.
	Filters []*regexp.Regexp
	// Selections are the local selections the backend watches.
	Selections []string
	MaxBytes   int
	// Timeout bounds the wait for the peer's contents and for a local
	// read.
	Timeout time.Duration
	// Server is true on the server side, which reports pending requests.
	Server bool
	Log    *slog.Logger
}

// Sync runs the clipboard protocol for one connection.
type Sync struct {
	cfg Config
	log *slog.Logger
	ctx context.Context
	end context.CancelFunc

	mu          sync.Mutex
	dir         Direction
	peerOn      bool
	peerSels    []string
	greedy      bool
	wantTargets bool
	sliceFix    bool
	preferred   []string
	sendLimit   int
	inline      map[string]map[string]*clipboard.Data // by selection, target
	pending     map[int64]*pendingReq
	nextID      int64
	inflight    int
	closed      bool

	// out queues packets for the peer: a peer that stops reading fills
	// it instead of blocking the caller (the session's clipboard loop).
	out chan wire.Packet
}

type pendingReq struct {
	wanted    uint64
	selection string
	timer     *time.Timer
}

// New returns a Sync; call SetPeer with the peer's hello before anything
// flows, and Close when the connection ends.
func New(cfg Config) *Sync {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if len(cfg.Selections) == 0 {
		cfg.Selections = []string{"CLIPBOARD", "PRIMARY"}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sync{cfg: cfg, log: cfg.Log, ctx: ctx, end: cancel, dir: cfg.Direction, peerSels: AllSelections(), sendLimit: min(cfg.MaxBytes, XpraMaxContents),
		inline: map[string]map[string]*clipboard.Data{}, pending: map[int64]*pendingReq{}, out: make(chan wire.Packet, sendQueue)}
	go s.writer()
	return s
}

// sendQueue bounds the packets waiting for a slow peer; more are dropped
// (a dropped request times out and its local paste is refused).
const sendQueue = 64

// writer sends the queued packets in order until Close.
func (s *Sync) writer() {
	for {
		select {
		case p := <-s.out:
			if err := s.cfg.Send(p); err != nil {
				s.log.Debug("clipboard: sending", "type", p.Type(), "err", err)
			}
		case <-s.ctx.Done():
			return
		}
	}
}

// Caps are this side's hello capabilities. xroam asks for the targets
// with every token so that a claim is made with the right ones.
func (s *Sync) Caps() wire.Dict {
	s.mu.Lock()
	dir := s.dir
	s.mu.Unlock()
	c := wire.Dict{
		"clipboard":                    true,
		"clipboard.contents-slice-fix": true,
		"clipboard.preferred-targets":  PreferredTargets(),
		"clipboard.want_targets":       true,
		"clipboard.greedy":             false,
		"clipboard.set_enabled":        true,
		"clipboard.notifications":      false,
		"clipboard.selections":         s.cfg.Selections,
	}
	if s.cfg.Server {
		c["clipboard-direction"] = dir.XpraName(true)
		c["clipboard.enable-selections"] = true
		c["clipboards"] = s.cfg.Selections
	}
	return c
}

// SetPeer reads the peer's hello. A client peer lists its selections
// under clipboard.selections, a server under clipboards.
func (s *Sync) SetPeer(caps wire.Dict) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peerOn = caps.Bool("clipboard", false)
	s.greedy = caps.Bool("clipboard.greedy", false)
	s.wantTargets = caps.Bool("clipboard.want_targets", false)
	s.sliceFix = caps.Bool("clipboard.contents-slice-fix", false)
	s.preferred = caps.Strings("clipboard.preferred-targets")
	// xpra drops a packet over 16 MiB, and the connection with it: send
	// it less. An xroam peer reads as much as its own limit allows.
	s.sendLimit = min(s.cfg.MaxBytes, XpraMaxContents)
	if caps.Has("xroam.version") || caps.Str("client_type", "") == "xroam" {
		s.sendLimit = s.cfg.MaxBytes
	}
	key := "clipboards"
	if s.cfg.Server {
		key = "clipboard.selections"
	}
	if sels := caps.Strings(key); len(sels) > 0 {
		s.peerSels = sels
	}
	if !s.cfg.Server {
		// The server's direction limits ours.
		if d, err := ParseDirection(caps.Str("clipboard-direction", "both"), false); err == nil {
			s.dir.Send = s.dir.Send && d.Send
			s.dir.Receive = s.dir.Receive && d.Receive
		}
	}
}

// Enabled reports whether the peer takes part.
func (s *Sync) Enabled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peerOn && !s.closed
}

// Direction returns the current direction.
func (s *Sync) Direction() Direction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir
}

// SetDirection changes the direction (the control command); the peer is
// told with a setting-change when this is the server.
func (s *Sync) SetDirection(d Direction) {
	s.mu.Lock()
	s.dir = d
	server := s.cfg.Server
	s.mu.Unlock()
	if server {
		s.send(xpra.SettingChange{Setting: xpra.SettingClipboardDirection, Value: d.XpraName(true)}.Packet())
	}
}

// Start tells the peer what the client side does at connect: which
// selections to synchronise and that the clipboard is on.
func (s *Sync) Start() {
	if s.cfg.Server || !s.Enabled() {
		return
	}
	s.send(xpra.ClipboardEnableSelections{Selections: s.cfg.Selections}.Packet())
	s.send(xpra.SetClipboardEnabled{Enabled: true}.Packet())
}

// Close refuses what is pending and stops the goroutines' work.
func (s *Sync) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	pend := s.pending
	s.pending = map[int64]*pendingReq{}
	s.mu.Unlock()
	s.end()
	for _, p := range pend {
		p.timer.Stop()
		s.answer(p.wanted, nil)
	}
}

// send queues p for the peer without waiting for it.
func (s *Sync) send(p wire.Packet) {
	select {
	case s.out <- p:
	case <-s.ctx.Done():
	default:
		s.log.Warn("clipboard: the peer is not reading: packet dropped", "type", p.Type())
	}
}

// call runs f with a bounded context, for backend calls.
func (s *Sync) call(f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout+time.Second)
	defer cancel()
	return f(ctx)
}

func (s *Sync) answer(id uint64, d *clipboard.Data) {
	if err := s.call(func(ctx context.Context) error {
		return s.cfg.Backend.Answer(ctx, &clipboard.AnswerRequest{ID: id, Data: d})
	}); err != nil {
		s.log.Debug("clipboard: answering a local request", "err", err)
	}
}

func (s *Sync) selected(sel string) bool {
	return slices.Contains(s.peerSels, sel) && slices.Contains(s.cfg.Selections, sel)
}

// filtered reports whether outgoing data matches the filter file.
func (s *Sync) filtered(d *clipboard.Data) bool {
	if d == nil || d.Format != 8 {
		return false
	}
	for _, re := range s.cfg.Filters {
		if re.Match(d.Bytes) {
			s.log.Warn("clipboard: contents match a filter and were dropped", "pattern", re.String(), "type", d.Type, "bytes", len(d.Bytes))
			return true
		}
	}
	return false
}

// discarded are targets never forwarded (xpra discards the same ones).
func discarded(target string) bool {
	for _, p := range []string{"SAVE_TARGETS", "MULTIPLE", "DELETE", "INSERT_PROPERTY", "INSERT_SELECTION"} {
		if target == p {
			return true
		}
	}
	return false
}
