package wire

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
)

func TestCapturedClientHello(t *testing.T) {
	raw := readTestdata(t, "xpra313-python-client-hello.bin")
	h, err := ParseHeader(raw)
	if err != nil {
		t.Fatal(err)
	}
	if h.Flags != FlagRencode || h.Level != 0x01 || h.Index != 0 || int(h.Size) != len(raw)-HeaderSize {
		t.Fatalf("header %+v", h)
	}
	r := NewReader(bytes.NewReader(raw))
	p, info, err := r.ReadPacketInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.Encoding != Rencode || info.Compressor != Zlib || info.Level != 1 || info.WireSize != len(raw) {
		t.Errorf("info %+v", info)
	}
	caps := p.Dict(1)
	if p.Type() != "hello" || caps == nil {
		t.Fatalf("not a hello: %.200v", p)
	}
	if v := caps.Str("version", ""); v != "3.1.3" {
		t.Errorf("version %q", v)
	}
	if _, ok := caps["version"].([]byte); !ok {
		t.Errorf("rencode strings should decode as []byte, got %T", caps["version"])
	}
	want := bigInt("62993415399637249668535399929046162111")
	if tok, ok := caps["mmap_token"].(*big.Int); !ok || tok.Cmp(want) != 0 {
		t.Errorf("mmap_token %#v", caps["mmap_token"])
	}
	if w, h, ok := caps.IntPair("desktop_size"); !ok || w != 1280 || h != 1024 {
		t.Errorf("desktop_size %v %v", w, h)
	}
	kc := caps.Dict("xkbmap_x11_keycodes")
	if names, ok := AsList(kc[int64(9)]); !ok || len(names) == 0 || string(names[0].([]byte)) != "Escape" {
		t.Errorf("xkbmap_x11_keycodes[9] = %#v", kc[int64(9)])
	}
	if got := caps.Strings("compressors"); len(got) != 3 || got[1] != "lz4" {
		t.Errorf("compressors %v", got)
	}
	if d := caps.Dict("mmap"); d.Int("token_bytes", 0) != 128 {
		t.Errorf("mmap dict %#v", d)
	}
	n := Negotiate(caps)
	if n != (Negotiated{Encoding: Rencode, Compressor: LZ4, Level: 1}) {
		t.Errorf("negotiated %+v", n)
	}
	if _, err := r.ReadPacket(); err != io.EOF {
		t.Errorf("after last packet: %v", err)
	}
	// Re-encoding round trip of the real hello, in every encoder that
	// can carry it.
	for _, enc := range []Encoding{Rencode, RencodePlus} {
		b, err := Encode(enc, p)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(enc, b)
		if err != nil {
			t.Fatal(err)
		}
		if !EqualLoose(back, []any(p)) {
			t.Errorf("%s round trip differs", enc)
		}
	}
}

func TestCapturedInfoRequestHello(t *testing.T) {
	raw := readTestdata(t, "xpra313-info-request-hello.bin")
	p, info, err := NewReader(bytes.NewReader(raw)).ReadPacketInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.Encoding != Rencode || info.Compressor != Zlib {
		t.Errorf("info %+v", info)
	}
	caps := p.Dict(1)
	if p.Type() != "hello" || caps == nil {
		t.Fatalf("not a hello: %.200v", p)
	}
	if caps.Str("build.version", "") != "3.1.3" || !caps.Bool("info_request", false) || caps.Bool("keyboard", true) {
		t.Errorf("caps: build.version=%q info_request=%v", caps.Str("build.version", ""), caps.Bool("info_request", false))
	}
	plain, err := DecodeRencode(readTestdata(t, "xpra313-info-request-hello.rencode"))
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(plain, []any(p)) {
		t.Error(".rencode payload and .bin packet differ")
	}
}

