package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/rfb"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/xclient"
)

func main() {
	xroam := flag.String("xroam", "", "the xroam binary (go build -o /tmp/xroam ./cmd/xroam)")
	seconds := flag.Int("seconds", 5, "measuring time per run")
	runs := flag.Int("runs", 3, "runs per server (the median is reported)")
	encoding := flag.String("encoding", "tight", "tight, zrle, zlib or raw")
	fps := flag.Int("fps", 60, "frames painted per second in the changing region")
	flag.Parse()
	if *xroam == "" {
		fmt.Fprintln(os.Stderr, "rfbshadow: -xroam is required")
		os.Exit(2)
	}
	x11.RouteXGBLog(slog.New(slog.DiscardHandler))
	enc := map[string]int32{"tight": rfb.EncTight, "zrle": rfb.EncZRLE, "zlib": rfb.EncZlib, "raw": rfb.EncRaw}[*encoding]
	if err := run(*xroam, time.Duration(*seconds)*time.Second, *runs, enc, *encoding, *fps); err != nil {
		fmt.Fprintln(os.Stderr, "rfbshadow:", err)
		os.Exit(1)
	}
}

// freeDisplay picks a display number that is not in use, away from the
// ones the shared bench harness uses.
func freeDisplay() int {
	for n := 140; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); errors.Is(err, os.ErrNotExist) {
			return n
		}
	}
	return 199
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 5999
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type result struct{ fps, mbps, cpu, painted float64 }

