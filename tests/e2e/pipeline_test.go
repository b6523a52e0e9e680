package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image/jpeg"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11/x11test"
	"github.com/xroam/xroam/core/xpra"
)

// The adaptive pipeline seen from the wire (issue 6): control commands
// that change the encoding and quality mid-session, the bandwidth limit
// (the server's and the client's), and the lossless refresh after jpeg.

// rawDraw is one draw a rawClient received.
type rawDraw struct {
	wid     int64
	enc     string
	bytes   int
	quality int64
	at      time.Time
}

// rawClient is a test-side xpra client on the wire: it maps every window
// it is told of, paints rgb32 and jpeg draws into a canvas per window
// and acks every draw.
type rawClient struct {
	t  *testing.T
	nc net.Conn

	wmu sync.Mutex
	w   *wire.Writer

	mu    sync.Mutex
	wins  map[int64]*rawWin
	draws []rawDraw
	err   error
	// hold holds back the acks of some windows; held are their seqs.
	hold map[int64]bool
	held map[int64][]int64
}

type rawWin struct {
	w, h int
	pix  []byte // BGRX
}

func rawAttach(t *testing.T, sock string, hello wire.Dict) *rawClient {
	t.Helper()
	base := wire.Dict{"encodings": []string{"rgb32", "rgb24", "jpeg"}, "encoding": "rgb32", "windows": true}
	for k, v := range hello {
		base[k] = v
	}
	nc, r := nxConnect(t, sock, base)
	c := &rawClient{t: t, nc: nc, w: wire.NewWriter(nc), wins: map[int64]*rawWin{}, hold: map[int64]bool{}, held: map[int64][]int64{}}
	go c.read(r)
	return c
}

func (c *rawClient) send(pkt wire.Packet) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.w.WritePacket(pkt)
}

func (c *rawClient) read(r *wire.Reader) {
	for {
		pkt, err := r.ReadPacket()
		if err != nil {
			return
		}
		switch pkt.Type() {
		case xpra.TypeNewWindow:
			nw, err := xpra.ParseNewWindow(pkt)
			if err != nil {
				continue
			}
			c.mu.Lock()
			c.wins[nw.WID] = &rawWin{w: int(nw.Width), h: int(nw.Height), pix: make([]byte, nw.Width*nw.Height*4)}
			c.mu.Unlock()
			c.send(xpra.MapWindow{WID: nw.WID, X: nw.X, Y: nw.Y, Width: nw.Width, Height: nw.Height}.Packet())
		case xpra.TypeDraw:
			c.draw(pkt)
		}
	}
}

func (c *rawClient) draw(pkt wire.Packet) {
	d, _ := xpra.ParseDraw(pkt)
	wid, x, y, w, h, seq, enc, data := d.WID, d.X, d.Y, d.Width, d.Height, d.Sequence, d.Coding, d.Bytes()
	start := time.Now()
	px, err := decodeTestDraw(enc, data, int(w), int(h))
	c.mu.Lock()
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("draw %d (%s): %w", seq, enc, err)
	}
	if win := c.wins[wid]; win != nil && err == nil && int(x+w) <= win.w && int(y+h) <= win.h {
		for row := 0; row < int(h); row++ {
			copy(win.pix[((int(y)+row)*win.w+int(x))*4:], px[row*int(w)*4:(row+1)*int(w)*4])
		}
	}
	c.draws = append(c.draws, rawDraw{wid: wid, enc: enc, bytes: len(data), quality: d.Options.Int("quality", -1), at: time.Now()})
	hold := c.hold[wid]
	if hold {
		c.held[wid] = append(c.held[wid], seq)
	}
	c.mu.Unlock()
	if !hold {
		c.send(xpra.DamageSequence{Sequence: seq, WID: wid, Width: w, Height: h, DecodeTime: time.Since(start).Microseconds()}.Packet())
	}
}

