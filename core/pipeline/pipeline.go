package pipeline

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/mmap"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/lz4block"
	"github.com/xroam/xroam/sdk/shm"
)

// RGB32 is the built-in encoding: BGRX rows compressed with lz4.
const RGB32 = "rgb32"

// Rect is an area of a window in window coordinates: geom.Rect, the
// window manager's type too, so that damage passes through unconverted.
// It is an alias only because the pipeline's code predates core/geom;
// new code should say geom.Rect.
type Rect = geom.Rect

// Source captures window pixels: area r of window xid as BGRX rows of
// r.W*4 bytes into dst.
type Source interface {
	CaptureInto(xid uint32, r Rect, dst []byte) error
}

// SegmentSource is a Source that can capture straight into the pipeline's
// frame segment, the System V segment an encoder plugin reads, so that a
// frame is written once (by the X server) instead of captured elsewhere
// and copied. With one, the pipeline captures into a segment for rgb32
// too.
type SegmentSource interface {
	Source
	// CaptureIntoSegment is CaptureInto with dst the start of seg. It may
	// keep a hold on seg (the X server's attachment) until ReleaseSegment.
	CaptureIntoSegment(xid uint32, r Rect, seg *shm.Segment) error
	// ReleaseSegment lets go of seg; the pipeline calls it before it
	// closes a segment it captured into, and seg is then freed.
	ReleaseSegment(seg *shm.Segment)
}

// Config sets up a Pipeline.
type Config struct {
	Source Source
	// Send writes a packet to the client.
	Send func(wire.Packet) error
	// BatchDelay is how long damage accumulates before a capture
	// (default 1 ms: the X layer already merges what arrives together,
	// a video frame is one damage, and windows that change without
	// pause are paced instead, see pace.go).
	BatchDelay time.Duration
	// FloodInterval is the longest wait between the draws of a window
	// that changes faster than it is sent (default 200 ms; negative: no
	// pacing): see pace.go.
	FloodInterval time.Duration
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
	// Quality is xpra's 0..100 for lossy encodings; 0 tunes it from the
	// client's acks, between MinQuality and 100.
	Quality, MinQuality int
	// Speed is the encoding speed 0..100 passed to the encoder; 0 tunes
	// it from the acks, between MinSpeed and 100.
	Speed, MinSpeed int
	// AutoRefreshDelay: an area sent with a lossy encoding is sent again
	// losslessly once it has not changed for this long (0: never).
	AutoRefreshDelay time.Duration
	// BandwidthLimit paces the draws to this many bits per second (0:
	// no limit).
	BandwidthLimit int64
	// MaxUnackedBytes bounds the bytes sent and not yet acknowledged over
	// all windows (0: derived from the ack latency and rate).
	MaxUnackedBytes int64
	// Lossy, in auto mode (Encoding RGB32), encodes the windows that
	// update at video rate, as LossyEncoding (a video stream such as
	// h264, or jpeg); the others stay lossless.
	Lossy         encoder.Encoder
	LossyEncoding string
	// RGBFormat is the layout of rgb32 draws: BGRX (the default) or
	// RGBX, from the client's encodings.rgb_formats (see RGBFormatFor).
	RGBFormat string
	// RGBZlib says the client decompresses zlib rgb draws
	// (encoding.rgb_zlib): paced windows' draws then use it, see
	// zlibDraw.
	RGBZlib bool
	// MMap is the client's mmap area (nil: none): raw draws are written
	// there and the draw carries only where, with encoding "mmap"; when
	// the area is full they go on the socket as rgb32. The pipeline owns
	// it and closes it when Run returns.
	MMap *mmap.Area
	// EncodeTimeout bounds one call to Encoder (default 5 s).
	EncodeTimeout time.Duration
	Log           *slog.Logger
}