func run(xroam string, d time.Duration, runs int, enc int32, encName string, paintFPS int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := freeDisplay()
	display := fmt.Sprintf(":%d", n)
	xvfb := exec.Command("Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp", "+extension", "DAMAGE", "+extension", "MIT-SHM", "+extension", "XTEST")
	if err := xvfb.Start(); err != nil {
		return err
	}
	defer func() { _ = xvfb.Process.Kill(); _ = xvfb.Wait() }()
	for i := 0; i < 100; i++ {
		if _, err := x11.Probe(ctx, display); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	painted := &atomic.Int64{}
	if err := startPainter(ctx, display, paintFPS, painted); err != nil {
		return err
	}
	home, err := os.MkdirTemp("", "xrb")
	if err != nil {
		return err
	}
	defer os.RemoveAll(home)

	servers := []struct {
		name  string
		start func(port int) *exec.Cmd
	}{
		{"xroam shadow", func(port int) *exec.Cmd {
			c := exec.Command(xroam, "shadow", display, "--daemon=no", "--readonly", fmt.Sprintf("--bind-rfb=127.0.0.1:%d", port), "--socket-dir="+home, "--bind-tcp=", "--rfb-upgrade=0")
			c.Env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+home)
			return c
		}},
		{"x11vnc", func(port int) *exec.Cmd {
			return exec.Command("x11vnc", "-display", display, "-rfbport", strconv.Itoa(port), "-localhost", "-shared", "-forever", "-nopw", "-viewonly", "-quiet", "-noxrecord", "-nobell")
		}},
	}
	fmt.Printf("1920x1080 display, a 640x360 region repainted at up to %d fps, encoding %s, %v per run, %d runs\n", paintFPS, encName, d, runs)
	fmt.Printf("%-14s %10s %10s %12s %12s\n", "server", "fps", "MB/s", "server CPU%", "painted fps")
	for _, srv := range servers {
		var res []result
		for range runs {
			port := freePort()
			cmd := srv.start(port)
			cmd.Stdout, cmd.Stderr = nil, nil
			if err := cmd.Start(); err != nil {
				fmt.Printf("%-14s not run: %v\n", srv.name, err)
				break
			}
			r, err := measure(port, cmd.Process.Pid, d, enc, painted)
			_ = cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
			if err != nil {
				fmt.Printf("%-14s run failed: %v\n", srv.name, err)
				continue
			}
			res = append(res, r)
		}
		if len(res) == 0 {
			continue
		}
		med := func(f func(result) float64) float64 {
			v := make([]float64, len(res))
			for i, r := range res {
				v[i] = f(r)
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		fmt.Printf("%-14s %10.1f %10.2f %12.1f %12.1f\n", srv.name, med(func(r result) float64 { return r.fps }), med(func(r result) float64 { return r.mbps }),
			med(func(r result) float64 { return r.cpu }), med(func(r result) float64 { return r.painted }))
	}
	return nil
}

// startPainter maps a 640x360 window and repaints it with a moving
// pattern and a band of noise, like a video.
func startPainter(ctx context.Context, display string, fps int, painted *atomic.Int64) error {
	d, err := xclient.Open(ctx, display, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	const w, h = 640, 360
	win, err := d.CreateWindow(xclient.WindowSpec{X: 200, Y: 150, Width: w, Height: h, OverrideRedirect: true, Title: "video"})
	if err != nil {
		return err
	}
	d.Map(win)
	pix := make([]byte, w*h*4)
	go func() {
		defer d.Close()
		t := time.NewTicker(time.Second / time.Duration(fps))
		defer t.Stop()
		seed := uint32(1)
		for f := 0; ; f++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for y := range h {
				for x := range w {
					p := pix[(y*w+x)*4:]
					p[0], p[1], p[2] = byte(x+f*3), byte(y+f*2), byte((x+y)/2+f)
					if y > 200 && y < 240 {
						seed = seed*1664525 + 1013904223
						p[0] ^= byte(seed >> 24)
					}
				}
			}
			if err := d.Paint(win, 0, 0, w, h, pix, w*4); err != nil {
				return
			}
			_ = d.Sync()
			painted.Add(1)
		}
	}()
	return nil
}

// cpuTicks is a process's user+system time in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st, nil
}

// measure connects an RFB client and keeps asking for updates for d.
func measure(port, pid int, d time.Duration, enc int32, painted *atomic.Int64) (result, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var nc net.Conn
	var err error
	for i := 0; i < 200; i++ {
		if nc, err = net.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return result{}, err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(d + 30*time.Second))
	info, err := rfb.ClientHandshake(nc, 8, "")
	if err != nil {
		return result{}, err
	}
	dec, err := rfb.NewDecoder(rfb.ServerPixelFormat(), info.W, info.H)
	if err != nil {
		return result{}, err
	}
	cnt := &countReader{r: nc}
	br := bufio.NewReaderSize(cnt, 1<<20)
	msg := rfb.AppendSetPixelFormat(nil, rfb.ServerPixelFormat())
	msg = rfb.AppendSetEncodings(msg, []int32{enc, rfb.EncCopyRect})
	msg = rfb.AppendUpdateRequest(msg, false, geom.Rect{W: info.W, H: info.H})
	if _, err := nc.Write(msg); err != nil {
		return result{}, err
	}
	next := func() error {
		for {
			t, err := dec.ReadMessage(br)
			if err != nil {
				return err
			}
			if t == 0 {
				_, err := nc.Write(rfb.AppendUpdateRequest(nil, true, geom.Rect{W: info.W, H: info.H}))
				return err
			}
		}
	}
	// The first, full update and a second of warm-up are not counted.
	warm := time.Now().Add(time.Second)
	for time.Now().Before(warm) {
		if err := next(); err != nil {
			return result{}, err
		}
	}
	c0, err := cpuTicks(pid)
	if err != nil {
		return result{}, err
	}
	b0, p0, start := cnt.n, painted.Load(), time.Now()
	frames := 0
	for time.Since(start) < d {
		if err := next(); err != nil {
			return result{}, err
		}
		frames++
	}
	el := time.Since(start).Seconds()
	c1, err := cpuTicks(pid)
	if err != nil {
		return result{}, err
	}
	// /proc counts CPU time in USER_HZ ticks, 100 a second on Linux.
	return result{fps: float64(frames) / el, mbps: float64(cnt.n-b0) / el / 1e6, cpu: float64(c1-c0) / 100 / el * 100,
		painted: float64(painted.Load()-p0) / el}, nil
}

type countReader struct {
	r net.Conn
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
