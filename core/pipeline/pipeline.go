package pipeline

import (
	"context"
	"encoding/binary"
	"fmt"
	"github.com/xroam/xroam/core/x11"
	"log/slog"
	"maps"
	"math"
	"sync/atomic"
	"time"

	"github.com/pierrec/lz4/v4"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/shm"
)

// RGB32 is the built-in encoding: BGRX rows compressed with lz4.
const RGB32 = "rgb32"

// Rect is an area of a window in window coordinates: the window
// manager's own type, so that damage passes through unconverted.
type Rect = x11.Rect

// Source captures window pixels: area r of window xid as BGRX rows of
// r.W*4 bytes into dst.
type Source interface {
	CaptureInto(xid uint32, r Rect, dst []byte) error
}

// Config sets up a Pipeline.
type Config struct {
	Source Source
	// Send writes a packet to the client.
	Send func(wire.Packet) error
	// BatchDelay is how long damage accumulates before a capture
	// (default 5 ms; at most 1 ms for the first damage after a quiet
	// spell, so that typing is not delayed).
	BatchDelay time.Duration
	// MaxInFlight bounds the unacknowledged draws per window (default 3).
	MaxInFlight int
	// AckTimeout forgets a draw the client never acknowledged (default 5 s).
	AckTimeout time.Duration
	// OnStall is called once if the client stops reading for so long that
	// the queue of window changes overflows; the caller should drop it.
	OnStall func()
	// Encoding is what the draws use: RGB32 (or "") is the built-in
	// rgb32+lz4; any other needs Encoder.
	Encoding string
	// Encoder encodes Encoding, typically a plugin subprocess that reads
	// the captured frames from shared memory. When it fails, the frame is
	// sent as rgb32 instead and the next frame tries it again.
	Encoder encoder.Encoder
	// Quality is xpra's 0..100 for lossy encodings (<= 0: the encoder's
	// default).
	Quality int
	// EncodeTimeout bounds one call to Encoder (default 5 s).
	EncodeTimeout time.Duration
	Log           *slog.Logger
}

// Pipeline sends one client the pixels of the windows it shows. Its
// methods never block on the client; Run does the work.
type Pipeline struct {
	cfg      Config
	ops      chan func()
	overflow atomic.Bool
	stalled  atomic.Bool
	wins     map[int64]*window
	buf      []byte
	seg      *shm.Segment // holds buf when frames go to an Encoder
	enc      Encoder
	ctx      context.Context
	failing  bool // Encoder's last call failed
	stats    Stats
}

// Stats counts what a pipeline did.
type Stats struct {
	Draws, Bytes, Pixels int64
	Acks                 int64
	// ByEncoding counts the draws per encoding actually sent.
	ByEncoding map[string]int64
	// Fallbacks counts frames sent as rgb32 because Encoder failed.
	Fallbacks int64
}

type window struct {
	wid      int64
	xid      uint32
	w, h     int
	mapped   bool
	pending  Rect
	timerSet bool
	seq      int64
	inflight map[int64]time.Time
	// lastFlush is when the window last sent pixels: damage after a quiet
	// spell (a key typed) goes out almost at once, while a stream of
	// updates is batched.
	lastFlush time.Time
}

// idleAfter is how long without a flush makes a window "quiet".
const idleAfter = 50 * time.Millisecond

