package rfb

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/xroam/xroam/core/geom"
)

// Source is the screen being served.
type Source interface {
	// Capture reads area r as BGRX pixels into dst (r.W*4 bytes a row).
	Capture(r geom.Rect, dst []byte) error
}

// Input receives the clients' keyboard and pointer; nil makes a
// view-only server.
type Input interface {
	Key(keysym uint32, down bool)
	Pointer(buttons uint8, x, y int)
}

// Cursor is a cursor shape: BGRA pixels, premultiplied alpha.
type Cursor struct {
	Serial     uint32
	W, H       int
	XHot, YHot int
	Pix        []byte
}

// Screen is a framebuffer shared by RFB connections: damage marks every
// connection's area dirty, and each connection captures and sends what
// changed when its client asks.
type Screen struct {
	src Source
	log *slog.Logger

	mu     sync.Mutex
	w, h   int
	cursor *Cursor
	conns  map[*conn]struct{}
}

// NewScreen returns a w x h screen read from src.
func NewScreen(src Source, w, h int, log *slog.Logger) *Screen {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Screen{src: src, w: w, h: h, log: log, conns: map[*conn]struct{}{}}
}

// Damage reports that area r of the screen changed.
func (s *Screen) Damage(r geom.Rect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.damage(r)
	}
}

// Resize reports a new screen size.
func (s *Screen) Resize(w, h int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w == s.w && h == s.h {
		return
	}
	s.w, s.h = w, h
	for c := range s.conns {
		c.mu.Lock()
		c.resize = true
		c.mu.Unlock()
		c.wake()
	}
}

// SetCursor reports a new cursor shape.
func (s *Screen) SetCursor(cur Cursor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cursor = &cur
	for c := range s.conns {
		c.wake()
	}
}

// Size returns the screen's size.
func (s *Screen) Size() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w, s.h
}

// Clients returns the number of connected clients.
func (s *Screen) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Options configure one connection.
type Options struct {
	Name string
	// Check, when set, requires VNC Authentication.
	Check CheckFunc
	// Input nil ignores the client's keyboard and pointer.
	Input Input
	// Interval is the shortest time between two updates.
	Interval time.Duration
	Log      *slog.Logger
	// Resize, when set, carries out a client's SetDesktopSize: it
	// returns the size the screen took. Without it (a shadow, a
	// view-only client) requests are answered "prohibited".
	Resize func(w, h int) (int, int, error)
}

// conn is one client.
type conn struct {
	s    *Screen
	nc   net.Conn
	opts Options
	log  *slog.Logger
	wk   chan struct{}

	mu        sync.Mutex
	pf        PixelFormat
	pfChanged bool
	encs      []int32
	requested bool
	forced    geom.Rect
	dirty     geom.Rect
	resize    bool
	// refuseSize: a SetDesktopSize request waits for its answer.
	refuseSize bool
	// acceptSize: a granted SetDesktopSize waits for its answer.
	acceptSize bool

	// Writer-only state.
	enc         *Encoder
	w, h        int
	cur, have   []byte // the screen as captured, and as the client has it
	cursorSent  uint32
	cursorValid bool
	extSent     bool // the ExtendedDesktopSize layout was announced
}

func (c *conn) wake() {
	select {
	case c.wk <- struct{}{}:
	default:
	}
}

// damage marks r dirty; called with the screen's lock held.
func (c *conn) damage(r geom.Rect) {
	c.mu.Lock()
	c.dirty = c.dirty.Union(r)
	c.mu.Unlock()
	c.wake()
}

