package wire

import (
	"bytes"
	"io"
	"math/rand"
	"testing"
)

func benchHello(b *testing.B) Packet {
	b.Helper()
	p, err := NewReader(bytes.NewReader(readTestdata(b, "xpra313-python-client-hello.bin"))).ReadPacket()
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// benchPixels returns n bytes of screen-like BGRX content: flat areas,
// gradients and some noise (roughly 3-6x compressible with lz4).
func benchPixels(n int) []byte {
	rng := rand.New(rand.NewSource(42))
	px := make([]byte, n)
	for i := 0; i+4 <= n; i += 4 {
		x := (i / 4) % 1024
		switch {
		case x < 300:
			px[i], px[i+1], px[i+2] = 0xee, 0xee, 0xee
		case x < 700:
			px[i], px[i+1], px[i+2] = byte(x), byte(x/2), 0x40
		default:
			if rng.Intn(4) == 0 {
				px[i], px[i+1], px[i+2] = byte(rng.Intn(256)), byte(rng.Intn(256)), byte(rng.Intn(256))
			} else {
				px[i], px[i+1], px[i+2] = 0, 0, 0
			}
		}
		px[i+3] = 0xff
	}
	return px
}

func drawPacket(pixels any) Packet {
	return Packet{"draw", int64(1), int64(0), int64(0), int64(512), int64(512), "rgb32", pixels,
		int64(7), int64(2048), Dict{"rgb_format": "BGRX"}}
}

func BenchmarkRencodeEncodeHello(b *testing.B) {
	p := benchHello(b)
	enc, _ := EncodeRencode(p)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		var err error
		buf, err = AppendEncode(Rencode, buf[:0], p)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRencodeDecodeHello(b *testing.B) {
	enc, _ := EncodeRencode(benchHello(b))
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRencode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRencodeEncodeDraw1MiB(b *testing.B) {
	p := drawPacket(benchPixels(1 << 20))
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		var err error
		buf, err = AppendEncode(Rencode, buf[:0], p)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRencodeDecodeDraw1MiB(b *testing.B) {
	enc, _ := EncodeRencode(drawPacket(benchPixels(1 << 20)))
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRencode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// loopReader replays the same stream forever.
type loopReader struct {
	data []byte
	pos  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	if l.pos == len(l.data) {
		l.pos = 0
	}
	n := copy(p, l.data[l.pos:])
	l.pos += n
	return n, nil
}

func benchWrite(b *testing.B, comp Compressor, compress bool) {
	w := NewWriter(io.Discard)
	w.SetCompression(comp, 1)
	p := drawPacket(RawChunk{Data: benchPixels(1 << 20), Compress: compress})
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WritePacket(p); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRead(b *testing.B, comp Compressor, compress bool) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.SetCompression(comp, 1)
	if err := w.WritePacket(drawPacket(RawChunk{Data: benchPixels(1 << 20), Compress: compress})); err != nil {
		b.Fatal(err)
	}
	wire := buf.Len()
	r := NewReader(&loopReader{data: buf.Bytes()})
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		p, err := r.ReadPacket()
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Bytes(7)) != 1<<20 {
			b.Fatal("short pixel data")
		}
	}
	b.ReportMetric(float64(wire), "wire-B/op")
}

func BenchmarkFrameWriteRaw1MiB(b *testing.B)  { benchWrite(b, NoCompression, false) }
func BenchmarkFrameReadRaw1MiB(b *testing.B)   { benchRead(b, NoCompression, false) }
func BenchmarkFrameWriteLZ4_1MiB(b *testing.B) { benchWrite(b, LZ4, true) }
func BenchmarkFrameReadLZ4_1MiB(b *testing.B)  { benchRead(b, LZ4, true) }
func BenchmarkFrameWriteZlib1MiB(b *testing.B) { benchWrite(b, Zlib, true) }
func BenchmarkFrameReadZlib1MiB(b *testing.B)  { benchRead(b, Zlib, true) }

// BenchmarkFrameWriteInline1MiB sends the pixels inline in the main
// packet (one copy into the encode buffer).
func BenchmarkFrameWriteInline1MiB(b *testing.B) {
	w := NewWriter(io.Discard)
	p := drawPacket(benchPixels(1 << 20))
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WritePacket(p); err != nil {
			b.Fatal(err)
		}
	}
}

// benchDecode decodes enc's encoding of v, for the cost of the decoder
// alone (the budget's bookkeeping included).
func benchDecode(b *testing.B, enc Encoding, v any) {
	data, err := Encode(enc, v)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(enc, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRencodePlusDecodeHello(b *testing.B) { benchDecode(b, RencodePlus, benchHello(b)) }
func BenchmarkBencodeDecodeHello(b *testing.B)     { benchDecode(b, Bencode, benchHello(b)) }

// smallValues is a packet of many small values, the shape where the
// per-value bookkeeping weighs most.
func smallValues() Packet {
	p := Packet{"lots"}
	for i := range 2000 {
		p = append(p, []any{int64(i), "k", Dict{"a": int64(i % 7)}})
	}
	return p
}

func BenchmarkRencodeDecodeSmall(b *testing.B) { benchDecode(b, Rencode, smallValues()) }
func BenchmarkBencodeDecodeSmall(b *testing.B) { benchDecode(b, Bencode, smallValues()) }