func roundTrip(t *testing.T, w *Writer, buf *bytes.Buffer, p Packet) Packet {
	t.Helper()
	if err := w.WritePacket(p); err != nil {
		t.Fatal(err)
	}
	got, err := NewReader(bytes.NewReader(buf.Bytes())).ReadPacket()
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	buf.Reset()
	return got
}

func TestWriterReaderRoundTrip(t *testing.T) {
	pixels := make([]byte, 200000)
	for i := range pixels {
		pixels[i] = byte(i * 7 / 3)
	}
	caps := Dict{"version": "3.1.3", "rencode": true, "desktop_size": []int{1920, 1080}, "big": bigInt("85070591730234615865843651857942052864")}
	for _, enc := range []Encoding{Rencode, RencodePlus, Bencode} {
		for _, comp := range []Compressor{NoCompression, Zlib, LZ4} {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			w.SetEncoding(enc)
			w.SetCompression(comp, 3)
			eq := Equal
			if enc == Bencode {
				eq = EqualLoose
			}
			// Big hello (compressed when comp != none).
			hello := Packet{"hello", caps}
			got := roundTrip(t, w, &buf, hello)
			want, _ := Decode(enc, mustEncode(t, enc, hello))
			if !eq([]any(got), want) {
				t.Errorf("%s/%s hello: %#v", enc, comp, got)
			}
			// Draw with the pixels as a compressed raw chunk, an inline icon
			// and a threshold-chunked []byte.
			w.SetChunkThreshold(1000)
			draw := Packet{"draw", int64(1), int64(0), int64(0), int64(100), int64(100), "rgb24",
				RawChunk{Data: pixels, Compress: true}, int64(1), int64(300), Dict{"zlib": int64(0)}, pixels[:5000], []byte("small")}
			got = roundTrip(t, w, &buf, draw)
			if len(got) != len(draw) || !bytes.Equal(got.Bytes(7), pixels) || !bytes.Equal(got.Bytes(11), pixels[:5000]) || got.Str(12) != "small" {
				t.Errorf("%s/%s draw mismatch", enc, comp)
			}
			if got.Type() != "draw" || got.Dict(10).Int("zlib", -1) != 0 {
				t.Errorf("%s/%s draw fields: %#v", enc, comp, got[10])
			}
			w.SetChunkThreshold(0)
		}
	}
}

func mustEncode(t *testing.T, enc Encoding, v any) []byte {
	t.Helper()
	b, err := Encode(enc, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriterWireFormat(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WritePacket(Packet{"ping_echo", int64(4204591), int64(0), int64(0), int64(0), int64(-1), ""}); err != nil {
		t.Fatal(err)
	}
	want, _ := hexBytes("c78970696e675f6563686f400040282f0000004680")
	if !bytes.Equal(buf.Bytes()[HeaderSize:], want) {
		t.Errorf("ping_echo payload %x", buf.Bytes()[HeaderSize:])
	}
	if !bytes.Equal(buf.Bytes()[:HeaderSize], []byte{'P', 1, 0, 0, 0, 0, 0, byte(len(want))}) {
		t.Errorf("header %x", buf.Bytes()[:HeaderSize])
	}
	// Small packets are never compressed, large ones are.
	buf.Reset()
	w.SetCompression(LZ4, 1)
	_ = w.WritePacket(Packet{"ping", int64(1)})
	if buf.Bytes()[2] != 0 {
		t.Error("small packet compressed")
	}
	buf.Reset()
	_ = w.WritePacket(Packet{"x", make([]byte, 1000)})
	if buf.Bytes()[2] != 0x11 {
		t.Errorf("large packet level byte %#x", buf.Bytes()[2])
	}
	buf.Reset()
	w.SetCompression(Zlib, 6)
	_ = w.WritePacket(Packet{"x", make([]byte, 1000)})
	if buf.Bytes()[2] != 0x06 {
		t.Errorf("zlib level byte %#x", buf.Bytes()[2])
	}
	// Raw chunk: flags 0, index = slot, payload = data; slot emptied.
	buf.Reset()
	w.SetCompression(NoCompression, 0)
	_ = w.WritePacket(Packet{"draw", int64(1), RawChunk{Data: []byte("PIX")}})
	b := buf.Bytes()
	if !bytes.Equal(b[:11], []byte{'P', 0, 0, 2, 0, 0, 0, 3, 'P', 'I', 'X'}) {
		t.Errorf("raw chunk %x", b[:11])
	}
	main, _ := DecodeRencode(b[11+HeaderSize:])
	if !Equal(main, []any{[]byte("draw"), int64(1), []byte{}}) {
		t.Errorf("main %#v", main)
	}
	// Encoding errors leave the stream untouched.
	buf.Reset()
	w.SetEncoding(Bencode)
	if err := w.WritePacket(Packet{"x", RawChunk{Data: []byte("a")}, nil}); !errors.Is(err, ErrUnencodable) {
		t.Errorf("bencode nil: %v", err)
	}
	if buf.Len() != 0 {
		t.Error("bytes written despite encoding error")
	}
}

func hexBytes(s string) ([]byte, error) {
	out := make([]byte, len(s)/2)
	for i := range out {
		var v byte
		for _, c := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			default:
				v |= byte(c-'a') + 10
			}
		}
		out[i] = v
	}
	return out, nil
}