// Serve runs one client connection until it ends or ctx is done. It
// closes nc.
func (s *Screen) Serve(ctx context.Context, nc net.Conn, opts Options) error {
	defer nc.Close()
	if opts.Log == nil {
		opts.Log = s.log
	}
	if opts.Interval <= 0 {
		opts.Interval = 20 * time.Millisecond
	}
	w, h := s.Size()
	if _, err := handshake(ctx, nc, opts.Check, w, h, opts.Name); err != nil {
		return fmt.Errorf("rfb handshake: %w", err)
	}
	c := &conn{s: s, nc: nc, opts: opts, log: opts.Log, wk: make(chan struct{}, 1), pf: ServerPixelFormat(), enc: NewEncoder(ServerPixelFormat()), encs: []int32{EncRaw}}
	c.setSize(w, h)
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	werr := make(chan error, 1)
	go func() { werr <- c.writeLoop(ctx); cancel() }()
	rerr := c.readLoop()
	cancel()
	if e := <-werr; rerr == nil || errors.Is(rerr, io.EOF) || errors.Is(rerr, net.ErrClosed) {
		if e != nil && !errors.Is(e, net.ErrClosed) && !errors.Is(e, context.Canceled) {
			return e
		}
		return nil
	}
	return rerr
}

func (c *conn) setSize(w, h int) {
	c.w, c.h = w, h
	c.cur = make([]byte, w*h*4)
	c.have = make([]byte, w*h*4)
}

// keys is the input state to undo when the client goes away.
type keys struct {
	down    map[uint32]bool
	buttons uint8
}

func (c *conn) readLoop() error {
	r := bufio.NewReaderSize(c.nc, 16<<10)
	held := keys{down: map[uint32]bool{}}
	in := c.opts.Input
	defer func() {
		if in == nil {
			return
		}
		for ks := range held.down {
			in.Key(ks, false)
		}
		if held.buttons != 0 {
			in.Pointer(0, -1, -1)
		}
	}()
	for {
		m, err := ReadClientMessage(r)
		if err != nil {
			return err
		}
		switch {
		case m.PixelFormat != nil:
			c.mu.Lock()
			c.pf, c.pfChanged = *m.PixelFormat, true
			c.mu.Unlock()
		case m.Encodings != nil:
			c.mu.Lock()
			c.encs = m.Encodings
			c.mu.Unlock()
		case m.Update != nil:
			c.mu.Lock()
			c.requested = true
			if !m.Update.Incremental {
				c.forced = c.forced.Union(m.Update.Rect)
			}
			c.mu.Unlock()
			c.wake()
		case m.Key != nil:
			if in != nil {
				if m.Key.Down {
					held.down[m.Key.Keysym] = true
				} else {
					delete(held.down, m.Key.Keysym)
				}
				in.Key(m.Key.Keysym, m.Key.Down)
			}
		case m.Pointer != nil:
			if in != nil {
				// The position is kept on the screen: the client's
				// framebuffer may be larger after a shrink.
				w, h := c.s.Size()
				x, y := min(m.Pointer.X, max(w-1, 0)), min(m.Pointer.Y, max(h-1, 0))
				held.buttons = m.Pointer.Buttons
				in.Pointer(m.Pointer.Buttons, x, y)
			}
		case m.DesktopSize != nil:
			// The answer goes in the next update: the new size, or a
			// refusal when the screen is not the client's to change.
			accepted := false
			if c.opts.Resize != nil {
				if w, h, err := c.opts.Resize(m.DesktopSize.W, m.DesktopSize.H); err != nil {
					c.log.Info("SetDesktopSize failed", "size", *m.DesktopSize, "err", err)
				} else {
					// Every client learns the new size; this one as the
					// answer to its request.
					c.s.Resize(w, h)
					accepted = true
				}
			} else {
				c.log.Debug("refusing a SetDesktopSize request", "size", *m.DesktopSize)
			}
			c.mu.Lock()
			c.refuseSize, c.acceptSize = !accepted, accepted
			c.mu.Unlock()
			c.wake()
		}
	}
}

// prefs are what the client's SetEncodings list allows.
type prefs struct {
	enc                         int32
	copyRect, desktopSize, curs bool
	extDesktopSize              bool
	level, quality              int
}

func parsePrefs(encs []int32) prefs {
	p := prefs{enc: EncRaw, level: 6, quality: -1}
	chosen := false
	for _, e := range encs {
		switch {
		case e == EncRaw || e == EncZlib || e == EncZRLE || e == EncTight:
			if !chosen {
				p.enc, chosen = e, true
			}
		case e == EncCopyRect:
			p.copyRect = true
		case e == EncDesktopSize:
			p.desktopSize = true
		case e == EncExtendedDesktopSize:
			p.extDesktopSize = true
		case e == EncCursor:
			p.curs = true
		case e >= EncQualityLevel0 && e <= EncQualityLevel0+9:
			p.quality = int(e - EncQualityLevel0)
		case e >= EncCompressLevel0 && e <= EncCompressLevel0+9:
			p.level = int(e - EncCompressLevel0)
		}
	}
	return p
}