// holdAcks stops acking window wid's draws (or, with false, acks the
// held ones and goes on acking).
func (c *rawClient) holdAcks(wid int64, on bool) {
	c.mu.Lock()
	c.hold[wid] = on
	var seqs []int64
	if !on {
		seqs, c.held[wid] = c.held[wid], nil
	}
	c.mu.Unlock()
	for _, s := range seqs {
		c.send(xpra.DamageSequence{Sequence: s, WID: wid}.Packet())
	}
}

// count is the number of draws of window wid since t.
func (c *rawClient) count(wid int64, t time.Time) int {
	n := 0
	for _, d := range c.since(t) {
		if d.wid == wid {
			n++
		}
	}
	return n
}

// decodeTestDraw decodes rgb32 (BGRX, lz4) and jpeg draws into BGRX.
func decodeTestDraw(enc string, data []byte, w, h int) ([]byte, error) {
	switch enc {
	case "rgb32":
		if len(data) < 4 {
			return nil, fmt.Errorf("short rgb32 data")
		}
		n := int(binary.LittleEndian.Uint32(data))
		if n != w*h*4 {
			return nil, fmt.Errorf("rgb32 of %d bytes for %dx%d", n, w, h)
		}
		out := make([]byte, n)
		if _, err := lz4.UncompressBlock(data[4:], out); err != nil {
			return nil, err
		}
		return out, nil
	case "jpeg":
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		out := make([]byte, w*h*4)
		for yy := 0; yy < h; yy++ {
			for xx := 0; xx < w; xx++ {
				r, g, b, _ := img.At(img.Bounds().Min.X+xx, img.Bounds().Min.Y+yy).RGBA()
				i := (yy*w + xx) * 4
				out[i], out[i+1], out[i+2] = byte(b>>8), byte(g>>8), byte(r>>8)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected encoding %q", enc)
}

// since returns the draws received after t.
func (c *rawClient) since(t time.Time) []rawDraw {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []rawDraw
	for _, d := range c.draws {
		if !d.at.Before(t) {
			out = append(out, d)
		}
	}
	return out
}

// encoded returns the draws received after t in encoding enc.
func (c *rawClient) encoded(t time.Time, enc string) []rawDraw {
	var out []rawDraw
	for _, d := range c.since(t) {
		if d.enc == enc {
			out = append(out, d)
		}
	}
	return out
}

// waitDraw waits for a draw after t that satisfies ok.
func (c *rawClient) waitDraw(t time.Time, what string, ok func(rawDraw) bool) rawDraw {
	c.t.Helper()
	deadline := time.Now().Add(Patience)
	for time.Now().Before(deadline) {
		for _, d := range c.since(t) {
			if ok(d) {
				return d
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no %s draw within %v; got %d draws", what, Patience, len(c.since(t)))
	return rawDraw{}
}

// settle waits until no draw came for quiet.
func (c *rawClient) settle(quiet time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(quiet / 4)
		c.mu.Lock()
		var last time.Time
		if len(c.draws) > 0 {
			last = c.draws[len(c.draws)-1].at
		}
		c.mu.Unlock()
		if !last.IsZero() && time.Since(last) >= quiet {
			return
		}
	}
	c.t.Fatal("the draws never stopped")
}

// samePixels compares the canvas of the only window with the server's
// window (RGB only: the X byte is undefined).
func (c *rawClient) samePixels(srvDisplay int, xid uint32) error {
	c.mu.Lock()
	n := len(c.wins)
	var wid int64
	for w := range c.wins {
		wid = w
	}
	c.mu.Unlock()
	if n != 1 {
		return fmt.Errorf("%d windows on the client", n)
	}
	return c.sameWindow(srvDisplay, xid, wid)
}

// sameWindow compares the canvas of window wid with the server's window
// xid.
func (c *rawClient) sameWindow(srvDisplay int, xid uint32, wid int64) error {
	snap, err := x11test.SnapshotWindow(context.Background(), fmt.Sprintf(":%d", srvDisplay), xid)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	if win := c.wins[wid]; win != nil {
		if win.w != snap.Width || win.h != snap.Height {
			return fmt.Errorf("client window %dx%d, server %dx%d", win.w, win.h, snap.Width, snap.Height)
		}
		diff := 0
		for i := 0; i+3 < len(win.pix); i += 4 {
			if win.pix[i] != snap.Pix[i] || win.pix[i+1] != snap.Pix[i+1] || win.pix[i+2] != snap.Pix[i+2] {
				diff++
			}
		}
		if diff > 0 {
			return fmt.Errorf("%d of %d pixels differ", diff, win.w*win.h)
		}
		return nil
	}
	return fmt.Errorf("no window %d on the client", wid)
}

// TestControlPictureMidSession: `xroam control` switches an attached
// client from rgb32 to jpeg (the next draws are jpeg), sets the jpeg
// quality, and switches back; bad values are refused.
func TestControlPictureMidSession(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--plugin-dir="+suite.PluginDir, "--auto-refresh-delay=0",
		"--start=xterm -T pic -geometry 50x8 -e sh -c 'while :; do date +%T.%N; sleep 0.05; done'")
	WaitWindow(t, n, "pic")
	disp := fmt.Sprintf(":%d", n)
	c := rawAttach(t, e.Socket(n), nil)
	c.waitDraw(time.Time{}, "rgb32", func(d rawDraw) bool { return d.enc == "rgb32" })

	if out := e.MustRun("control", disp, "encoding", "jpeg"); !strings.Contains(out, "jpeg for 1 of 1") {
		t.Errorf("control encoding jpeg: %q", out)
	}
	switched := time.Now()
	c.waitDraw(switched, "jpeg", func(d rawDraw) bool { return d.enc == "jpeg" })
	e.MustRun("control", disp, "quality", "40")
	set := time.Now()
	first := c.waitDraw(set, "quality 40 jpeg", func(d rawDraw) bool { return d.enc == "jpeg" && d.quality == 40 })
	// Draws come in order: every one after the first of quality 40 is
	// of quality 40 too (the clock prints every 50 ms, so more come).
	WaitFor(t, "more draws after the first of quality 40", func() bool { return len(c.since(first.at)) >= 4 })
	for _, d := range c.since(first.at) {
		if d.enc != "jpeg" || d.quality != 40 {
			t.Errorf("a %s draw of quality %d after quality 40", d.enc, d.quality)
			break
		}
	}
	e.MustRun("control", disp, "encoding", "rgb")
	back := time.Now()
	c.waitDraw(back, "rgb32 again", func(d rawDraw) bool { return d.enc == "rgb32" })

	for _, bad := range [][]string{{"quality", "200"}, {"speed", "fast"}, {"encoding", "nosuch"}, {"auto-refresh", "-1"}} {
		if out, code := e.Run(append([]string{"control", disp}, bad...)...); code == 0 {
			t.Errorf("control %v succeeded: %q", bad, out)
		}
	}
	if out := e.MustRun("control", disp, "speed", "90"); !strings.Contains(out, "speed set to 90") {
		t.Errorf("control speed: %q", out)
	}
}

// TestBandwidthLimitOnTheWire: with a 1 Mbps limit, the server's or the
// client's own, an xterm that writes as fast as it can is sent at about
// 125 KB/s, and its final picture arrives complete.
func TestBandwidthLimitOnTheWire(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		server string
		hello  wire.Dict
		packet bool // the client sends its limit in a bandwidth-limit packet
	}{
		{"server", "--bandwidth-limit=1Mbps", nil, false},
		{"client", "--bandwidth-limit=auto", wire.Dict{"bandwidth-limit": int64(1_000_000)}, false},
		{"packet", "--bandwidth-limit=0", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := suite.NewEnv(t)
			stopFile := filepath.Join(e.Home, "stop")
			n := e.Start(tc.server, "--encoding=rgb",
				"--start=xterm -T bw -geometry 80x30 -e sh -c 'while [ ! -e "+stopFile+" ]; do head -c 3000 /dev/urandom | base64; done; echo done; exec cat'")
			srv := WaitWindow(t, n, "bw")
			c := rawAttach(t, e.Socket(n), tc.hello)
			c.waitDraw(time.Time{}, "first", func(rawDraw) bool { return true })
			if tc.packet {
				c.send(xpra.BandwidthLimit{BPS: 1_000_000}.Packet())
				time.Sleep(500 * time.Millisecond) // what was sent before it
			}
			start := time.Now()
			time.Sleep(4 * time.Second)
			var sent, largest int
			for _, d := range c.since(start) {
				sent += d.bytes
				largest = max(largest, d.bytes)
			}
			elapsed := time.Since(start)
			t.Logf("%d bytes in %v: %.0f kbit/s; largest draw %d bytes", sent, elapsed, float64(sent)*8/elapsed.Seconds()/1000, largest)
			if bound := int(125_000*elapsed.Seconds()*1.3) + 2*largest; sent > bound {
				t.Errorf("%d bytes in %v: over the 1 Mbps limit (bound %d)", sent, elapsed, bound)
			}
			if err := os.WriteFile(stopFile, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				c.settle(1500 * time.Millisecond)
				err := c.samePixels(n, srv.ID)
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the final picture never arrived: %v", err)
				}
			}
		})
	}
}

// TestAutoRefreshAfterJpeg: jpeg draws while an xterm writes; once it
// stops, the lossless refresh makes the client's pixels exact.
func TestAutoRefreshAfterJpeg(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	stopFile := filepath.Join(e.Home, "stop")
	n := e.Start("--plugin-dir="+suite.PluginDir, "--encoding=jpeg", "--auto-refresh-delay=0.3",
		"--start=xterm -T ar -geometry 60x12 -e sh -c 'i=0; while [ ! -e "+stopFile+" ]; do i=$((i+1)); echo line $i; sleep 0.02; done; echo stopped; exec cat'")
	srv := WaitWindow(t, n, "ar")
	c := rawAttach(t, e.Socket(n), wire.Dict{"encoding": "jpeg"})
	WaitFor(t, "jpeg draws of the scrolling lines", func() bool { return len(c.encoded(time.Time{}, "jpeg")) >= 5 })
	stopped := time.Now()
	if err := os.WriteFile(stopFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// The loop's last line ("stopped") is drawn in jpeg after the stop,
	// lines may pause for longer than the refresh delay on a busy
	// machine, so the refresh that counts is one after that draw: the
	// last draw is lossless, and the picture exact.
	WaitFor(t, "a lossless refresh after the last jpeg draw", func() bool {
		last := c.since(stopped)
		return len(c.encoded(stopped, "jpeg")) > 0 && last[len(last)-1].enc == "rgb32" && c.samePixels(n, srv.ID) == nil
	})
	c.settle(time.Second)
	if err := c.samePixels(n, srv.ID); err != nil {
		var encs []string
		for _, d := range c.since(stopped) {
			encs = append(encs, d.enc)
		}
		t.Fatalf("after the refresh: %v (draws since the stop: %v)", err, encs)
	}
	var jpegs int
	for _, d := range c.since(time.Time{}) {
		if d.enc == "jpeg" {
			jpegs++
		}
	}
	if jpegs == 0 {
		t.Error("no jpeg draws at all")
	}
	last := c.since(stopped)
	if len(last) == 0 || last[len(last)-1].enc != "rgb32" {
		t.Errorf("the last draw is not the lossless refresh: %v", last)
	}
	if r := e.infoInt(n, "encodings.refreshes"); r < 1 {
		t.Errorf("info counts %d refreshes", r)
	}
}

// TestSlowClientWindow: a client that stops acking one window's draws
// gets no more of them than the flow control allows, while its other
// window keeps flowing; once it acks again, both windows end up exact.
func TestSlowClientWindow(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	stopFile := filepath.Join(e.Home, "stop")
	loop := func(title string) string {
		return "--start=xterm -T " + title + " -geometry 60x12 -e sh -c 'i=0; while [ ! -e " + stopFile + " ]; do i=$((i+1)); echo " + title + " $i; sleep 0.01; done; exec cat'"
	}
	n := e.Start("--encoding=rgb", loop("held"), loop("acked"))
	held := WaitWindow(t, n, "held")
	acked := WaitWindow(t, n, "acked")
	c := rawAttach(t, e.Socket(n), nil)
	widOf := func(xid uint32) int64 {
		t.Helper()
		var wid int64
		WaitFor(t, "the client's window ids", func() bool {
			info := e.MustRun("info", fmt.Sprintf(":%d", n))
			for _, l := range strings.Split(info, "\n") {
				// windows.N.id=XID next to windows.N.wid=WID
				if k, v, ok := strings.Cut(l, "="); ok && strings.HasSuffix(k, ".id") && v == fmt.Sprint(xid) {
					w := e.infoInt(n, strings.TrimSuffix(k, ".id")+".wid")
					if w > 0 {
						wid = w
						return true
					}
				}
			}
			return false
		})
		return wid
	}
	hw, aw := widOf(held.ID), widOf(acked.ID)
	c.waitDraw(time.Time{}, "first", func(d rawDraw) bool { return d.wid == hw })
	c.holdAcks(hw, true)
	start := time.Now()
	// The other window flows meanwhile: wait for a good number of its
	// draws, within the 5 s ack timeout (held draws do not expire
	// before it, so the count of the held window's draws still means
	// something).
	const flowing = 10
	for time.Since(start) < 4500*time.Millisecond && c.count(aw, start) < flowing {
		time.Sleep(50 * time.Millisecond)
	}
	heldDraws, ackedDraws := c.count(hw, start), c.count(aw, start)
	t.Logf("in %v: %d draws of the window whose acks were held, %d of the other", time.Since(start).Round(time.Millisecond), heldDraws, ackedDraws)
	// At most three unacknowledged draws per window.
	if heldDraws > 3 {
		t.Errorf("%d draws of a window whose acks were held", heldDraws)
	}
	if ackedDraws < flowing {
		t.Errorf("the other window got only %d draws: it stalled", ackedDraws)
	}
	c.holdAcks(hw, false)
	if err := os.WriteFile(stopFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c.settle(time.Second)
		err1 := c.sameWindow(n, held.ID, hw)
		err2 := c.sameWindow(n, acked.ID, aw)
		if err1 == nil && err2 == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the final pixels never arrived: %v / %v", err1, err2)
		}
	}
}

// TestAutoModeVideoRate: with no encoding asked for, an xterm that
// prints a line now and then gets rgb32 draws; flooded with output (the
// whole window scrolling at video rate) it gets jpeg; once it stops, the
// lossless refresh makes the client's pixels exact.
func TestAutoModeVideoRate(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	goFile := filepath.Join(e.Home, "go")
	stopFile := filepath.Join(e.Home, "stop")
	typedFile := filepath.Join(e.Home, "typed")
	n := e.Start("--plugin-dir="+suite.PluginDir, "--auto-refresh-delay=0.3",
		"--start=xterm -T auto -geometry 80x30 -e sh -c 'for i in 1 2 3 4 5; do echo typing $i; sleep 0.2; done; touch "+typedFile+"; "+
			"while [ ! -e "+goFile+" ]; do sleep 0.1; done; "+
			"while [ ! -e "+stopFile+" ]; do head -c 3000 /dev/urandom | base64; done; echo done; exec cat'")
	srv := WaitWindow(t, n, "auto")
	c := rawAttach(t, e.Socket(n), wire.Dict{"encoding": "auto"})
	WaitFor(t, "the typing to end", func() bool { _, err := os.Stat(typedFile); return err == nil })
	c.waitDraw(time.Time{}, "first", func(rawDraw) bool { return true })
	c.settle(500 * time.Millisecond)
	for _, d := range c.since(time.Time{}) {
		if d.enc != "rgb32" {
			t.Fatalf("a %s draw before the flood", d.enc)
		}
	}
	if err := os.WriteFile(goFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	flood := time.Now()
	c.waitDraw(flood, "jpeg", func(d rawDraw) bool { return d.enc == "jpeg" })
	WaitFor(t, "more jpeg draws of the flood", func() bool { return len(c.encoded(flood, "jpeg")) >= 5 })
	if err := os.WriteFile(stopFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c.settle(time.Second)
		err := c.samePixels(n, srv.ID)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the final picture never became exact: %v", err)
		}
	}
	var encs = map[string]int{}
	for _, d := range c.since(flood) {
		encs[d.enc]++
	}
	t.Logf("draws during and after the flood: %v", encs)
}

// TestXpraClientScroll: Debian's 3.1.3 client, which paints scroll
// draws, gets an xterm's scrolling as scroll draws plus the new lines,
// and shows exactly the server's pixels.
func TestXpraClientScroll(t *testing.T) {
	t.Parallel()
	needXpraPainting(t)
	e := suite.NewEnv(t)
	goFile := filepath.Join(e.Home, "go")
	doneFile := filepath.Join(e.Home, "done")
	n := e.Start("--encoding=rgb", "--start=xterm -T scr -geometry 60x20 -e sh -c 'seq 1 40; "+
		"while [ ! -e "+goFile+" ]; do sleep 0.1; done; i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo scrolled line $i; sleep 0.1; done; touch "+doneFile+"; exec cat'")
	srv := WaitWindow(t, n, "scr")
	cd := ClientDisplay(t)
	out, stop := e.srvAttachXpra(t, "socket://"+e.Socket(n), cd, "--encoding=rgb")
	defer func() {
		if t.Failed() {
			stop()
			t.Logf("xpra attach output:\n%s", Tail(out.String(), 3000))
			b, _ := os.ReadFile(filepath.Join(e.SockDir, fmt.Sprintf(":%d.log", n)))
			var keep []string
			for _, l := range strings.Split(string(b), "\n") {
				if !strings.Contains(l, "request=info") {
					keep = append(keep, l)
				}
			}
			t.Logf("server log:\n%s", Tail(strings.Join(keep, "\n"), 4000))
		}
	}()
	cli := WaitWindow(t, cd, "scr")
	srvWaitSamePixels(t, n, srv.ID, cd, cli.ID)
	if err := os.WriteFile(goFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "scroll draws", func() bool { return e.infoInt(n, "encodings.draws.scroll") >= 5 })
	WaitFor(t, "the 40 lines", func() bool { _, err := os.Stat(doneFile); return err == nil })
	srvWaitSamePixels(t, n, srv.ID, cd, cli.ID)
	info := e.MustRun("info", fmt.Sprintf(":%d", n))
	t.Logf("%s", GrepLines(info, "encodings.draws"))
}

// TestAttachScroll: `xroam attach` announces that it paints scroll draws,
// gets an xterm's scrolling as scroll draws plus the new lines, and
// shows exactly the server's pixels.
func TestAttachScroll(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	goFile := filepath.Join(e.Home, "go")
	doneFile := filepath.Join(e.Home, "done")
	n := e.Start("--encoding=rgb", "--start=xterm -T ascr -geometry 60x20 -e sh -c 'seq 1 40; "+
		"while [ ! -e "+goFile+" ]; do sleep 0.1; done; i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo scrolled line $i; sleep 0.1; done; touch "+doneFile+"; exec cat'")
	srv := WaitWindow(t, n, "ascr")
	cd := ClientDisplay(t)
	a := e.Attach(cd, fmt.Sprintf(":%d", n), "--socket-dir="+e.SockDir)
	defer func() {
		if t.Failed() {
			t.Logf("attach output:\n%s", Tail(a.Out.String(), 3000))
		}
	}()
	cli := WaitWindow(t, cd, "ascr")
	SamePixels(t, n, srv.ID, cd, cli.ID, 0)
	if err := os.WriteFile(goFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "scroll draws", func() bool { return e.infoInt(n, "encodings.draws.scroll") >= 5 })
	WaitFor(t, "the 40 lines", func() bool { _, err := os.Stat(doneFile); return err == nil })
	SamePixels(t, n, srv.ID, cd, cli.ID, 0)
	t.Logf("%s", GrepLines(e.MustRun("info", fmt.Sprintf(":%d", n)), "encodings.draws"))
}