func frame(flags, level, index byte, payload []byte) []byte {
	b := make([]byte, HeaderSize, HeaderSize+len(payload))
	Header{Flags: flags, Level: level, Index: index, Size: uint32(len(payload))}.Put(b)
	return append(b, payload...)
}

func TestReaderErrors(t *testing.T) {
	ping := mustEncode(t, Rencode, Packet{"ping", int64(1)})
	read := func(stream []byte, max int) error {
		r := NewReader(bytes.NewReader(stream))
		if max > 0 {
			r.SetMaxPacketSize(max)
		}
		_, err := r.ReadPacket()
		return err
	}
	var zb bytes.Buffer
	zw := zlib.NewWriter(&zb)
	_, _ = zw.Write(make([]byte, 2<<20))
	_ = zw.Close()
	lz := make([]byte, 8)
	binary.LittleEndian.PutUint32(lz, 1<<30)
	cases := []struct {
		name   string
		stream []byte
		max    int
		want   error
	}{
		{"bad magic", append([]byte("GET / HTTP/1.1\r\n"), ping...), 0, ErrBadMagic},
		{"encrypted", frame(FlagRencode|FlagEncrypted, 0, 0, ping), 0, ErrEncrypted},
		{"yaml", frame(FlagYAML, 0, 0, ping), 0, ErrUnsupportedEncoding},
		{"brotli", frame(FlagRencode, 0x41, 0, ping), 0, ErrUnsupportedCompression},
		{"lzo", frame(FlagRencode, 0x21, 0, ping), 0, ErrUnsupportedCompression},
		{"oversize", frame(FlagRencode, 0, 0, make([]byte, 2000)), 1000, ErrTooLarge},
		{"zlib bomb", frame(FlagRencode, 1, 0, zb.Bytes()), 1 << 20, ErrTooLarge},
		{"lz4 size", frame(FlagRencode, 0x11, 0, lz), 0, ErrTooLarge},
		{"truncated payload", frame(FlagRencode, 0, 0, ping)[:HeaderSize+2], 0, io.ErrUnexpectedEOF},
		{"truncated header", []byte{'P', 1, 0}, 0, io.ErrUnexpectedEOF},
		{"too deep", frame(FlagRencode, 0, 0, append(bytes.Repeat([]byte{0xc1}, 80), 0)), 0, ErrTooDeep},
		{"not a list", frame(FlagRencode, 0, 0, []byte{5}), 0, ErrNotAPacket},
		{"too many chunks", bytes.Join([][]byte{frame(0, 0, 1, nil), frame(0, 0, 1, nil), frame(0, 0, 1, nil), frame(0, 0, 1, nil), frame(1, 0, 0, ping)}, nil), 0, ErrTooManyChunks},
		{"chunk index", append(frame(0, 0, 5, []byte("x")), frame(FlagRencode, 0, 0, ping)...), 0, ErrBadChunkIndex},
		{"bad zlib", frame(FlagRencode, 1, 0, []byte("not zlib")), 0, nil},
		{"bad lz4", frame(FlagRencode, 0x11, 0, []byte{10, 0, 0, 0, 0xff, 0xff}), 0, nil},
	}
	for _, c := range cases {
		err := read(c.stream, c.max)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if err := read(nil, 0); err != io.EOF {
		t.Errorf("empty stream: %v", err)
	}
	// Three pending raw chunks are fine.
	stream := bytes.Join([][]byte{frame(0, 0, 1, []byte("a")), frame(0, 0, 2, []byte("b")), frame(0, 0, 3, []byte("c")),
		frame(FlagRencode, 0, 0, mustEncode(t, Rencode, Packet{"x", "", "", ""}))}, nil)
	p, err := NewReader(bytes.NewReader(stream)).ReadPacket()
	if err != nil || p.Str(1)+p.Str(2)+p.Str(3) != "abc" {
		t.Errorf("3 raw chunks: %v %#v", err, p)
	}
	r := NewReader(nil)
	r.SetMaxPacketSize(1 << 40)
	if r.MaxPacketSize() != HardMaxPacketSize {
		t.Errorf("max size not clamped: %d", r.MaxPacketSize())
	}
}

func TestWriterConcurrent(t *testing.T) {
	c1, c2 := net.Pipe()
	w := NewWriter(c1)
	w.SetCompression(LZ4, 1)
	const writers, per = 8, 50
	payload := bytes.Repeat([]byte("0123456789"), 300)
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				p := Packet{"data", int64(g), int64(i), RawChunk{Data: payload, Compress: i%2 == 0}, payload[:i]}
				if err := w.WritePacket(p); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	go func() { wg.Wait(); c1.Close() }()
	r := NewReader(c2)
	seen := map[[2]int64]bool{}
	for {
		p, err := r.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		g, _ := p.Int(1)
		i, _ := p.Int(2)
		if !bytes.Equal(p.Bytes(3), payload) || len(p.Bytes(4)) != int(i) {
			t.Fatalf("corrupted packet %d/%d", g, i)
		}
		seen[[2]int64{g, i}] = true
	}
	if len(seen) != writers*per {
		t.Errorf("got %d packets, want %d", len(seen), writers*per)
	}
}

func TestNegotiate(t *testing.T) {
	cases := []struct {
		caps Dict
		want Negotiated
	}{
		{Dict{}, Negotiated{Bencode, NoCompression, 0}},
		{Dict{"rencode": true, "zlib": true}, Negotiated{Rencode, Zlib, 1}},
		{Dict{"rencode": true, "rencodeplus": true, "compressors": []any{[]byte("zlib"), []byte("lz4")}, "compression_level": int64(5)}, Negotiated{RencodePlus, LZ4, 5}},
		{Dict{"encoders": []string{"rencode"}, "lz4": true, "compression_level": int64(0)}, Negotiated{Rencode, NoCompression, 0}},
		{Dict{"bencode": true, "compressors": []string{"brotli"}}, Negotiated{Bencode, NoCompression, 0}},
	}
	for i, c := range cases {
		if got := Negotiate(c.caps); got != c.want {
			t.Errorf("%d: got %+v want %+v", i, got, c.want)
		}
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Apply(Negotiated{RencodePlus, LZ4, 3})
	if c, l := w.Compression(); w.Encoding() != RencodePlus || c != LZ4 || l != 3 {
		t.Error("Apply")
	}
	w.SetLevel(0)
	if _, l := w.Compression(); l != 0 {
		t.Error("SetLevel")
	}
}
