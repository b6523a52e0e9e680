package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func seedValues() []any {
	return []any{
		Packet{"hello", Dict{"version": "3.1.3", "rencode": true, "desktop_size": []int{1, 2}, "f": 1.5, "n": nil, int64(9): []string{"Escape"}}},
		Packet{"draw", int64(1), int64(0), int64(0), int64(2), int64(1), "rgb24", make([]byte, 6), int64(1), int64(6), Dict{"rgb_format": "RGB"}},
		bigInt("-85070591730234615865843651857942052864"),
		[]any{[]byte("bin"), "text", 0.1, float32(2.5), int64(-40000), int64(1) << 40},
	}
}

// checkCanonical verifies decode -> encode -> decode -> encode stability.
func checkCanonical(t *testing.T, enc Encoding, v1 any, eq func(a, b any) bool) {
	b2, err := Encode(enc, v1)
	if err != nil {
		t.Fatalf("re-encoding a decoded value: %v (%#v)", err, v1)
	}
	v2, err := Decode(enc, b2)
	if err != nil {
		t.Fatalf("decoding own encoding %x: %v", b2, err)
	}
	if !eq(v1, v2) {
		t.Fatalf("round trip mismatch:\n%#v\n%#v", v1, v2)
	}
	b3, err := Encode(enc, v2)
	if err != nil || !bytes.Equal(b2, b3) {
		t.Fatalf("encoding not canonical: %x vs %x (%v)", b2, b3, err)
	}
}

func FuzzRencodeDecode(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.rencode)
	}
	f.Add(readTestdata(f, "xpra313-info-request-hello.rencode"))
	for _, v := range seedValues() {
		b, _ := EncodeRencode(v)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeRencode(data)
		if err != nil {
			return
		}
		checkCanonical(t, Rencode, v, Equal)
	})
}

func FuzzRencodePlusDecode(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.rencode)
	}
	for _, v := range seedValues() {
		b, _ := EncodeRencodePlus(v)
		f.Add(b)
	}
	f.Add([]byte("3/abc"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeRencodePlus(data)
		if err != nil {
			return
		}
		checkCanonical(t, RencodePlus, v, Equal)
	})
}

func FuzzBencodeDecode(f *testing.F) {
	for _, v := range loadVectors(f) {
		if v.bencode != nil {
			f.Add(v.bencode)
		}
	}
	f.Add([]byte("u6:h\xc3\xa9llo"))
	f.Add([]byte("di1el1:ai123456789012345678901234567890eee"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeBencode(data)
		if err != nil {
			return
		}
		checkCanonical(t, Bencode, v, EqualLoose)
	})
}

func FuzzReader(f *testing.F) {
	f.Add(readTestdata(f, "xpra313-info-request-hello.bin"))
	f.Add(readTestdata(f, "xpra313-python-client-hello.bin"))
	for _, enc := range []Encoding{Rencode, RencodePlus, Bencode} {
		for _, comp := range []Compressor{NoCompression, Zlib, LZ4} {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			w.SetEncoding(enc)
			w.SetCompression(comp, 1)
			_ = w.WritePacket(Packet{"draw", int64(1), RawChunk{Data: bytes.Repeat([]byte("px"), 300), Compress: true}, Dict{"a": "b"}, bytes.Repeat([]byte("y"), 500)})
			_ = w.WritePacket(Packet{"ping", int64(5)})
			f.Add(buf.Bytes())
		}
	}
	flood := "l" + strings.Repeat("le", 2000) + "e"
	f.Add(append([]byte{Magic, 0, 0, 0, 0, 0, byte(len(flood) >> 8), byte(len(flood))}, flood...))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		r.SetMaxPacketSize(1 << 20)
		// Half the inputs meet a reader of a peer not logged in.
		if len(data) > 0 && data[len(data)-1]&1 == 1 {
			r.SetLimits(PreAuthLimits())
		}
		for i := 0; i < 16; i++ {
			p, info, err := r.ReadPacketInfo()
			if err != nil {
				return
			}
			var buf bytes.Buffer
			w := NewWriter(&buf)
			w.SetEncoding(info.Encoding)
			w.SetCompression(info.Compressor, info.Level)
			if err := w.WritePacket(p); err != nil {
				t.Fatalf("re-writing a read packet: %v", err)
			}
			back, err := NewReader(&buf).ReadPacket()
			if err != nil {
				t.Fatalf("reading back: %v", err)
			}
			eq := Equal
			if info.Encoding == Bencode || info.RawChunks > 0 {
				eq = EqualLoose
			}
			if !eq([]any(p), []any(back)) {
				t.Fatalf("frame round trip mismatch:\n%#v\n%#v", p, back)
			}
		}
	})
}

// FuzzDecodeBudget: the memory budget is exact and consistent. An input
// decodes with a budget of exactly what it costs and fails with
// ErrTooCostly with one byte less; what the pre-login limits let through
// the default ones do too, to the same value.
func FuzzDecodeBudget(f *testing.F) {
	for _, enc := range []Encoding{Rencode, RencodePlus, Bencode} {
		for _, v := range seedValues() {
			if b, err := Encode(enc, v); err == nil {
				f.Add(byte(enc), b)
			}
		}
	}
	f.Add(byte(Rencode), append(append([]byte{rcList}, bytes.Repeat([]byte{rcListFixed}, 300)...), rcTerm))
	f.Add(byte(Rencode), append(append([]byte{rcList}, bytes.Repeat([]byte{rcDictFixed + 1, 1, rcDict, rcTerm}, 50)...), rcTerm))
	f.Add(byte(Bencode), []byte("l"+strings.Repeat("le", 300)+"e"))
	f.Add(byte(Bencode), []byte("ld1:ai1ee"+strings.Repeat("di1ei-1000ee", 20)+"e"))
	f.Fuzz(func(t *testing.T, e byte, data []byte) {
		enc := Encoding(e % 3)
		d := decoder{data: data, enc: enc, lim: Limits{MaxDepth: DefaultMaxDepth, MaxItems: DefaultMaxItems}.normalized(), budget: 1 << 50}
		var err error
		if enc == Bencode {
			_, err = d.bencode(0)
		} else {
			_, err = d.rencode(0)
		}
		if err != nil || d.pos != len(data) {
			return
		}
		cost := 1<<50 - d.budget
		exact := Limits{CostPerByte: 1, CostBase: max(1, cost-len(data))}
		if cost <= len(data) {
			exact = Limits{CostPerByte: 1, CostBase: 1, MaxCost: cost}
		}
		v, err := DecodeLimits(enc, data, exact)
		if err != nil {
			t.Fatalf("%s with a budget of its cost %d: %v", enc, cost, err)
		}
		if cost > 0 {
			short := exact
			short.MaxCost = cost - 1
			if _, err := DecodeLimits(enc, data, short); !errors.Is(err, ErrTooCostly) {
				t.Fatalf("%s with a budget of %d, one byte under its cost: %v", enc, cost-1, err)
			}
		}
		pre, err := DecodeLimits(enc, data, PreAuthLimits())
		if err != nil {
			return
		}
		if !Equal(pre, v) {
			t.Fatalf("%s: the pre-login limits decoded another value", enc)
		}
		if _, err := DecodeLimits(enc, data, DefaultLimits()); err != nil {
			t.Fatalf("%s: passes the pre-login limits, not the default ones: %v", enc, err)
		}
	})
}
