package rfb

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/xroam/xroam/core/geom"
)

// FuzzReadClientMessage feeds arbitrary bytes to the server's message
// decoder: it must return errors, never panic or allocate without bound.
func FuzzReadClientMessage(f *testing.F) {
	f.Add(AppendSetPixelFormat(nil, ServerPixelFormat()))
	f.Add(AppendSetEncodings(nil, []int32{EncTight, EncZRLE, EncCopyRect, EncDesktopSize}))
	f.Add(AppendUpdateRequest(nil, true, geom.Rect{X: 0, Y: 0, W: 640, H: 480}))
	f.Add(AppendKeyEvent(nil, true, 0xff0d))
	f.Add(AppendPointerEvent(nil, 1, 10, 20))
	f.Add(AppendCutText(nil, "hello"))
	f.Add([]byte{251, 0, 2, 128, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		for range 64 {
			m, err := ReadClientMessage(r)
			if err != nil {
				return
			}
			if m.PixelFormat != nil && m.PixelFormat.Validate() != nil {
				t.Fatalf("accepted an invalid pixel format %+v", *m.PixelFormat)
			}
		}
	})
}

// FuzzDecoder feeds arbitrary server messages to the client-side decoder
// (and so the parsers of every encoding).
func FuzzDecoder(f *testing.F) {
	m := &memScreen{w: 70, h: 40}
	m.pix = make([]byte, m.w*m.h*4)
	m.paint(3)
	for _, enc := range []int32{EncRaw, EncZlib, EncZRLE, EncTight} {
		e := NewEncoder(ServerPixelFormat())
		b, n := e.AppendRect(nil, enc, m.pix, m.w*4, geom.Rect{X: 0, Y: 0, W: m.w, H: m.h})
		f.Add(append([]byte{0, 0, 0, byte(n)}, b...))
	}
	e := NewEncoder(ServerPixelFormat())
	f.Add(append([]byte{0, 0, 0, 1}, e.AppendCopyRect(nil, geom.Rect{X: 1, Y: 1, W: 10, H: 10}, 5, 5)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := NewDecoder(ServerPixelFormat(), 70, 40)
		if err != nil {
			t.Fatal(err)
		}
		d.MaxPixels = 1 << 16
		r := bytes.NewReader(data)
		for range 16 {
			if _, err := d.ReadMessage(r); err != nil {
				return
			}
		}
	})
}

// FuzzServe runs a whole server connection, handshake included, against
// arbitrary client bytes: it must end, without a panic, when they run out.
func FuzzServe(f *testing.F) {
	hello := append([]byte("RFB 003.008\n"), SecNone, 1)
	f.Add(append(append([]byte{}, hello...), AppendUpdateRequest(nil, false, geom.Rect{X: 0, Y: 0, W: 16, H: 8})...))
	f.Add(append(append(append([]byte{}, hello...), AppendSetPixelFormat(nil, formats["rgb565le"])...), AppendUpdateRequest(nil, false, geom.Rect{X: 0, Y: 0, W: 16, H: 8})...))
	f.Add(append(append(append([]byte{}, hello...), AppendSetEncodings(nil, []int32{EncTight, EncCursor, EncDesktopSize})...), AppendUpdateRequest(nil, true, geom.Rect{X: 0, Y: 0, W: 100, H: 100})...))
	f.Add([]byte("RFB 003.003\n\x01"))
	f.Add([]byte("RFB 004.001\n"))
	m := &memScreen{w: 16, h: 8}
	m.pix = make([]byte, m.w*m.h*4)
	m.paint(4)
	f.Fuzz(func(t *testing.T, data []byte) {
		scr := NewScreen(m, m.w, m.h, nil)
		scr.SetCursor(Cursor{Serial: 1, W: 2, H: 2, Pix: make([]byte, 16)})
		srv, cli := net.Pipe()
		go func() { _, _ = io.Copy(io.Discard, cli) }()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = scr.Serve(context.Background(), srv, Options{Interval: time.Microsecond, Input: &recInput{}})
		}()
		_, _ = cli.Write(data)
		// Let the server answer what it read, then hang up.
		time.Sleep(time.Millisecond)
		cli.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the server did not end after the client hung up")
		}
	})
}
