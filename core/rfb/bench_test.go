package rfb

import (
	"bufio"
	"fmt"
	"io"
	"testing"

	"github.com/xroam/xroam/core/geom"
)

// BenchmarkEncode encodes a 640x360 video-like area (a gradient with a
// band of noise) and a terminal-like one (two colours) in each encoding.
func BenchmarkEncode(b *testing.B) {
	const w, h = 640, 360
	video := &memScreen{w: w, h: h, pix: make([]byte, w*h*4)}
	text := &memScreen{w: w, h: h, pix: make([]byte, w*h*4)}
	seed := uint32(1)
	for y := range h {
		for x := range w {
			p := video.pix[(y*w+x)*4:]
			p[0], p[1], p[2] = byte(x), byte(y), byte((x+y)/2)
			if y > 200 && y < 240 {
				seed = seed*1664525 + 1013904223
				p[0] ^= byte(seed >> 24)
			}
			if (x/3+y/5)%4 == 0 {
				q := text.pix[(y*w+x)*4:]
				q[0], q[1], q[2] = 255, 255, 255
			}
		}
	}
	for _, src := range []struct {
		name string
		m    *memScreen
	}{{"video", video}, {"text", text}} {
		for _, enc := range []struct {
			name string
			enc  int32
			q    int
		}{{"raw", EncRaw, -1}, {"zlib", EncZlib, -1}, {"zrle", EncZRLE, -1}, {"tight", EncTight, -1}, {"tight-jpeg", EncTight, 6}} {
			b.Run(fmt.Sprintf("%s/%s", src.name, enc.name), func(b *testing.B) {
				e := NewEncoder(ServerPixelFormat())
				e.SetCompression(2, enc.q)
				var out []byte
				for b.Loop() {
					out, _ = e.AppendRect(out[:0], enc.enc, src.m.pix, w*4, geom.Rect{X: 0, Y: 0, W: w, H: h})
				}
				b.ReportMetric(float64(len(out)), "bytes/frame")
			})
		}
	}
}

// BenchmarkUpdate1080p is a server's whole update path for a 1920x1080
// screen whose 640x360 region changes every frame: capture, the diff
// against the client's copy, the scroll search and Tight (JPEG allowed
// as noVNC asks) or ZRLE.
func BenchmarkUpdate1080p(b *testing.B) {
	const w, h = 1920, 1080
	m := &memScreen{w: w, h: h, pix: make([]byte, w*h*4)}
	m.paint(5)
	for _, enc := range []struct {
		name string
		encs []int32
	}{
		{"tight-jpeg", []int32{EncTight, EncCopyRect, EncQualityLevel0 + 6, EncCompressLevel0 + 2}},
		{"zrle", []int32{EncZRLE, EncCopyRect}},
	} {
		b.Run(enc.name, func(b *testing.B) {
			scr := NewScreen(m, w, h, nil)
			c := &conn{s: scr, log: scr.log, wk: make(chan struct{}, 1), pf: ServerPixelFormat(), enc: NewEncoder(ServerPixelFormat()), encs: enc.encs}
			c.setSize(w, h)
			bw := bufio.NewWriterSize(io.Discard, 1<<20)
			c.requested, c.forced = true, geom.Rect{W: w, H: h}
			if _, err := c.update(bw); err != nil {
				b.Fatal(err)
			}
			f := 0
			for b.Loop() {
				f++
				for y := 150; y < 510; y++ {
					for x := 200; x < 840; x++ {
						p := m.pix[(y*w+x)*4:]
						p[0], p[1], p[2] = byte(x+f*3), byte(y+f*2), byte((x+y)/2+f)
					}
				}
				c.requested, c.dirty = true, geom.Rect{X: 200, Y: 150, W: 640, H: 360}
				if _, err := c.update(bw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