// Pipeline sends one client the pixels of the windows it shows. Its
// methods never block on the client; Run does the work.
type Pipeline struct {
	cfg      Config
	conv     []byte // rgb32 pixels converted to RGBX, reused
	ops      chan func()
	overflow atomic.Bool
	stalled  atomic.Bool
	wins     map[int64]*window
	buf      []byte
	seg      *shm.Segment  // holds buf when frames go to an Encoder or segSrc
	segSrc   SegmentSource // cfg.Source, when it captures into segments
	noSeg    bool          // shm.Create failed: rgb32 frames stay in Go memory
	enc      Encoder
	z        zlibEncoder
	ctx      context.Context
	failing  bool // Encoder's last call failed
	// lent is the last encode's output while it lies in memory an
	// encoder plugin's client lends (encoder.Request.Borrow): it goes
	// back once the draw is written.
	lent     *encoder.Response
	stats    Stats
	encName  atomic.Pointer[string]
	tune     tuner
	flow     connFlow
	bw       bucket
	seed     maphash.Seed
	mmapSize int // of cfg.MMap, which Run closes: read without it
}

// Stats counts what a pipeline did.
type Stats struct {
	Draws, Bytes, Pixels int64
	Acks                 int64
	// ByEncoding counts the draws per encoding actually sent, but for
	// the lossless refreshes, counted in Refreshes.
	ByEncoding map[string]int64
	// Fallbacks counts frames sent as rgb32 because Encoder failed.
	Fallbacks int64
	// Refreshes counts the lossless refreshes after lossy draws.
	Refreshes int64
	// Zlib counts the rgb32 draws compressed with zlib (paced windows).
	Zlib int64
	// Unacked is the bytes sent and not yet acknowledged, Budget their
	// current bound.
	Unacked, Budget int64
	// Quality and Speed are what the next draw asks the encoder for.
	Quality, Speed int
	// MMapBytes is the pixel bytes sent through the mmap area, MMapFree
	// the area's free bytes after the last such draw, MMapFull the draws
	// sent on the socket because the area was full.
	MMapBytes, MMapFree, MMapFull int64
}

type window struct {
	wid      int64
	xid      uint32
	w, h     int
	mapped   bool
	pending  Rect
	timerSet bool
	retrySet bool // a retry after waiting is scheduled
	seq      int64
	inflight map[int64]sent
	// lastSize is the size of the window's last draw: what the next one
	// is expected to cost against the connection's budget.
	lastSize int64
	// lossy is the area last sent with a lossy encoding and not since
	// repaired; lossless asks the next flush for a lossless draw.
	lossy        Rect
	lossless     bool
	refreshTimer bool
	// blocked: the last flush waited for acks, which flush it again.
	blocked bool
	// big holds the window's recent large draws; video says it updates
	// at video rate, and vregion is the area its video stream covers.
	big     []bigDraw
	video   bool
	vregion Rect
	// scroll: the client paints scroll draws for this window; shadow is
	// then what it was last sent (valid once shadowOK).
	scroll   bool
	shadow   []byte
	shadowOK bool
	// lastFlush is when the window last sent pixels: damage after a quiet
	// spell (a key typed) goes out almost at once, while a stream of
	// updates is batched.
	lastFlush time.Time
	// videoLost says the window's video stream missed a frame (the
	// encoder failed): the next one must restart it.
	videoLost bool
	// flood counts the draws after which the window changed again at
	// once (see pace.go).
	flood int
	// lastChange is when the window was last damaged.
	lastChange time.Time
}

// sent is one unacknowledged draw.
type sent struct {
	at    time.Time
	bytes int
}

// idleAfter is how long without a flush makes a window "quiet".
const idleAfter = 50 * time.Millisecond

