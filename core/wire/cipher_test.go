package wire

import (
	"bytes"
	"errors"
	"testing"
)

func testCipherPair(t testing.TB, padding string, key []byte) (*Encrypter, *Decrypter) {
	t.Helper()
	p, err := NewCipherParams(padding)
	if err != nil {
		t.Fatal(err)
	}
	// Through the hello keys, as a peer sees them.
	q, ok, err := ParseCipherCaps(p.Caps())
	if err != nil || !ok {
		t.Fatalf("ParseCipherCaps: %v %v", ok, err)
	}
	e, err := NewEncrypter(key, q)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecrypter(key, p)
	if err != nil {
		t.Fatal(err)
	}
	return e, d
}

func TestEncryptedRoundTrip(t *testing.T) {
	for _, padding := range PaddingOptions() {
		e, d := testCipherPair(t, padding, []byte("the shared key"))
		var buf bytes.Buffer
		w := NewWriter(&buf)
		w.SetEncrypter(e)
		w.SetCompression(LZ4, 3)
		w.SetChunkThreshold(100)
		r := NewReader(&buf)
		r.SetDecrypter(d)
		big := bytes.Repeat([]byte("pixels"), 5000)
		packets := []Packet{
			{"ping", int64(1)},
			{"draw", int64(1), RawChunk{Data: big, Compress: true}, "rgb", big[:31]},
			{"x", bytes.Repeat([]byte{7}, 32)}, // a payload that is a multiple of the pad unit
			{"hello", Dict{"k": "v"}},
		}
		for _, p := range packets {
			if err := w.WritePacket(p); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range packets {
			got, err := r.ReadPacket()
			if err != nil {
				t.Fatalf("%s: %v", padding, err)
			}
			if got.Type() != p.Type() || len(got) != len(p) {
				t.Fatalf("%s: got %v, want %v", padding, got.Type(), p.Type())
			}
			if p.Type() == "draw" && !bytes.Equal(got.Bytes(2), big) {
				t.Errorf("%s: the raw chunk differs", padding)
			}
		}
	}
}

func TestEncryptedWireFormat(t *testing.T) {
	e, _ := testCipherPair(t, PaddingPKCS7, []byte("k"))
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.SetEncrypter(e)
	if err := w.WritePacket(Packet{"ping", int64(1)}); err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if h.Flags != FlagRencode|FlagEncrypted {
		t.Errorf("flags %#x, want rencode|encrypted", h.Flags)
	}
	if body := buf.Len() - HeaderSize; body%CipherBlockSize != 0 || body <= int(h.Size) || body > int(h.Size)+CipherBlockSize {
		t.Errorf("body of %d bytes for a payload of %d", body, h.Size)
	}
}

func TestDecryptErrors(t *testing.T) {
	e, _ := testCipherPair(t, PaddingPKCS7, []byte("right"))
	_, wrong := testCipherPair(t, PaddingPKCS7, []byte("wrong"))
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.SetEncrypter(e)
	w.WritePacket(Packet{"ping", int64(1)})
	r := NewReader(bytes.NewReader(buf.Bytes()))
	r.SetDecrypter(wrong)
	if _, err := r.ReadPacket(); !errors.Is(err, ErrCipher) {
		t.Errorf("wrong key: %v, want ErrCipher", err)
	}
	// Plain chunks once encryption is agreed are refused.
	var plain bytes.Buffer
	NewWriter(&plain).WritePacket(Packet{"ping", int64(1)})
	r = NewReader(&plain)
	_, d := testCipherPair(t, PaddingPKCS7, []byte("k"))
	r.SetDecrypter(d)
	if _, err := r.ReadPacket(); !errors.Is(err, ErrCipher) {
		t.Errorf("plain chunk: %v, want ErrCipher", err)
	}
	for _, caps := range []Dict{
		{"cipher": "DES", "cipher.iv": "0123456789abcdef"},
		{"cipher": "AES", "cipher.iv": "short", "cipher.key_stretch_iterations": int64(1000)},
		{"cipher": "AES", "cipher.iv": "0123456789abcdef", "cipher.key_stretch_iterations": int64(1 << 30)},
		{"cipher": "AES", "cipher.iv": "0123456789abcdef", "cipher.key_stretch_iterations": int64(1000), "cipher.padding": "zero"},
	} {
		if _, ok, err := ParseCipherCaps(caps); !ok || err == nil {
			t.Errorf("ParseCipherCaps(%v) = %v, %v; want an error", caps, ok, err)
		}
	}
	if _, ok, _ := ParseCipherCaps(Dict{"version": "3.1.3"}); ok {
		t.Error("a hello without cipher keys asks for encryption")
	}
}

// FuzzDecryptingReader feeds arbitrary bytes to a Reader that expects
// encrypted chunks: errors, never a panic or a runaway allocation.
func FuzzDecryptingReader(f *testing.F) {
	key := []byte("fuzz key")
	p := CipherParams{Cipher: CipherAES, IV: []byte("0123456789abcdef"), KeySalt: []byte("salt"), Iterations: 100, Padding: PaddingPKCS7}
	e, err := NewEncrypter(key, p)
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.SetEncrypter(e)
	w.SetCompression(Zlib, 1)
	w.WritePacket(Packet{"ping", int64(1)})
	w.WritePacket(Packet{"draw", RawChunk{Data: bytes.Repeat([]byte("ab"), 600), Compress: true}})
	f.Add(buf.Bytes())
	f.Add([]byte("P\x03\x00\x00\x00\x00\x00\x05"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := NewDecrypter(key, p)
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(bytes.NewReader(data))
		r.SetMaxPacketSize(1 << 20)
		r.SetDecrypter(d)
		for range 8 {
			if _, err := r.ReadPacket(); err != nil {
				return
			}
		}
	})
}

// BenchmarkEncryptedRawChunk is the cost of AES on a 1 MiB raw chunk
// (a picture update), written and read back.
func BenchmarkEncryptedRawChunk(b *testing.B) {
	for _, enc := range []bool{false, true} {
		name := "plain"
		if enc {
			name = "aes"
		}
		b.Run(name, func(b *testing.B) {
			data := benchPixels(1 << 20)
			var buf bytes.Buffer
			w := NewWriter(&buf)
			r := NewReader(&buf)
			if enc {
				e, d := testCipherPair(b, PaddingPKCS7, []byte("bench key"))
				w.SetEncrypter(e)
				r.SetDecrypter(d)
			}
			p := Packet{"draw", int64(1), RawChunk{Data: data}}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.WritePacket(p); err != nil {
					b.Fatal(err)
				}
				if _, err := r.ReadPacket(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
