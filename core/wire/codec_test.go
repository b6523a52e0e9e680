package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestVectors(t *testing.T) {
	vecs := loadVectors(t)
	if len(vecs) < 40 {
		t.Fatalf("only %d vectors parsed", len(vecs))
	}
	for _, v := range vecs {
		t.Run(v.label, func(t *testing.T) {
			val, ok := vectorValue(v.label)
			if !ok {
				t.Fatalf("no Go value for vector %q", v.label)
			}
			got, err := EncodeRencode(val)
			if err != nil {
				t.Fatalf("rencode encode: %v", err)
			}
			if !bytes.Equal(got, v.rencode) {
				t.Errorf("rencode encode:\n got %s\nwant %s", hex.EncodeToString(got), hex.EncodeToString(v.rencode))
			}
			dec, err := DecodeRencode(v.rencode)
			if err != nil {
				t.Fatalf("rencode decode: %v", err)
			}
			if !EqualLoose(dec, val) {
				t.Errorf("rencode decode: got %#v want %#v", dec, val)
			}
			if _, isStr := val.(string); isStr {
				if _, ok := dec.([]byte); !ok {
					t.Errorf("rencode strings must decode as []byte, got %T", dec)
				}
			}
			if v.bencode == nil {
				if _, err := EncodeBencode(val); !errors.Is(err, ErrUnencodable) {
					t.Errorf("bencode encode of %T: want ErrUnencodable, got %v", val, err)
				}
				return
			}
			bgot, err := EncodeBencode(val)
			if err != nil {
				t.Fatalf("bencode encode: %v", err)
			}
			if !bytes.Equal(bgot, v.bencode) {
				t.Errorf("bencode encode:\n got %s\nwant %s", hex.EncodeToString(bgot), hex.EncodeToString(v.bencode))
			}
			bdec, err := DecodeBencode(v.bencode)
			if err != nil {
				t.Fatalf("bencode decode: %v", err)
			}
			if !EqualLoose(bdec, benNormalize(val)) {
				t.Errorf("bencode decode: got %#v want %#v", bdec, val)
			}
		})
	}
}

func TestRencodePlus(t *testing.T) {
	cases := []struct {
		val  any
		want string // hex
	}{
		{"abc", "83616263"},
		{[]byte("abc"), "332f616263"},
		{[]byte{}, "302f"},
		{strings.Repeat("a", 64), "36343a" + strings.Repeat("61", 64)},
		{1.5, "2c3ff8000000000000"},
		{float32(1.5), "2c3ff8000000000000"},
		{[]any{"ping", int64(5)}, "c28470696e6705"},
		{map[string]any{"k": []byte{1}}, "67816b312f01"},
		{"\xff", "312fff"}, // not UTF-8: sent as binary
	}
	for _, c := range cases {
		got, err := EncodeRencodePlus(c.val)
		if err != nil {
			t.Fatalf("%#v: %v", c.val, err)
		}
		if hex.EncodeToString(got) != c.want {
			t.Errorf("%#v: got %x want %s", c.val, got, c.want)
		}
		dec, err := DecodeRencodePlus(got)
		if err != nil {
			t.Fatalf("decode %x: %v", got, err)
		}
		want := c.val
		switch x := want.(type) {
		case float32:
			want = float64(x)
		case map[string]any:
			want = map[any]any{"k": []byte{1}}
		case string:
			if x == "\xff" {
				want = []byte(x)
			}
		}
		if !Equal(dec, want) {
			t.Errorf("decode %x: got %#v (%T) want %#v", got, dec, dec, want)
		}
	}
	// Invalid UTF-8 in a text string is refused.
	if _, err := DecodeRencodePlus([]byte{0x81, 0xff}); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid utf8: %v", err)
	}
	// '/' separator is not valid in plain rencode.
	if _, err := DecodeRencode([]byte("3/abc")); !errors.Is(err, ErrInvalid) {
		t.Errorf("rencode with '/': %v", err)
	}
}