// New makes a pipeline; call Run to start it.
func New(cfg Config) *Pipeline {
	if cfg.BatchDelay <= 0 {
		cfg.BatchDelay = time.Millisecond
	}
	if cfg.FloodInterval == 0 {
		cfg.FloodInterval = 200 * time.Millisecond
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
	p := &Pipeline{cfg: cfg, ops: make(chan func(), 4096), wins: map[int64]*window{},
		stats: Stats{ByEncoding: map[string]int64{}},
		tune:  newTuner(cfg.Quality, cfg.MinQuality, cfg.Speed, cfg.MinSpeed),
		flow:  connFlow{fixed: cfg.MaxUnackedBytes}, seed: maphash.MakeSeed()}
	p.bw.setRate(cfg.BandwidthLimit, time.Now())
	p.segSrc, _ = cfg.Source.(SegmentSource)
	if cfg.MMap != nil {
		p.mmapSize = cfg.MMap.Size()
	}
	name := cfg.Encoding
	p.encName.Store(&name)
	return p
}

// MMapSize is the size of the client's mmap area (0: none).
func (p *Pipeline) MMapSize() int {
	return p.mmapSize
}

// Encoding is the encoding the pipeline's draws use when its encoder works.
func (p *Pipeline) Encoding() string { return *p.encName.Load() }

// Run processes damage and acks until ctx ends.
func (p *Pipeline) Run(ctx context.Context) {
	p.ctx = ctx
	defer func() {
		if p.cfg.MMap != nil {
			if err := p.cfg.MMap.Close(); err != nil {
				p.cfg.Log.Debug("releasing the mmap area", "err", err)
			}
		}
		p.dropSegment()
		p.giveBack()
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
		p.wins[wid] = &window{wid: wid, xid: xid, w: w, h: h, inflight: map[int64]sent{}}
	})
}