// New makes a pipeline; call Run to start it.
func New(cfg Config) *Pipeline {
	if cfg.BatchDelay <= 0 {
		cfg.BatchDelay = 5 * time.Millisecond
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 3
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.EncodeTimeout <= 0 {
		cfg.EncodeTimeout = 5 * time.Second
	}
	if cfg.Encoding == "" || cfg.Encoder == nil {
		cfg.Encoding = RGB32
	}
	return &Pipeline{cfg: cfg, ops: make(chan func(), 4096), wins: map[int64]*window{},
		stats: Stats{ByEncoding: map[string]int64{}}}
}

// Encoding is the encoding the pipeline's draws use when its encoder works.
func (p *Pipeline) Encoding() string { return p.cfg.Encoding }

// Run processes damage and acks until ctx ends.
func (p *Pipeline) Run(ctx context.Context) {
	p.ctx = ctx
	defer func() {
		if p.seg != nil {
			if err := p.seg.Close(); err != nil {
				p.cfg.Log.Debug("releasing the frame segment", "err", err)
			}
			p.seg, p.buf = nil, nil
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case op := <-p.ops:
			op()
			if p.overflow.Swap(false) {
				for _, w := range p.wins {
					p.damage(w, Rect{X: 0, Y: 0, W: w.w, H: w.h})
				}
			}
		}
	}
}

func (p *Pipeline) post(op func()) {
	select {
	case p.ops <- op:
	default:
		// The queue is full: whatever was lost, a full refresh repairs.
		p.overflow.Store(true)
	}
}

// postOrStall queues an operation that must not be lost (window changes,
// packets). A client whose queue is full has stopped reading: OnStall is
// called, once, and the pipeline drops everything from then on.
func (p *Pipeline) postOrStall(op func()) {
	if p.stalled.Load() {
		return
	}
	select {
	case p.ops <- op:
	default:
		if !p.stalled.Swap(true) && p.cfg.OnStall != nil {
			p.cfg.OnStall()
		}
	}
}

// Send queues a packet for the client, in order with the draws.
func (p *Pipeline) Send(pkt wire.Packet) {
	p.postOrStall(func() {
		if err := p.cfg.Send(pkt); err != nil {
			p.cfg.Log.Debug("send failed", "type", pkt.Type(), "err", err)
		}
	})
}

// AddWindow declares window wid (X window xid) of size w x h. Nothing is
// sent for it before Map.
func (p *Pipeline) AddWindow(wid int64, xid uint32, w, h int) {
	p.postOrStall(func() {
		p.wins[wid] = &window{wid: wid, xid: xid, w: w, h: h, inflight: map[int64]time.Time{}}
	})
}

// Resize records a window's new size.
func (p *Pipeline) Resize(wid int64, w, h int) {
	p.postOrStall(func() {
		if win := p.wins[wid]; win != nil {
			grew := w > win.w || h > win.h
			win.w, win.h = w, h
			win.pending = win.pending.Intersect(Rect{X: 0, Y: 0, W: w, H: h})
			if grew {
				p.damage(win, Rect{X: 0, Y: 0, W: w, H: h})
			}
		}
	})
}

// Map says the client shows the window: its full contents are sent.
func (p *Pipeline) Map(wid int64) {
	p.postOrStall(func() {
		if win := p.wins[wid]; win != nil {
			win.mapped = true
			p.damage(win, Rect{X: 0, Y: 0, W: win.w, H: win.h})
		}
	})
}

// Unmap stops updates of a window the client hid.
func (p *Pipeline) Unmap(wid int64) {
	p.postOrStall(func() {
		if win := p.wins[wid]; win != nil {
			win.mapped = false
		}
	})
}

// Remove forgets a window.
func (p *Pipeline) Remove(wid int64) {
	p.postOrStall(func() { delete(p.wins, wid) })
}

// Refresh sends the whole of window wid again (-1: every window).
func (p *Pipeline) Refresh(wid int64) {
	p.post(func() {
		for _, w := range p.wins {
			if wid < 0 || w.wid == wid {
				p.damage(w, Rect{X: 0, Y: 0, W: w.w, H: w.h})
			}
		}
	})
}

// Damage says area r of window wid changed.
func (p *Pipeline) Damage(wid int64, r Rect) {
	p.post(func() {
		if win := p.wins[wid]; win != nil {
			p.damage(win, r)
		}
	})
}

// Ack handles the client's damage-sequence for a draw.
func (p *Pipeline) Ack(wid, seq int64) {
	p.post(func() {
		win := p.wins[wid]
		if win == nil {
			return
		}
		if _, ok := win.inflight[seq]; ok {
			delete(win.inflight, seq)
			p.stats.Acks++
		}
		if !win.pending.Empty() && !win.timerSet {
			p.flush(win)
		}
	})
}

// Stats returns the counters; it waits for the pipeline's turn.
func (p *Pipeline) Stats(ctx context.Context) Stats {
	ch := make(chan Stats, 1)
	select {
	case p.ops <- func() {
		s := p.stats
		s.ByEncoding = maps.Clone(s.ByEncoding)
		ch <- s
	}:
	case <-ctx.Done():
		return Stats{}
	}
	select {
	case s := <-ch:
		return s
	case <-ctx.Done():
		return Stats{}
	}
}

func (p *Pipeline) damage(win *window, r Rect) {
	r = r.Intersect(Rect{X: 0, Y: 0, W: win.w, H: win.h})
	if r.Empty() || !win.mapped {
		return
	}
	win.pending = win.pending.Union(r)
	if win.timerSet {
		return
	}
	win.timerSet = true
	wid := win.wid
	delay := p.cfg.BatchDelay
	if time.Since(win.lastFlush) > idleAfter {
		// Still merge what one drawing operation damages in a burst.
		delay = min(delay, time.Millisecond)
	}
	time.AfterFunc(delay, func() {
		select {
		case p.ops <- func() {
			if w := p.wins[wid]; w != nil {
				w.timerSet = false
				p.flush(w)
			}
		}:
		default:
			p.overflow.Store(true)
		}
	})
}

// flush captures and sends a window's pending area if the client has
// room for another draw.
func (p *Pipeline) flush(win *window) {
	if win.pending.Empty() || !win.mapped {
		return
	}
	now := time.Now()
	for seq, t := range win.inflight {
		if now.Sub(t) > p.cfg.AckTimeout {
			delete(win.inflight, seq)
		}
	}
	if len(win.inflight) >= p.cfg.MaxInFlight {
		return // the next ack flushes
	}
	r := win.pending.Intersect(Rect{X: 0, Y: 0, W: win.w, H: win.h})
	win.pending = Rect{}
	win.lastFlush = time.Now()
	if r.Empty() {
		return
	}
	n := r.W * r.H * 4
	pix := p.frameBuffer(n)
	if err := p.cfg.Source.CaptureInto(win.xid, r, pix); err != nil {
		p.cfg.Log.Debug("capture failed", "wid", win.wid, "err", err)
		return
	}
	win.seq++
	var pkt wire.Packet
	var size int
	enc := RGB32
	if p.cfg.Encoder != nil && p.cfg.Encoding != RGB32 {
		pkt, size = p.encode(win.wid, r, pix, win.seq)
		if pkt != nil {
			enc = p.cfg.Encoding
		}
	}
	if pkt == nil {
		// The packet is written before Send returns, so the encoder's
		// buffer can be reused for the next draw.
		data := p.enc.Encode(pix)
		pkt, size = DrawPacket(win.wid, r, data, win.seq), len(data)
	}
	win.inflight[win.seq] = now
	if err := p.cfg.Send(pkt); err != nil {
		p.cfg.Log.Debug("send failed", "wid", win.wid, "err", err)
		return
	}
	p.stats.Draws++
	p.stats.ByEncoding[enc]++
	p.stats.Bytes += int64(size)
	p.stats.Pixels += int64(r.W * r.H)
}

// frameBuffer returns n bytes to capture into. With an Encoder they lie
// in a shared segment, so that a plugin subprocess reads the frame where
// it is; without one (or without System V shared memory) in Go memory.
func (p *Pipeline) frameBuffer(n int) []byte {
	if p.cfg.Encoder != nil && p.cfg.Encoding != RGB32 && (p.seg == nil || len(p.seg.Bytes()) < n) {
		if p.seg != nil {
			if err := p.seg.Close(); err != nil {
				p.cfg.Log.Debug("releasing the frame segment", "err", err)
			}
			p.seg, p.buf = nil, nil
		}
		// Grow by half again, so that a window growing by a few pixels at
		// a time does not make a new segment per frame.
		seg, err := shm.Create(n + n/2)
		if err != nil {
			p.cfg.Log.Debug("no shared frame segment: frames are copied", "err", err)
		} else {
			p.seg, p.buf = seg, seg.Bytes()
		}
	}
	if cap(p.buf) < n {
		p.buf = make([]byte, n)
	}
	return p.buf[:n]
}

// encode runs the Encoder on a captured frame and returns the draw, or
// nil when the encoder failed: the caller then sends rgb32. A failure is
// logged when it starts and when it ends, not for every frame.
func (p *Pipeline) encode(wid int64, r Rect, pix []byte, seq int64) (wire.Packet, int) {
	f := encoder.Frame{Width: r.W, Height: r.H, Stride: r.W * 4, Format: "BGRX", Pixels: pix}
	if p.seg != nil {
		f.Shm = &encoder.Ref{SegmentID: p.seg.ID()}
	}
	ctx := p.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.EncodeTimeout)
	defer cancel()
	q := p.cfg.Quality
	if q <= 0 {
		q = -1
	}
	resp, err := p.cfg.Encoder.Encode(ctx, &encoder.Request{Encoding: p.cfg.Encoding, Frame: f, Quality: q, Speed: -1})
	if err == nil && resp.Encoding != p.cfg.Encoding {
		err = fmt.Errorf("asked for %s, got %s", p.cfg.Encoding, resp.Encoding)
	}
	if err != nil {
		p.stats.Fallbacks++
		if !p.failing {
			p.failing = true
			p.cfg.Log.Warn("encoder failed: sending rgb32 until it works again", "encoding", p.cfg.Encoding, "err", err)
		}
		return nil, 0
	}
	if p.failing {
		p.failing = false
		p.cfg.Log.Info("encoder works again", "encoding", p.cfg.Encoding)
	}
	return EncodedPacket(wid, r, resp.Encoding, resp.Data, seq, resp.Options), len(resp.Data)
}