func TestBencodeExtensions(t *testing.T) {
	v, err := DecodeBencode([]byte("u6:h\xc3\xa9llo"))
	if err != nil || v != "héllo" {
		t.Fatalf("u-string: %#v %v", v, err)
	}
	v, err = DecodeBencode([]byte("di1e1:xe"))
	if err != nil || !Equal(v, map[any]any{int64(1): []byte("x")}) {
		t.Fatalf("int key: %#v %v", v, err)
	}
	v, err = DecodeBencode([]byte("i123456789012345678901234567890e"))
	if err != nil || !Equal(v, bigInt("123456789012345678901234567890")) {
		t.Fatalf("big int: %#v %v", v, err)
	}
	for _, bad := range []string{"i01e", "i-0e", "ie", "i-e", "01:a", "i1", "5:abc", "l", "d1:a", "x", "i1ei2e", "li1e", "dli1eei1ee"} {
		if _, err := DecodeBencode([]byte(bad)); err == nil {
			t.Errorf("bencode %q: expected an error", bad)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	deep := bytes.Repeat([]byte{0xc1}, 100)
	deep = append(deep, 0)
	if _, err := DecodeRencode(deep); !errors.Is(err, ErrTooDeep) {
		t.Errorf("deep fixed lists: %v", err)
	}
	deep2 := append(bytes.Repeat([]byte{rcList}, 70), bytes.Repeat([]byte{rcTerm}, 70)...)
	if _, err := DecodeRencode(deep2); !errors.Is(err, ErrTooDeep) {
		t.Errorf("deep lists: %v", err)
	}
	deepB := strings.Repeat("l", 70) + strings.Repeat("e", 70)
	if _, err := DecodeBencode([]byte(deepB)); !errors.Is(err, ErrTooDeep) {
		t.Errorf("deep bencode: %v", err)
	}
	// Exactly at the limit is fine.
	ok := append(bytes.Repeat([]byte{0xc1}, 63), 0)
	if _, err := DecodeRencode(ok); err != nil {
		t.Errorf("depth 64: %v", err)
	}
	many := append([]byte{rcList}, bytes.Repeat([]byte{1}, 1000)...)
	many = append(many, rcTerm)
	if _, err := DecodeLimits(Rencode, many, Limits{MaxItems: 100}); !errors.Is(err, ErrTooManyItems) {
		t.Errorf("many items: %v", err)
	}
	if _, err := DecodeRencode([]byte{1, 2}); !errors.Is(err, ErrTrailingData) {
		t.Errorf("trailing: %v", err)
	}
	if _, err := DecodeRencode(nil); !errors.Is(err, ErrTruncated) {
		t.Errorf("empty: %v", err)
	}
	if _, err := DecodeRencode([]byte("99999999999:x")); !errors.Is(err, ErrInvalid) {
		t.Errorf("huge length prefix: %v", err)
	}
	if _, err := DecodeRencode([]byte("9999999999:x")); !errors.Is(err, ErrTruncated) {
		t.Errorf("length beyond input: %v", err)
	}
	long := append([]byte{rcInt}, bytes.Repeat([]byte{'1'}, 64)...)
	long = append(long, rcTerm)
	if _, err := DecodeRencode(long); !errors.Is(err, ErrInvalid) {
		t.Errorf("64-digit big int: %v", err)
	}
	for _, bad := range [][]byte{{rcInt, '1', 'x', rcTerm}, {rcInt, rcTerm}, {rcInt, '-', rcTerm}, {0x2d}, {0x7f}} {
		if _, err := DecodeRencode(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%x: want ErrInvalid, got %v", bad, err)
		}
	}
	// Unhashable keys.
	if _, err := DecodeRencode([]byte{0x67, 0xc0, 0x01}); !errors.Is(err, ErrInvalid) {
		t.Errorf("list key: %v", err)
	}
	// Every strict prefix of a valid encoding is an error (no panic).
	full := readTestdata(t, "xpra313-info-request-hello.rencode")
	for i := 0; i < len(full); i++ {
		if _, err := DecodeRencode(full[:i]); err == nil {
			t.Fatalf("prefix %d decoded without error", i)
		}
	}
	var de *DecodeError
	if _, err := DecodeRencode(full[:100]); !errors.As(err, &de) || de.Offset <= 0 || de.Offset > 100 {
		t.Errorf("DecodeError offset: %v", err)
	}
}

func TestEncodeValues(t *testing.T) {
	type myInt int16
	val := map[string]any{
		"a":   []string{"x", "y"},
		"b":   []int{1, 2},
		"c":   Dict{int64(1): true, "z": nil},
		"d":   uint64(math.MaxUint64),
		"e":   [2]int32{3, 4},
		"f":   map[int]string{2: "two", 1: "one"},
		"g":   myInt(-5),
		"h":   big.NewInt(7),
		"i":   RawChunk{Data: []byte("raw")},
		"j":   Packet{"p"},
		"k":   [][]byte{{1}},
		"l":   float32(0.5),
		"m":   map[string]string{"q": "r"},
		"n":   []int64{-1},
		"ptr": new(int),
	}
	enc, err := EncodeRencode(val)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := DecodeRencode(enc)
	if err != nil {
		t.Fatal(err)
	}
	d := Dict(dec.(map[any]any))
	if got := d.Strings("a"); len(got) != 2 || got[1] != "y" {
		t.Errorf("a: %v", got)
	}
	if !Equal(d["d"], new(big.Int).SetUint64(math.MaxUint64)) {
		t.Errorf("d: %#v", d["d"])
	}
	if a, b, ok := d.IntPair("e"); !ok || a != 3 || b != 4 {
		t.Errorf("e: %v %v %v", a, b, ok)
	}
	if f := d.Dict("f"); f.Str("", "") != "" || string(f[int64(1)].([]byte)) != "one" {
		t.Errorf("f: %#v", f)
	}
	if d.Int("g", 0) != -5 || d.Int("h", 0) != 7 || d.Str("i", "") != "raw" || d.Int("ptr", 1) != 0 {
		t.Errorf("g/h/i/ptr: %#v", d)
	}
	if d.List("j")[0] == nil || d.Dict("c")[int64(1)] != true {
		t.Errorf("j/c: %#v", d)
	}
	// Deterministic output.
	for i := 0; i < 5; i++ {
		again, _ := EncodeRencode(val)
		if !bytes.Equal(again, enc) {
			t.Fatal("encoding is not deterministic")
		}
	}
	// Unencodable values.
	if _, err := EncodeRencode(struct{}{}); !errors.Is(err, ErrUnencodable) {
		t.Errorf("struct: %v", err)
	}
	cyc := []any{nil}
	cyc[0] = cyc
	if _, err := EncodeRencode(cyc); !errors.Is(err, ErrUnencodable) {
		t.Errorf("cycle: %v", err)
	}
	huge := new(big.Int).Exp(big.NewInt(10), big.NewInt(70), nil)
	if _, err := EncodeRencode(huge); !errors.Is(err, ErrUnencodable) {
		t.Errorf("70-digit int: %v", err)
	}
	if _, err := EncodeBencode(huge); err != nil {
		t.Errorf("bencode big int: %v", err)
	}
	if _, err := EncodeBencode([]any{1.5}); !errors.Is(err, ErrUnencodable) {
		t.Errorf("bencode float: %v", err)
	}
	// rencode float64 that float32 cannot represent stays float64.
	b, _ := EncodeRencode(0.1)
	if b[0] != rcFloat64 {
		t.Errorf("0.1 encoded as %x", b)
	}
	if v, _ := DecodeRencode(b); v != 0.1 {
		t.Errorf("0.1 round trip: %v", v)
	}
}

func TestDictLookup(t *testing.T) {
	d := Dict{
		"encoding.rgb_formats": []any{[]byte("RGB"), "BGRX"},
		"encodings":            map[any]any{"core": []any{[]byte("png")}},
		"desktop_size":         []any{int64(1280), int64(1024)},
		"flag":                 int64(1),
		"empty":                []byte{},
		"level":                []byte("5"),
		"nested":               map[string]any{"a.b": true},
	}
	if got := d.Strings("encoding.rgb_formats"); len(got) != 2 || got[0] != "RGB" {
		t.Errorf("flat dotted: %v", got)
	}
	if got := d.Strings("encodings.core"); len(got) != 1 || got[0] != "png" {
		t.Errorf("nested: %v", got)
	}
	if !d.Bool("nested.a.b", false) {
		t.Error("nested flat remainder")
	}
	if w, h, ok := d.IntPair("desktop_size"); !ok || w != 1280 || h != 1024 {
		t.Error("IntPair")
	}
	if !d.Bool("flag", false) || d.Bool("empty", true) || !d.Bool("missing", true) {
		t.Error("Bool")
	}
	if d.Int("level", 0) != 5 || d.Int("missing", 9) != 9 {
		t.Error("Int")
	}
	if d.Has("nope.x") || !d.Has("encodings.core") {
		t.Error("Has")
	}
	var nilDict Dict
	if nilDict.Str("x", "def") != "def" {
		t.Error("nil dict")
	}
}