func (c *conn) writeLoop(ctx context.Context) error {
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	last := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.wk:
		}
		if d := time.Until(last.Add(c.opts.Interval)); d > 0 {
			// Let damage gather for the rest of the frame interval.
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		sent, err := c.update(bw)
		if err != nil {
			return err
		}
		if sent {
			last = time.Now()
			if err := bw.Flush(); err != nil {
				return err
			}
		}
	}
}

// update sends one FramebufferUpdate if the client asked for one and
// there is something to send.
func (c *conn) update(bw *bufio.Writer) (bool, error) {
	c.mu.Lock()
	if !c.requested {
		c.mu.Unlock()
		return false, nil
	}
	p := parsePrefs(c.encs)
	pf, pfChanged := c.pf, c.pfChanged
	resize, refuse, accept := c.resize, c.refuseSize, c.acceptSize
	c.refuseSize, c.acceptSize = false, false
	// Damage from now on goes to the next update: the capture below
	// starts after this.
	forced, dirty := c.forced, c.dirty
	c.forced, c.dirty = geom.Rect{}, geom.Rect{}
	c.mu.Unlock()

	c.s.mu.Lock()
	sw, sh := c.s.w, c.s.h
	cursor := c.s.cursor
	c.s.mu.Unlock()

	var out []byte
	n := 0
	if resize && (sw != c.w || sh != c.h) {
		// Without DesktopSize the client keeps the old size: it sees the
		// part of the new screen that fits.
		switch {
		case p.extDesktopSize:
			reason := 0
			if accept {
				reason, accept = 1, false
			}
			out = appendExtDesktopSize(out, reason, 0, sw, sh)
			n++
			c.extSent = true
			c.setSize(sw, sh)
			forced = geom.Rect{W: sw, H: sh}
		case p.desktopSize:
			out = appendHeader(out, geom.Rect{W: sw, H: sh}, EncDesktopSize)
			n++
			c.setSize(sw, sh)
			forced = geom.Rect{W: sw, H: sh}
		}
	}
	if p.extDesktopSize && refuse {
		out = appendExtDesktopSize(out, 1, extSizeProhibited, c.w, c.h)
		n++
		c.extSent = true
	} else if p.extDesktopSize && accept {
		// Granted at the size the client has already.
		out = appendExtDesktopSize(out, 1, 0, c.w, c.h)
		n++
		c.extSent = true
	} else if p.extDesktopSize && !c.extSent {
		// The first one tells the client that the server speaks it.
		out = appendExtDesktopSize(out, 0, 0, c.w, c.h)
		n++
		c.extSent = true
	}
	if pfChanged {
		c.enc.SetPixelFormat(pf)
		// Everything the client has is in the old format.
		forced = forced.Union(geom.Rect{W: c.w, H: c.h})
	}
	c.enc.SetCompression(p.level, p.quality)
	if p.curs && cursor != nil && (!c.cursorValid || cursor.Serial != c.cursorSent) {
		out = c.appendCursor(out, cursor)
		n++
		c.cursorSent, c.cursorValid = cursor.Serial, true
	}
	screen := geom.Rect{W: min(c.w, sw), H: min(c.h, sh)}
	area := forced.Union(dirty).Intersect(screen)
	if !area.Empty() {
		buf := make([]byte, area.W*area.H*4)
		if err := c.s.src.Capture(area, buf); err != nil {
			c.log.Debug("capture failed", "area", area, "err", err)
			c.mu.Lock()
			c.forced, c.dirty = c.forced.Union(forced), c.dirty.Union(dirty)
			c.mu.Unlock()
			return false, nil
		}
		stride := c.w * 4
		for y := range area.H {
			copy(c.cur[(area.Y+y)*stride+area.X*4:], buf[y*area.W*4:(y+1)*area.W*4])
		}
		for _, r := range c.changed(area, forced.Intersect(screen)) {
			rest := []geom.Rect{r}
			if p.copyRect {
				var k int
				out, k, rest = c.scroll(out, r)
				n += k
			}
			for _, r := range rest {
				var k int
				out, k = c.enc.AppendRect(out, p.enc, c.cur, stride, r)
				n += k
				c.sent(r)
			}
		}
	}
	c.mu.Lock()
	if resize {
		c.resize = false
	}
	if pfChanged && c.pf == pf {
		c.pfChanged = false
	}
	if n > 0 {
		c.requested = false
	}
	c.mu.Unlock()
	if n == 0 {
		return false, nil
	}
	if n > 0xffff {
		return false, fmt.Errorf("update of %d rectangles", n)
	}
	hdr := []byte{0, 0}
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	if _, err := bw.Write(hdr); err != nil {
		return false, err
	}
	_, err := bw.Write(out)
	return true, err
}

