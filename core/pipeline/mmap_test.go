package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/pierrec/lz4/v4"

	"github.com/xroam/xroam/core/mmap"
	"github.com/xroam/xroam/core/wire"
)

// mmapPair is a client's area and the server's mapping of the same file.
func mmapPair(tb testing.TB) (client, server *mmap.Area) {
	tb.Helper()
	c, err := mmap.Create(tb.TempDir(), "", mmap.MinSize)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	s, err := mmap.Open(c.Path(), c.Size(), mmap.MinSize, mmap.AnyOwner)
	if err != nil {
		tb.Fatal(err)
	}
	return c, s
}

// TestMMapDraws: draws lie in the area with encoding "mmap" and the
// captured pixels; when the client does not free the area, they go on
// the socket as rgb32 until it does.
func TestMMapDraws(t *testing.T) {
	client, server := mmapPair(t)
	p, s, _ := start(t, Config{MMap: server, MaxInFlight: 10})
	if p.MMapSize() != server.Size() {
		t.Errorf("MMapSize %d, want %d", p.MMapSize(), server.Size())
	}
	p.AddWindow(1, 0x100, 200, 100)
	p.Map(1)
	d := s.next(t)
	if xdraw(d).Coding != MMap {
		t.Fatalf("coding %q, want mmap", xdraw(d).Coding)
	}
	if stride := xdraw(d).Rowstride; stride != 800 || xdraw(d).Options.Str("rgb_format", "") != "BGRX" {
		t.Errorf("rowstride %d, options %v", stride, xdraw(d).Options)
	}
	chunks, err := mmap.ParseChunks(xdraw(d).Data)
	if err != nil {
		t.Fatal(err)
	}
	px, err := client.Read(chunks)
	if err != nil || len(px) != 200*100*4 {
		t.Fatalf("%d bytes: %v", len(px), err)
	}
	if i := (5*200 + 9) * 4; px[i] != 9 || px[i+1] != 5 || px[i+2] != 7 {
		t.Errorf("pixel (9,5) = %v", px[i:i+4])
	}
	p.Ack(1, 1)

	// A big window, and a client that does not free the area: it fills
	// after 3 draws of 16 MiB and the 4th is rgb32; once the client
	// has read them all, draws go through the area again.
	p.AddWindow(2, 0x200, 2048, 2048)
	p.Map(2)
	var codings []string
	var last []mmap.Chunk
	for seq := int64(1); seq <= 5; seq++ {
		d := s.next(t)
		codings = append(codings, xdraw(d).Coding)
		if xdraw(d).Coding == MMap {
			if last, err = mmap.ParseChunks(xdraw(d).Data); err != nil {
				t.Fatal(err)
			}
		}
		if seq == 4 {
			client.Release(last)
		}
		p.Ack(2, seq)
		p.Damage(2, Rect{W: 2048, H: 2048})
	}
	if want := []string{"mmap", "mmap", "mmap", "rgb32", "mmap"}; !slicesEqual(codings, want) {
		t.Fatalf("codings %v, want %v", codings, want)
	}
	st := p.Stats(context.Background())
	if st.MMapFull != 1 || st.ByEncoding["mmap"] != 5 || st.ByEncoding["rgb32"] != 1 {
		t.Errorf("stats %+v", st)
	}
	if st.MMapBytes != 200*100*4+4*2048*2048*4 {
		t.Errorf("MMapBytes %d", st.MMapBytes)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// benchFrame is a 1280x720 BGRX frame: mostly flat with text-like
// detail ("text") or noise ("photo").
func benchFrame(kind string) []byte {
	const w, h = 1280, 720
	pix := make([]byte, w*h*4)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(pix); i += 4 {
		v := byte(0xff)
		switch kind {
		case "text":
			if (i/4)%w%9 < 6 && (i/4/w)%16 < 12 && r.IntN(3) == 0 {
				v = 0
			}
			pix[i], pix[i+1], pix[i+2] = v, v, v
		default:
			pix[i], pix[i+1], pix[i+2] = byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())
		}
	}
	return pix
}

// socketPair is a connected pair of Unix stream sockets.
func socketPair(b *testing.B) (net.Conn, net.Conn) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		b.Fatal(err)
	}
	conn := func(fd int) net.Conn {
		f := os.NewFile(uintptr(fd), "socketpair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	return conn(fds[0]), conn(fds[1])
}

// BenchmarkDraw1280x720 is one full-window draw from the pipeline's
// captured frame to BGRX pixels in the client's hands, over a real Unix
// socket: rgb32 (lz4 on the socket, as xpra sends it without mmap)
// against mmap (the pixels through the shared area, the chunk list on the
// socket).
func BenchmarkDraw1280x720(b *testing.B) {
	r := Rect{W: 1280, H: 720}
	for _, kind := range []string{"text", "photo"} {
		pix := benchFrame(kind)
		b.Run("rgb32-socket/"+kind, func(b *testing.B) {
			p := New(Config{})
			benchDraws(b, pix, func(seq int64) wire.Packet {
				pkt, _ := p.rgbDraw(1, r, pix, seq)
				return pkt
			}, func(pkt wire.Packet, dst []byte) {
				data := xdraw(pkt).Bytes()
				n := binary.LittleEndian.Uint32(data)
				if m, err := lz4.UncompressBlock(data[4:], dst[:n]); err != nil || m != len(dst) {
					b.Errorf("lz4: %d: %v", m, err)
				}
			})
		})
		b.Run("mmap/"+kind, func(b *testing.B) {
			client, server := mmapPair(b)
			defer server.Close()
			p := New(Config{MMap: server})
			benchDraws(b, pix, func(seq int64) wire.Packet {
				pkt, _ := p.mmapDraw(1, r, pix, seq)
				if pkt == nil {
					// Cannot happen with 3 frames in flight in 64 MiB.
					pkt, _ = p.rgbDraw(1, r, pix, seq)
				}
				return pkt
			}, func(pkt wire.Packet, dst []byte) {
				if xdraw(pkt).Coding != MMap {
					b.Error("the area was full")
					return
				}
				chunks, err := mmap.ParseChunks(xdraw(pkt).Data)
				if err != nil {
					b.Error(err)
					return
				}
				src, err := client.Read(chunks)
				if err != nil {
					b.Error(err)
					return
				}
				copy(dst, src)
				client.Release(chunks)
			})
		})
	}
}

func benchDraws(b *testing.B, pix []byte, draw func(seq int64) wire.Packet, paint func(wire.Packet, []byte)) {
	sc, cc := socketPair(b)
	defer sc.Close()
	defer cc.Close()
	w, rd := wire.NewWriter(sc), wire.NewReader(cc)
	dst := make([]byte, len(pix))
	done := make(chan error, 1)
	// At most 3 draws unacknowledged, as the pipeline's default.
	slots := make(chan struct{}, 3)
	b.SetBytes(int64(len(pix)))
	b.ResetTimer()
	go func() {
		for range b.N {
			pkt, err := rd.ReadPacket()
			if err != nil {
				done <- err
				return
			}
			paint(pkt, dst)
			<-slots
		}
		done <- nil
	}()
	for i := range b.N {
		slots <- struct{}{}
		if err := w.WritePacket(draw(int64(i + 1))); err != nil {
			b.Error(err)
			break
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if !bytes.Equal(dst, pix) {
		b.Fatal("the client's pixels differ")
	}
}
