package rfb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/sdk/auth"
)

// memScreen is an in-memory BGRX screen.
type memScreen struct {
	mu   sync.Mutex
	w, h int
	pix  []byte
}

func (m *memScreen) Capture(r geom.Rect, dst []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.X < 0 || r.Y < 0 || r.X+r.W > m.w || r.Y+r.H > m.h {
		return fmt.Errorf("capture %v outside %dx%d", r, m.w, m.h)
	}
	for y := range r.H {
		copy(dst[y*r.W*4:], m.pix[((r.Y+y)*m.w+r.X)*4:((r.Y+y)*m.w+r.X+r.W)*4])
	}
	return nil
}

// paint fills the test screen with areas each encoder treats differently:
// noise, a gradient, a few colours, a solid block, text-like stripes.
func (m *memScreen) paint(seed uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rng := rand.New(rand.NewPCG(seed, 1))
	for y := range m.h {
		for x := range m.w {
			p := m.pix[(y*m.w+x)*4:]
			switch {
			case x < m.w/4:
				p[0], p[1], p[2] = byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())
			case x < m.w/2:
				p[0], p[1], p[2] = byte(x*3), byte(y*2), byte(x+y)
			case y < m.h/3:
				c := byte((x/7 + y/5) % 3 * 100)
				p[0], p[1], p[2] = c, 255-c, c/2
			case y < 2*m.h/3:
				p[0], p[1], p[2] = 10, 200, 30
			default:
				c := byte(0)
				if (x*y+int(seed))%11 < 3 {
					c = 255
				}
				p[0], p[1], p[2] = c, c, c
			}
			p[3] = 0
		}
	}
}

// scrollUp moves the whole screen up by dy rows and paints new rows.
func (m *memScreen) scrollUp(dy int) {
	m.mu.Lock()
	copy(m.pix, m.pix[dy*m.w*4:])
	for i := (m.h - dy) * m.w * 4; i < len(m.pix); i++ {
		m.pix[i] = byte(i * 7)
	}
	m.mu.Unlock()
}

// want is the screen converted to pf, as the decoder should hold it.
func (m *memScreen) want(pf PixelFormat) []uint32 {
	c := newConverter(pf)
	out := make([]uint32, m.w*m.h)
	for i := range out {
		out[i] = c.pixel(m.pix[i*4:])
	}
	return out
}

// client is a test RFB client over a real loopback TCP connection.
type client struct {
	t   *testing.T
	nc  net.Conn
	r   *bufio.Reader
	dec *Decoder
}

func serve(t *testing.T, scr *Screen, opts Options) (addr string, errs chan error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errs = make(chan error, 8)
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); errs <- scr.Serve(ctx, nc, opts) }()
		}
	}()
	return l.Addr().String(), errs
}

func dial(t *testing.T, addr string, minor int, password string) (*client, ClientInfo, error) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	info, err := ClientHandshake(nc, minor, password)
	if err != nil {
		return nil, info, err
	}
	dec, err := NewDecoder(info.PF, info.W, info.H)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, nc: nc, r: bufio.NewReader(nc), dec: dec}, info, nil
}