// changed splits area into 64x64 tiles and returns the runs of tiles
// that differ from what the client has (or that it asked for outright),
// merged along each row of tiles and then down identical columns.
func (c *conn) changed(area, forced geom.Rect) []geom.Rect {
	const tile = 64
	stride := c.w * 4
	var rows [][]geom.Rect
	for ty := area.Y / tile * tile; ty < area.Y+area.H; ty += tile {
		var row []geom.Rect
		for tx := area.X / tile * tile; tx < area.X+area.W; tx += tile {
			t := geom.Rect{X: tx, Y: ty, W: tile, H: tile}.Intersect(area)
			if t.Empty() {
				continue
			}
			diff := !t.Intersect(forced).Empty()
			for y := t.Y; !diff && y < t.Y+t.H; y++ {
				o := y*stride + t.X*4
				diff = !bytes.Equal(c.cur[o:o+t.W*4], c.have[o:o+t.W*4])
			}
			if !diff {
				continue
			}
			if n := len(row); n > 0 && row[n-1].X+row[n-1].W == t.X {
				row[n-1].W += t.W
			} else {
				row = append(row, t)
			}
		}
		rows = append(rows, row)
	}
	var out []geom.Rect
	var open []geom.Rect
	for _, row := range rows {
		var next []geom.Rect
		for _, r := range row {
			merged := false
			for i, o := range open {
				if o.X == r.X && o.W == r.W && o.Y+o.H == r.Y {
					open[i].H += r.H
					next = append(next, open[i])
					open = append(open[:i], open[i+1:]...)
					merged = true
					break
				}
			}
			if !merged {
				next = append(next, r)
			}
		}
		out = append(out, open...)
		open = next
	}
	return append(out, open...)
}

// appendCursor appends a Cursor pseudo-rectangle: the shape in the
// client's pixel format and a one-bit mask of its opaque pixels.
func (c *conn) appendCursor(out []byte, cur *Cursor) []byte {
	w, h := cur.W, cur.H
	if len(cur.Pix) < w*h*4 || w > 256 || h > 256 {
		w, h = 0, 0
	}
	out = appendHeader(out, geom.Rect{X: cur.XHot, Y: cur.YHot, W: w, H: h}, EncCursor)
	conv := c.enc.conv
	for i := range w * h {
		p := cur.Pix[i*4 : i*4+4]
		a := int(p[3])
		px := []byte{0, 0, 0, 0}
		if a > 0 {
			for j := range 3 {
				px[j] = byte(min(255, int(p[j])*255/a))
			}
		}
		out = conv.put(out, conv.pixel(px))
	}
	for y := range h {
		var acc byte
		for x := range w {
			if cur.Pix[(y*w+x)*4+3] >= 128 {
				acc |= 0x80 >> (x % 8)
			}
			if x%8 == 7 || x == w-1 {
				out = append(out, acc)
				acc = 0
			}
		}
	}
	return out
}