// EncodedPacket is the draw of an area in a compressed picture format
// (png, jpeg, ...): rowstride 0 and the encoder's client options.
func EncodedPacket(wid int64, r Rect, enc string, data []byte, seq int64, opts map[string]any) wire.Packet {
	d := wire.Dict{}
	for k, v := range opts {
		d[k] = wireValue(v)
	}
	return wire.Packet{"draw", wid, int64(r.X), int64(r.Y), int64(r.W), int64(r.H), enc,
		wire.RawChunk{Data: data}, seq, int64(0), d}
}

// wireValue turns the float64 that integers become on their way back
// from a plugin (a protobuf Struct has only doubles) into int64, as xpra
// clients want integers for options such as quality.
func wireValue(v any) any {
	if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return v
}

// DrawPacket is the draw of a rgb32 BGRX area compressed with EncodeLZ4.
func DrawPacket(wid int64, r Rect, lz4Data []byte, seq int64) wire.Packet {
	return wire.Packet{"draw", wid, int64(r.X), int64(r.Y), int64(r.W), int64(r.H), "rgb32",
		wire.RawChunk{Data: lz4Data}, seq, int64(r.W * 4),
		wire.Dict{"lz4": int64(1), "rgb_format": "BGRX"}}
}

// EncodeLZ4 compresses pixels as xpra's lz4 option wants: an LZ4 block
// preceded by the uncompressed size as a little-endian uint32.
func EncodeLZ4(src []byte) []byte {
	var e Encoder
	return e.Encode(src)
}

// Encoder is EncodeLZ4 with its output buffer and hash table kept from
// one frame to the next.
type Encoder struct {
	c   lz4.Compressor
	buf []byte
}

// Encode compresses src; the result is valid until the next call.
func (e *Encoder) Encode(src []byte) []byte {
	n := 4 + lz4.CompressBlockBound(len(src))
	if cap(e.buf) < n {
		e.buf = make([]byte, n)
	}
	out := e.buf[:n]
	binary.LittleEndian.PutUint32(out, uint32(len(src)))
	// With a destination of CompressBlockBound bytes the block always
	// fits; 0 only comes back for empty input.
	m, err := e.c.CompressBlock(src, out[4:])
	if err != nil {
		return out[:4]
	}
	return out[:4+m]
}

// ParseAck reads a damage-sequence packet: [seq, wid, w, h, decode_us, msg].
func ParseAck(pkt wire.Packet) (wid, seq int64, err error) {
	s, ok1 := pkt.Int(1)
	w, ok2 := pkt.Int(2)
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("damage-sequence: want sequence and window id, got %d items", len(pkt))
	}
	return w, s, nil
}