func (c *client) send(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// update requests an update and decodes the answer.
func (c *client) update(incremental bool) {
	c.t.Helper()
	c.send(AppendUpdateRequest(nil, incremental, geom.Rect{X: 0, Y: 0, W: c.dec.W, H: c.dec.H}))
	for {
		t, err := c.dec.ReadMessage(c.r)
		if err != nil {
			c.t.Fatal(err)
		}
		if t == 0 {
			return
		}
	}
}

func (c *client) check(m *memScreen, what string) {
	c.t.Helper()
	want := m.want(c.dec.PF)
	mask := c.dec.conv.maskRGBMax
	bad := 0
	for i := range want {
		if want[i] != c.dec.Pix[i]&mask {
			if bad == 0 {
				c.t.Errorf("%s: pixel %d,%d is %#x, want %#x", what, i%m.w, i/m.w, c.dec.Pix[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		c.t.Errorf("%s: %d of %d pixels differ", what, bad, len(want))
	}
}

var formats = map[string]PixelFormat{
	"bgrx32le":  ServerPixelFormat(),
	"rgbx32be":  {BPP: 32, Depth: 24, BigEndian: true, TrueColor: true, RedMax: 255, GreenMax: 255, BlueMax: 255, RedShift: 0, GreenShift: 8, BlueShift: 16},
	"xrgb32hi":  {BPP: 32, Depth: 24, TrueColor: true, RedMax: 255, GreenMax: 255, BlueMax: 255, RedShift: 24, GreenShift: 16, BlueShift: 8},
	"rgb565le":  {BPP: 16, Depth: 16, TrueColor: true, RedMax: 31, GreenMax: 63, BlueMax: 31, RedShift: 11, GreenShift: 5, BlueShift: 0},
	"rgb555be":  {BPP: 16, Depth: 15, BigEndian: true, TrueColor: true, RedMax: 31, GreenMax: 31, BlueMax: 31, RedShift: 10, GreenShift: 5, BlueShift: 0},
	"bgr233":    {BPP: 8, Depth: 8, TrueColor: true, RedMax: 7, GreenMax: 7, BlueMax: 3, RedShift: 0, GreenShift: 3, BlueShift: 6},
	"rgb101010": {BPP: 32, Depth: 30, TrueColor: true, RedMax: 1023, GreenMax: 1023, BlueMax: 1023, RedShift: 20, GreenShift: 10, BlueShift: 0},
}

// TestEncodingsRoundTrip sends a screen in each encoding and pixel
// format, then a scrolled version of it, and decodes both with the
// client-side decoder.
func TestEncodingsRoundTrip(t *testing.T) {
	for _, enc := range []int32{EncRaw, EncZlib, EncZRLE, EncTight} {
		for name, pf := range formats {
			t.Run(fmt.Sprintf("%d/%s", enc, name), func(t *testing.T) {
				m := &memScreen{w: 203, h: 157}
				m.pix = make([]byte, m.w*m.h*4)
				m.paint(1)
				scr := NewScreen(m, m.w, m.h, nil)
				addr, _ := serve(t, scr, Options{Name: "test", Interval: time.Millisecond})
				c, info, err := dial(t, addr, 8, "")
				if err != nil {
					t.Fatal(err)
				}
				if info.W != m.w || info.H != m.h || info.Name != "test" || info.PF != ServerPixelFormat() {
					t.Fatalf("ServerInit %+v", info)
				}
				c.send(AppendSetPixelFormat(nil, pf))
				c.send(AppendSetEncodings(nil, []int32{enc, EncCopyRect, EncDesktopSize}))
				c.dec.PF, c.dec.conv = pf, newConverter(pf)
				c.update(false)
				c.check(m, "first update")
				m.scrollUp(48)
				scr.Damage(geom.Rect{X: 0, Y: 0, W: m.w, H: m.h})
				c.update(true)
				c.check(m, "after scrolling")
				if c.dec.Rects[EncCopyRect] == 0 {
					t.Error("the scroll was not sent as a CopyRect")
				}
				if c.dec.Rects[enc] == 0 {
					t.Errorf("no rectangle in encoding %d: %v", enc, c.dec.Rects)
				}
				m.paint(2)
				scr.Damage(geom.Rect{X: 10, Y: 10, W: 100, H: 100})
				scr.Damage(geom.Rect{X: 150, Y: 100, W: 50, H: 50})
				c.update(true)
				// Only the damaged areas were sent: compare those.
				want := m.want(pf)
				for _, r := range []geom.Rect{{X: 10, Y: 10, W: 100, H: 100}, {X: 150, Y: 100, W: 50, H: 50}} {
					for y := r.Y; y < r.Y+r.H; y++ {
						for x := r.X; x < r.X+r.W; x++ {
							if got := c.dec.Pix[y*m.w+x] & c.dec.conv.maskRGBMax; got != want[y*m.w+x] {
								t.Fatalf("damaged pixel %d,%d: %#x, want %#x", x, y, got, want[y*m.w+x])
							}
						}
					}
				}
			})
		}
	}
}

// TestTightJPEG: with a quality level the noisy part goes as JPEG, and it
// decodes to nearly the right colours.
func TestTightJPEG(t *testing.T) {
	m := &memScreen{w: 256, h: 128}
	m.pix = make([]byte, m.w*m.h*4)
	for y := range m.h {
		for x := range m.w {
			p := m.pix[(y*m.w+x)*4:]
			p[0], p[1], p[2] = byte(x), byte(y*2), byte(x/2+y)
		}
	}
	scr := NewScreen(m, m.w, m.h, nil)
	addr, _ := serve(t, scr, Options{Interval: time.Millisecond})
	c, _, err := dial(t, addr, 8, "")
	if err != nil {
		t.Fatal(err)
	}
	c.send(AppendSetEncodings(nil, []int32{EncTight, EncQualityLevel0 + 9}))
	c.update(false)
	want := m.want(ServerPixelFormat())
	for i, v := range c.dec.Pix {
		r1, g1, b1 := ServerPixelFormat().RGB(v)
		r2, g2, b2 := ServerPixelFormat().RGB(want[i])
		if absDiff(r1, r2) > 24 || absDiff(g1, g2) > 24 || absDiff(b1, b2) > 24 {
			t.Fatalf("pixel %d: %d,%d,%d want %d,%d,%d", i, r1, g1, b1, r2, g2, b2)
		}
	}
}

func absDiff(a, b byte) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// recInput records the input a client sends.
type recInput struct {
	mu  sync.Mutex
	log []string
}

func (r *recInput) Key(ks uint32, down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, fmt.Sprintf("key %#x %v", ks, down))
}

func (r *recInput) Pointer(b uint8, x, y int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, fmt.Sprintf("pointer %d %d,%d", b, x, y))
}

func (r *recInput) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprint(r.log)
}

// TestHandshakeVersionsAndAuth: 3.3, 3.7 and 3.8 clients, VNC
// authentication with the right and a wrong password, input delivery and
// the release of held keys when the client goes.
func TestHandshakeVersionsAndAuth(t *testing.T) {
	m := &memScreen{w: 32, h: 16}
	m.pix = make([]byte, m.w*m.h*4)
	check := func(ctx context.Context, chal, resp []byte) error {
		want, _ := auth.VNCResponse([]byte("s3cret"), chal)
		if !bytes.Equal(want, resp) {
			return errors.New("wrong password")
		}
		return nil
	}
	for _, minor := range []int{3, 7, 8} {
		in := &recInput{}
		scr := NewScreen(m, m.w, m.h, nil)
		addr, errs := serve(t, scr, Options{Check: check, Input: in})
		if _, _, err := dial(t, addr, minor, "wrong"); !errors.Is(err, ErrAuthFailed) {
			t.Errorf("3.%d: a wrong password gives %v", minor, err)
		}
		if err := <-errs; !errors.Is(err, ErrAuthFailed) {
			t.Errorf("3.%d: server side of a wrong password: %v", minor, err)
		}
		c, info, err := dial(t, addr, minor, "s3cret")
		if err != nil {
			t.Fatalf("3.%d: %v", minor, err)
		}
		if info.W != 32 {
			t.Errorf("3.%d: %+v", minor, info)
		}
		c.send(AppendKeyEvent(nil, true, 'a'))
		c.send(AppendPointerEvent(nil, 1, 5, 6))
		c.send(AppendCutText(nil, "clipboard text is ignored"))
		c.update(false)
		c.nc.Close()
		if err := <-errs; err != nil {
			t.Errorf("3.%d: %v", minor, err)
		}
		if got, want := in.String(), "[key 0x61 true pointer 1 5,6 key 0x61 false pointer 0 -1,-1]"; got != want {
			t.Errorf("3.%d: input %s, want %s", minor, got, want)
		}
	}
	// Without a check the server offers None only.
	scr := NewScreen(m, m.w, m.h, nil)
	addr, _ := serve(t, scr, Options{})
	if _, _, err := dial(t, addr, 8, ""); err != nil {
		t.Fatal(err)
	}
}

// TestBadClientMessages: malformed input ends the connection with an
// error instead of a panic or a hang.
func TestBadClientMessages(t *testing.T) {
	for name, msg := range map[string][]byte{
		"unknown type":       {99},
		"colour map":         AppendSetPixelFormat(nil, PixelFormat{BPP: 8, Depth: 8}),
		"24 bpp":             AppendSetPixelFormat(nil, PixelFormat{BPP: 24, Depth: 24, TrueColor: true, RedMax: 255, GreenMax: 255, BlueMax: 255}),
		"too many encodings": {2, 0, 0xff, 0xff},
		"huge cut text":      {6, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff},
	} {
		_, err := ReadClientMessage(bufio.NewReader(bytes.NewReader(msg)))
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestTightTwoColoursLastRow: a two-colour Tight rectangle whose rows
// pack into fewer bytes than pixels decodes to its last pixel.
func TestTightTwoColoursLastRow(t *testing.T) {
	m := &memScreen{w: 40, h: 3}
	m.pix = make([]byte, m.w*m.h*4)
	for i := 0; i < len(m.pix); i += 4 {
		if (i/4)%3 == 0 {
			m.pix[i], m.pix[i+1], m.pix[i+2] = 255, 255, 255
		}
	}
	e := NewEncoder(ServerPixelFormat())
	b, n := e.AppendRect(nil, EncTight, m.pix, m.w*4, geom.Rect{X: 0, Y: 0, W: m.w, H: m.h})
	d, err := NewDecoder(ServerPixelFormat(), m.w, m.h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ReadMessage(bytes.NewReader(append([]byte{0, 0, 0, byte(n)}, b...))); err != nil {
		t.Fatal(err)
	}
	want := m.want(ServerPixelFormat())
	for i := range want {
		if d.Pix[i] != want[i] {
			t.Fatalf("pixel %d: %#x, want %#x", i, d.Pix[i], want[i])
		}
	}
}

// TestResize: a client that takes DesktopSize gets the new size and the
// whole new screen; one that does not keeps its size and sees the part of
// the screen that fits.
func TestResize(t *testing.T) {
	m := &memScreen{w: 120, h: 80}
	m.pix = make([]byte, m.w*m.h*4)
	m.paint(6)
	scr := NewScreen(m, m.w, m.h, nil)
	addr, _ := serve(t, scr, Options{Interval: time.Millisecond})
	withDS, _, err := dial(t, addr, 8, "")
	if err != nil {
		t.Fatal(err)
	}
	withDS.send(AppendSetEncodings(nil, []int32{EncZRLE, EncDesktopSize}))
	without, _, err := dial(t, addr, 8, "")
	if err != nil {
		t.Fatal(err)
	}
	without.send(AppendSetEncodings(nil, []int32{EncZRLE}))
	withDS.update(false)
	without.update(false)

	small := &memScreen{w: 90, h: 60}
	small.pix = make([]byte, small.w*small.h*4)
	small.paint(7)
	m.mu.Lock()
	m.w, m.h, m.pix = small.w, small.h, small.pix
	m.mu.Unlock()
	scr.Resize(90, 60)
	withDS.update(true)
	if withDS.dec.Resized != 1 || withDS.dec.W != 90 || withDS.dec.H != 60 {
		t.Fatalf("after the resize the client has %dx%d (%d resizes)", withDS.dec.W, withDS.dec.H, withDS.dec.Resized)
	}
	withDS.check(small, "after the resize")
	// The other client keeps 120x80 and gets the 90x60 that exists.
	scr.Damage(geom.Rect{X: 0, Y: 0, W: 90, H: 60})
	without.update(true)
	if without.dec.Resized != 0 || without.dec.W != 120 {
		t.Fatalf("a client without DesktopSize was resized to %dx%d", without.dec.W, without.dec.H)
	}
	want := small.want(ServerPixelFormat())
	for y := range 60 {
		for x := range 90 {
			if got := without.dec.Pix[y*120+x] & without.dec.conv.maskRGBMax; got != want[y*90+x] {
				t.Fatalf("pixel %d,%d: %#x, want %#x", x, y, got, want[y*90+x])
			}
		}
	}
}

// TestExtendedDesktopSize: the layout is announced in the first update,
// a client's SetDesktopSize is answered "prohibited", and a resize of the
// screen comes as an ExtendedDesktopSize.
func TestExtendedDesktopSize(t *testing.T) {
	m := &memScreen{w: 64, h: 48}
	m.pix = make([]byte, m.w*m.h*4)
	scr := NewScreen(m, m.w, m.h, nil)
	addr, _ := serve(t, scr, Options{Interval: time.Millisecond})
	c, _, err := dial(t, addr, 8, "")
	if err != nil {
		t.Fatal(err)
	}
	c.send(AppendSetEncodings(nil, []int32{EncRaw, EncExtendedDesktopSize, EncDesktopSize}))
	c.update(false)
	if c.dec.Rects[EncExtendedDesktopSize] != 1 || c.dec.SizeStatus != 0 {
		t.Fatalf("first update: %v, status %d", c.dec.Rects, c.dec.SizeStatus)
	}
	c.send(AppendSetDesktopSize(nil, 800, 600))
	c.update(true)
	if c.dec.Rects[EncExtendedDesktopSize] != 2 || c.dec.SizeStatus != extSizeProhibited || c.dec.W != 64 {
		t.Fatalf("after SetDesktopSize: %v, status %d, %dx%d", c.dec.Rects, c.dec.SizeStatus, c.dec.W, c.dec.H)
	}
	m.mu.Lock()
	m.w, m.h, m.pix = 32, 24, make([]byte, 32*24*4)
	m.mu.Unlock()
	scr.Resize(32, 24)
	c.update(true)
	if c.dec.W != 32 || c.dec.H != 24 || c.dec.Rects[EncDesktopSize] != 0 {
		t.Fatalf("after the resize: %dx%d, %v", c.dec.W, c.dec.H, c.dec.Rects)
	}
}

// TestSetDesktopSizeGranted: with Options.Resize a client's
// SetDesktopSize resizes the screen; the client gets the new size as the
// answer to its request (reason 1, status 0), another client as a
// change of the server's, and a refused resize is answered with the
// size unchanged.
func TestSetDesktopSizeGranted(t *testing.T) {
	m := &memScreen{w: 64, h: 48}
	m.pix = make([]byte, m.w*m.h*4)
	scr := NewScreen(m, m.w, m.h, nil)
	resize := func(w, h int) (int, int, error) {
		if w > 100 || h > 100 {
			return 0, 0, errors.New("too large")
		}
		m.mu.Lock()
		m.w, m.h, m.pix = w, h, make([]byte, w*h*4)
		m.mu.Unlock()
		return w, h, nil
	}
	addr, _ := serve(t, scr, Options{Interval: time.Millisecond, Resize: resize})
	c, _, err := dial(t, addr, 8, "")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := dial(t, addr, 8, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range []*client{c, other} {
		cl.send(AppendSetEncodings(nil, []int32{EncRaw, EncExtendedDesktopSize}))
		cl.update(false)
	}
	c.send(AppendSetDesktopSize(nil, 40, 30))
	c.update(true)
	if c.dec.W != 40 || c.dec.H != 30 || c.dec.SizeStatus != 0 || c.dec.SizeReason != 1 {
		t.Fatalf("after SetDesktopSize 40x30: %dx%d, reason %d, status %d", c.dec.W, c.dec.H, c.dec.SizeReason, c.dec.SizeStatus)
	}
	other.update(true)
	if other.dec.W != 40 || other.dec.H != 30 || other.dec.SizeReason != 0 {
		t.Fatalf("the other client: %dx%d, reason %d", other.dec.W, other.dec.H, other.dec.SizeReason)
	}
	c.send(AppendSetDesktopSize(nil, 800, 600))
	c.update(true)
	if c.dec.W != 40 || c.dec.SizeStatus != extSizeProhibited || c.dec.SizeReason != 1 {
		t.Fatalf("after a refused SetDesktopSize: %dx%d, reason %d, status %d", c.dec.W, c.dec.H, c.dec.SizeReason, c.dec.SizeStatus)
	}
}