// sent records that the client now has area r of cur.
func (c *conn) sent(r geom.Rect) {
	stride := c.w * 4
	for y := r.Y; y < r.Y+r.H; y++ {
		copy(c.have[y*stride+r.X*4:y*stride+(r.X+r.W)*4], c.cur[y*stride+r.X*4:])
	}
}

// minScroll is the fewest rows worth a CopyRect.
const minScroll = 32

// scroll looks for a vertical move inside r: a band of rows whose new
// content is what the client already has some rows above or below (a
// scrolled terminal, a dragged window). It appends a CopyRect for the
// largest such band and returns what is left of r to encode.
func (c *conn) scroll(out []byte, r geom.Rect) ([]byte, int, []geom.Rect) {
	if r.H < minScroll*2 {
		return out, 0, []geom.Rect{r}
	}
	stride := c.w * 4
	row := func(buf []byte, y int) []byte { return buf[y*stride+r.X*4 : y*stride+(r.X+r.W)*4] }
	uniform := func(b []byte) bool {
		for i := 4; i < len(b); i += 4 {
			if b[i] != b[0] || b[i+1] != b[1] || b[i+2] != b[2] {
				return false
			}
		}
		return true
	}
	// Index the client's rows over the whole height by content.
	seed := maphash.MakeSeed()
	have := map[uint64][]int{}
	for y := range c.h {
		b := row(c.have, y)
		if !uniform(b) {
			k := maphash.Bytes(seed, b)
			if len(have[k]) < 4 {
				have[k] = append(have[k], y)
			}
		}
	}
	bestDY, bestY, bestN := 0, 0, 0
	tried := map[int]bool{}
	for _, probe := range []int{r.H / 2, r.H / 4, 3 * r.H / 4} {
		y := r.Y + probe
		b := row(c.cur, y)
		if uniform(b) {
			continue
		}
		for _, sy := range have[maphash.Bytes(seed, b)] {
			dy := sy - y
			if dy == 0 || tried[dy] || !bytes.Equal(row(c.have, sy), b) {
				continue
			}
			tried[dy] = true
			// Grow the band around y while rows match.
			y0, y1 := y, y+1
			for y0 > r.Y && y0-1+dy >= 0 && bytes.Equal(row(c.cur, y0-1), row(c.have, y0-1+dy)) {
				y0--
			}
			for y1 < r.Y+r.H && y1+dy < c.h && bytes.Equal(row(c.cur, y1), row(c.have, y1+dy)) {
				y1++
			}
			if y1-y0 > bestN {
				bestDY, bestY, bestN = dy, y0, y1-y0
			}
		}
	}
	if bestN < minScroll {
		return out, 0, []geom.Rect{r}
	}
	band := geom.Rect{X: r.X, Y: bestY, W: r.W, H: bestN}
	out = c.enc.AppendCopyRect(out, band, r.X, bestY+bestDY)
	c.sent(band)
	var rest []geom.Rect
	if above := (geom.Rect{X: r.X, Y: r.Y, W: r.W, H: bestY - r.Y}); !above.Empty() {
		rest = append(rest, above)
	}
	if below := (geom.Rect{X: r.X, Y: bestY + bestN, W: r.W, H: r.Y + r.H - bestY - bestN}); !below.Empty() {
		rest = append(rest, below)
	}
	return out, 1, rest
}

// ExtendedDesktopSize statuses; reason 1 answers the client's request.
const extSizeProhibited = 1

// appendExtDesktopSize appends an ExtendedDesktopSize pseudo-rectangle
// with one screen covering the framebuffer.
func appendExtDesktopSize(out []byte, reason, status, w, h int) []byte {
	out = appendHeader(out, geom.Rect{X: reason, Y: status, W: w, H: h}, EncExtendedDesktopSize)
	out = append(out, 1, 0, 0, 0)
	out = binary.BigEndian.AppendUint32(out, 0) // screen id
	out = binary.BigEndian.AppendUint16(out, 0)
	out = binary.BigEndian.AppendUint16(out, 0)
	out = binary.BigEndian.AppendUint16(out, uint16(w))
	out = binary.BigEndian.AppendUint16(out, uint16(h))
	return binary.BigEndian.AppendUint32(out, 0) // flags
}