// Resize records a window's new size.
func (p *Pipeline) Resize(wid int64, w, h int) {
	p.postOrStall(func() {
		if win := p.wins[wid]; win != nil {
			grew := w > win.w || h > win.h
			win.w, win.h = w, h
			win.shadowOK = false
			win.vregion = Rect{} // chosen again within the new size
			win.pending = win.pending.Intersect(Rect{X: 0, Y: 0, W: w, H: h})
			// A window whose scrolls are detected needs a whole draw to
			// know again what the client shows.
			if grew || win.scroll {
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
func (p *Pipeline) Ack(wid, seq int64) { p.AckDecode(wid, seq, -1) }

// AckDecode is Ack with the client's decode time (negative: unknown),
// which tunes quality and speed.
func (p *Pipeline) AckDecode(wid, seq int64, decode time.Duration) {
	p.post(func() {
		win := p.wins[wid]
		if win == nil {
			return
		}
		if d, ok := win.inflight[seq]; ok {
			delete(win.inflight, seq)
			p.stats.Acks++
			now := time.Now()
			lat := now.Sub(d.at)
			p.flow.acked(d.bytes, lat, now)
			p.tune.observe(lat, decode)
		}
		if !win.pending.Empty() && (!win.timerSet || win.blocked) {
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
		s.Unacked, s.Budget = p.flow.unacked, p.flow.budget()
		s.Quality, s.Speed = p.tune.quality(), p.tune.speed()
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
	if win.pending.Empty() {
		win.noteChange(time.Now())
	} else {
		win.lastChange = time.Now()
	}
	win.pending = win.pending.Union(r)
	if win.timerSet {
		return
	}
	delay := p.cfg.BatchDelay
	if time.Since(win.lastFlush) > idleAfter {
		// Still merge what one drawing operation damages in a burst.
		delay = min(delay, time.Millisecond)
	}
	p.flushAfter(win, delay)
}

// flushAfter flushes a window after the batch delay, once however
// often it is asked before then.
func (p *Pipeline) flushAfter(win *window, delay time.Duration) {
	p.flushTimer(win, delay, func(w *window) *bool { return &w.timerSet })
}

// retryAfter flushes a window that had to wait (for acks, for the
// bandwidth limit) after delay. Its flag is not the batch timer's, so
// that new damage meanwhile is still batched as usual and an ack still
// flushes at once.
func (p *Pipeline) retryAfter(win *window, delay time.Duration) {
	p.flushTimer(win, delay, func(w *window) *bool { return &w.retrySet })
}

func (p *Pipeline) flushTimer(win *window, delay time.Duration, flag func(*window) *bool) {
	if *flag(win) {
		return
	}
	*flag(win) = true
	wid := win.wid
	time.AfterFunc(delay, func() {
		select {
		case p.ops <- func() {
			if w := p.wins[wid]; w != nil {
				*flag(w) = false
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
	for seq, d := range win.inflight {
		if now.Sub(d.at) > p.cfg.AckTimeout {
			delete(win.inflight, seq)
			p.flow.forget(d.bytes)
		}
	}
	win.blocked = len(win.inflight) >= p.cfg.MaxInFlight || !p.flow.room(len(win.inflight), win.lastSize)
	if win.blocked {
		// The next ack flushes; so does a timer, in case the acks are
		// for draws the client will never acknowledge.
		p.retryAfter(win, p.cfg.AckTimeout/4)
		return
	}
	if wait := p.bw.wait(now); wait > 0 {
		p.retryAfter(win, wait)
		return
	}
	if wait := p.paceWait(win, now); wait > 0 {
		p.retryAfter(win, wait)
		return
	}
	r := win.pending.Intersect(Rect{X: 0, Y: 0, W: win.w, H: win.h})
	win.pending = Rect{}
	win.lastFlush = time.Now()
	if r.Empty() {
		return
	}
	var encName string
	var encr encoder.Encoder
	if !win.lossless {
		encName, encr = p.encoderFor(win, r, now)
		if encr != nil && IsVideo(encName) {
			p.flushVideo(win, r, now, encName, encr)
			return
		}
	}
	n := r.W * r.H * 4
	pix := p.frameBuffer(n)
	if err := p.capture(win.xid, r, pix); err != nil {
		p.cfg.Log.Debug("capture failed", "wid", win.wid, "err", err)
		return
	}
	lossless := win.lossless
	win.lossless = false
	if encr == nil && !lossless {
		plan, ok := detectScroll(win, r, pix, p.seed)
		if ok {
			size := p.sendScroll(win, r, pix, plan)
			win.lastSize = int64(size)
			p.flow.sent(size)
			p.bw.take(size, now)
			p.keepShadow(win, r, pix)
			return
		}
	}
	win.seq++
	var pkt wire.Packet
	var size int
	enc := RGB32
	if encr != nil && !lossless {
		pkt, size = p.encode(win.wid, r, pix, win.seq, encName, encr, nil)
		if pkt != nil {
			enc = encName
		}
	}
	if pkt == nil {
		// The packet is written before Send returns, so the encoder's
		// buffer can be reused for the next draw.
		pkt, size, enc = p.rawDraw(win, r, pix, win.seq)
	}
	p.keepShadow(win, r, pix)
	p.send(win, pkt, size, enc, r, now, lossless)
}

// send writes a window's draw (numbered win.seq) and accounts for it:
// in flight until acked, against the connection's budget and bandwidth,
// in the lossy area (a lossless refresh repairs it), and in the stats.
func (p *Pipeline) send(win *window, pkt wire.Packet, size int, enc string, r Rect, now time.Time, lossless bool) {
	win.inflight[win.seq] = sent{at: now, bytes: size}
	win.lastSize = int64(size)
	p.flow.sent(size)
	p.bw.take(size, now)
	p.afterDraw(win, r, enc, lossless)
	err := p.cfg.Send(pkt)
	// The packet is written before Send returns: what it borrowed can go.
	p.giveBack()
	if err != nil {
		p.cfg.Log.Debug("send failed", "wid", win.wid, "err", err)
		return
	}
	p.count(enc, size, r, lossless)
}

// giveBack ends the use of the last encode's borrowed output.
func (p *Pipeline) giveBack() {
	p.lent.Done()
	p.lent = nil
}

// count adds a draw to the stats: under its encoding, or as a lossless
// refresh.
func (p *Pipeline) count(enc string, size int, r Rect, refresh bool) {
	p.stats.Draws++
	if refresh {
		p.stats.Refreshes++
	} else {
		p.stats.ByEncoding[enc]++
	}
	p.stats.Bytes += int64(size)
	p.stats.Pixels += int64(r.W * r.H)
}

// frameBuffer returns n bytes to capture into (with capture). With an
// Encoder they lie in a shared segment, so that a plugin subprocess reads
// the frame where it is; so they do with a SegmentSource, which writes
// the frame there without a copy; otherwise (or without System V shared
// memory) in Go memory.
func (p *Pipeline) frameBuffer(n int) []byte {
	want := p.usesEncoders() || (p.segSrc != nil && !p.noSeg)
	if want && (p.seg == nil || len(p.seg.Bytes()) < n) {
		p.dropSegment()
		// Grow by half again, so that a window growing by a few pixels at
		// a time does not make a new segment per frame.
		seg, err := shm.Create(n + n/2)
		if err != nil {
			p.cfg.Log.Debug("no shared frame segment: frames are copied", "err", err)
			// An encoder's frames try again; rgb32 ones need no segment.
			p.noSeg = true
		} else {
			p.seg, p.buf = seg, seg.Bytes()
		}
	}
	if cap(p.buf) < n {
		p.buf = make([]byte, n)
	}
	return p.buf[:n]
}

// capture reads area r of window xid into pix, which frameBuffer
// returned: straight into the frame segment where the source can.
func (p *Pipeline) capture(xid uint32, r Rect, pix []byte) error {
	if p.seg != nil && p.segSrc != nil {
		return p.segSrc.CaptureIntoSegment(xid, r, p.seg)
	}
	return p.cfg.Source.CaptureInto(xid, r, pix)
}

// dropSegment closes the frame segment, once the source has let go of it
// (the X server's attachment would otherwise keep it alive).
func (p *Pipeline) dropSegment() {
	if p.seg == nil {
		return
	}
	if p.segSrc != nil {
		p.segSrc.ReleaseSegment(p.seg)
	}
	if err := p.seg.Close(); err != nil {
		p.cfg.Log.Debug("releasing the frame segment", "err", err)
	}
	p.seg, p.buf = nil, nil
}

// encode runs the Encoder on a captured frame and returns the draw, or
// nil when the encoder failed: the caller then sends rgb32. A failure is
// logged when it starts and when it ends, not for every frame.
func (p *Pipeline) encode(wid int64, r Rect, pix []byte, seq int64, name string, e encoder.Encoder, opts map[string]any) (wire.Packet, int) {
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
	p.giveBack()
	// Borrowed: a plugin's output is read where it wrote it, in shared
	// memory, instead of being copied out per frame; send gives it back.
	resp, err := e.Encode(ctx, &encoder.Request{Encoding: name, Frame: f, Quality: p.tune.quality(), Speed: p.tune.speed(), Options: opts,
		Borrow: true})
	if err == nil {
		p.lent = resp
	}
	if err == nil && resp.Encoding != name {
		err = fmt.Errorf("asked for %s, got %s", name, resp.Encoding)
		p.giveBack()
	}
	if err != nil {
		p.stats.Fallbacks++
		if !p.failing {
			p.failing = true
			p.cfg.Log.Warn("encoder failed: sending rgb32 until it works again", "encoding", name, "err", err)
		}
		return nil, 0
	}
	if p.failing {
		p.failing = false
		p.cfg.Log.Info("encoder works again", "encoding", name)
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
	return xpra.Draw{WID: wid, X: int64(r.X), Y: int64(r.Y), Width: int64(r.W), Height: int64(r.H), Coding: enc,
		Data: wire.RawChunk{Data: data}, Sequence: seq, Options: d}.Packet()
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
	return DrawPacketFormat(wid, r, lz4Data, seq, BGRX)
}

// DrawPacketFormat is DrawPacket for pixels in format (BGRX or RGBX).
func DrawPacketFormat(wid int64, r Rect, lz4Data []byte, seq int64, format string) wire.Packet {
	return rgbPacket(wid, r, lz4Data, seq, format, "lz4", 1)
}

// rgbPacket is an rgb32 draw whose data is compressed by compressor
// ("lz4" or "zlib", xpra's option names) at level.
func rgbPacket(wid int64, r Rect, data []byte, seq int64, format, compressor string, level int) wire.Packet {
	return xpra.Draw{WID: wid, X: int64(r.X), Y: int64(r.Y), Width: int64(r.W), Height: int64(r.H), Coding: RGB32,
		Data: wire.RawChunk{Data: data}, Sequence: seq, Rowstride: int64(r.W * 4),
		Options: wire.Dict{compressor: int64(level), "rgb_format": format}}.Packet()
}

// rgbFormat is the layout of the rgb32 draws: the client's, else BGRX.
func (p *Pipeline) rgbFormat() string {
	if p.cfg.RGBFormat == "" {
		return BGRX
	}
	return p.cfg.RGBFormat
}

// The rgb32 pixel layouts the pipeline sends: BGRX is what the X server
// captures; RGBX (with the padding byte opaque) is for clients that can
// only take that, such as the HTML5 client, which puts the bytes
// straight into a canvas as RGBA.
const (
	BGRX = "BGRX"
	RGBX = "RGBX"
)

// RGBFormatFor picks the layout for a client's encodings.rgb_formats
// list: BGRX when it takes it (or says nothing), else RGBX when it
// takes that or RGBA.
func RGBFormatFor(formats []string) string {
	if len(formats) == 0 || slices.Contains(formats, "BGRX") || slices.Contains(formats, "BGRA") {
		return BGRX
	}
	if slices.Contains(formats, "RGBX") || slices.Contains(formats, "RGBA") {
		return RGBX
	}
	return BGRX
}

// rgb returns pix in the client's layout: pix itself for BGRX, else a
// converted copy (pix stays as captured for scroll detection).
func (p *Pipeline) rgb(pix []byte) []byte {
	if p.cfg.RGBFormat != RGBX {
		return pix
	}
	if cap(p.conv) < len(pix) {
		p.conv = make([]byte, len(pix))
	}
	out := p.conv[:len(pix)]
	for i := 0; i+3 < len(pix); i += 4 {
		out[i], out[i+1], out[i+2], out[i+3] = pix[i+2], pix[i+1], pix[i], 0xff
	}
	return out
}

// rgbDraw is the rgb32 draw of pix (BGRX as captured) in the client's
// layout, and its size on the wire.
func (p *Pipeline) rgbDraw(wid int64, r Rect, pix []byte, seq int64) (wire.Packet, int) {
	data := p.enc.Encode(p.rgb(pix))
	return DrawPacketFormat(wid, r, data, seq, p.rgbFormat()), len(data)
}

// rawDraw is the lossless draw of pix: through the client's mmap area
// when it has one with room, else rgb32; with its size on the socket and
// its encoding.
func (p *Pipeline) rawDraw(win *window, r Rect, pix []byte, seq int64) (wire.Packet, int, string) {
	if p.cfg.MMap != nil {
		if pkt, size := p.mmapDraw(win.wid, r, pix, seq); pkt != nil {
			return pkt, size, MMap
		}
	}
	if p.cfg.RGBZlib && win.flood >= floodFrames {
		if pkt, size := p.zlibDraw(win.wid, r, pix, seq); pkt != nil {
			p.stats.Zlib++
			return pkt, size, RGB32
		}
	}
	pkt, size := p.rgbDraw(win.wid, r, pix, seq)
	return pkt, size, RGB32
}

// MMap is the encoding of draws whose pixels lie in the client's mmap
// area.
const MMap = xpra.CodingMMap

// mmapDraw writes pix into the client's mmap area and returns the draw
// that says where, and the bytes it costs on the socket; nil when the
// area is full.
func (p *Pipeline) mmapDraw(wid int64, r Rect, pix []byte, seq int64) (wire.Packet, int) {
	chunks, free, err := p.cfg.MMap.Write(p.rgb(pix))
	if err != nil {
		p.stats.MMapFull++
		p.cfg.Log.Debug("mmap: sending on the socket", "wid", wid, "bytes", len(pix), "err", err)
		return nil, 0
	}
	p.stats.MMapBytes += int64(len(pix))
	p.stats.MMapFree = int64(free)
	return MMapPacket(wid, r, chunks, seq, p.rgbFormat()), 16 * len(chunks)
}

// MMapPacket is the draw of a rgb32 area in format that lies in the
// client's mmap area at chunks.
func MMapPacket(wid int64, r Rect, chunks []mmap.Chunk, seq int64, format string) wire.Packet {
	return xpra.Draw{WID: wid, X: int64(r.X), Y: int64(r.Y), Width: int64(r.W), Height: int64(r.H), Coding: MMap,
		Data: mmap.WireChunks(chunks), Sequence: seq, Rowstride: int64(r.W * 4), Options: wire.Dict{"rgb_format": format}}.Packet()
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
	c   lz4block.Compressor
	buf []byte
}

// Encode compresses src; the result is valid until the next call.
func (e *Encoder) Encode(src []byte) []byte {
	out, err := e.c.Append(e.buf[:0], src)
	if err != nil {
		// Only input of 4 GiB or more fails, more than a window holds.
		return nil
	}
	e.buf = out
	return out
}
