package wire

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// costShapes are inputs of the shapes that cost most per wire byte, and
// real packets, in each encoding.
func costShapes(t testing.TB) map[string][]byte {
	t.Helper()
	rc := func(v any) []byte {
		b, err := EncodeRencode(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	terminated := func(item []byte, n int) []byte {
		return append(append([]byte{rcList}, bytes.Repeat(item, n)...), rcTerm)
	}
	many := func(v any, n int) []any {
		l := make([]any, n)
		for i := range l {
			l[i] = v
		}
		return l
	}
	bigDict := Dict{}
	for i := range 100 {
		bigDict[fmt.Sprint("key", i)] = int64(i * 1000)
	}
	p, err := NewReader(bytes.NewReader(readTestdata(t, "xpra313-python-client-hello.bin"))).ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	hello := rc(p)
	return map[string][]byte{
		"rencode empty lists":      terminated([]byte{rcListFixed}, 10000),
		"rencode empty dicts":      terminated([]byte{rcDictFixed}, 10000),
		"rencode terminated lists": terminated([]byte{rcList, rcTerm}, 10000),
		"rencode terminated dicts": terminated([]byte{rcDict, rcTerm}, 10000),
		"rencode tiny dicts":       rc(many(Dict{"a": int64(1)}, 5000)),
		"rencode one-item lists":   terminated([]byte{rcListFixed + 1, 1}, 10000),
		"rencode negative ints":    terminated([]byte{rcIntNegBase}, 10000),
		"rencode int16s":           terminated([]byte{rcInt2, 1, 0}, 10000),
		"rencode floats":           terminated([]byte{rcFloat32, 1, 2, 3, 4}, 10000),
		"rencode big ints":         rc(many(bigInt("-85070591730234615865843651857942052864"), 2000)),
		"rencode big dicts":        rc(many(bigDict, 50)),
		"rencode nested":           append(bytes.Repeat([]byte{rcListFixed + 1}, 60), 0),
		"rencode hello":            hello,
		"rencodeplus text":         encodeT(t, RencodePlus, many("é", 10000)),
		"rencodeplus hello":        encodeT(t, RencodePlus, mustDecode(t, Rencode, hello)),
		"bencode empty lists":      []byte("l" + strings.Repeat("le", 10000) + "e"),
		"bencode empty dicts":      []byte("l" + strings.Repeat("de", 10000) + "e"),
		"bencode tiny dicts":       []byte("l" + strings.Repeat("d1:ai1ee", 5000) + "e"),
		"bencode one-item lists":   []byte("l" + strings.Repeat("li1ee", 10000) + "e"),
		"bencode unicode":          []byte("l" + strings.Repeat("u2:\xc3\xa9", 10000) + "e"),
		"bencode ints":             []byte("l" + strings.Repeat("i-1000e", 10000) + "e"),
		"bencode hello":            encodeT(t, Bencode, mustDecode(t, Rencode, hello)),
		"bencode big dicts":        encodeT(t, Bencode, many(bigDict, 50)),
		"bencode strings":          []byte("l" + strings.Repeat("3:abc", 10000) + "e"),
	}
}

func encodingOf(name string) Encoding {
	switch {
	case strings.HasPrefix(name, "rencodeplus"):
		return RencodePlus
	case strings.HasPrefix(name, "bencode"):
		return Bencode
	}
	return Rencode
}

func encodeT(t testing.TB, enc Encoding, v any) []byte {
	t.Helper()
	b, err := Encode(enc, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustDecode(t testing.TB, enc Encoding, b []byte) any {
	t.Helper()
	v, err := Decode(enc, b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// charged decodes data with an unbounded budget and returns what the
// decoder charged and what it really allocated.
func charged(t *testing.T, enc Encoding, data []byte) (cost, alloc uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := decoder{data: data, enc: enc, lim: DefaultLimits(), budget: 1 << 50}
	var err error
	if enc == Bencode {
		_, err = d.bencode(0)
	} else {
		_, err = d.rencode(0)
	}
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	return 1<<50 - uint64(d.budget), after.TotalAlloc - before.TotalAlloc
}

// TestDecodeCostBound: the decoder's estimate of the memory its values
// take is at least what decoding allocates, for the shapes that cost
// most per wire byte, so that the budget bounds the real memory.
func TestDecodeCostBound(t *testing.T) {
	for name, data := range costShapes(t) {
		cost, alloc := charged(t, encodingOf(name), data)
		t.Logf("%-26s %7d wire bytes: allocated %8d, charged %8d (%.1f per wire byte)", name, len(data), alloc, cost, float64(cost)/float64(len(data)))
		// A few hundred bytes of slack for the runtime's own.
		if alloc > cost+512 {
			t.Errorf("%s: decoding allocated %d bytes, the decoder charged only %d", name, alloc, cost)
		}
	}
}

// TestDecodeBudget: an input whose values would take more than the
// budget fails with ErrTooCostly, in every encoding, and the inputs xpra
// peers send pass with the default and the pre-login limits.
func TestDecodeBudget(t *testing.T) {
	// A million empty lists: 2 MB of bencode, 1 MB of rencode.
	const n = 1_000_000
	flood := map[Encoding][]byte{
		Bencode:     []byte("l" + strings.Repeat("le", n) + "e"),
		Rencode:     append(append([]byte{rcList}, bytes.Repeat([]byte{rcListFixed}, n)...), rcTerm),
		RencodePlus: append(append([]byte{rcList}, bytes.Repeat([]byte{rcDictFixed}, n)...), rcTerm),
	}
	for enc, data := range flood {
		for _, lim := range []Limits{DefaultLimits(), PreAuthLimits(), {MaxItems: 2 * n}} {
			_, err := DecodeLimits(enc, data, lim)
			if !errors.Is(err, ErrTooCostly) && !errors.Is(err, ErrTooManyItems) {
				t.Errorf("%s, %+v: %d empty containers decoded: %v", enc, lim, n, err)
			}
		}
		if _, err := DecodeLimits(enc, data, Limits{MaxItems: 2 * n}); !errors.Is(err, ErrTooCostly) {
			t.Errorf("%s: %v, want ErrTooCostly", enc, err)
		} else if !strings.Contains(err.Error(), "bytes of values from") {
			t.Errorf("%s: unclear error %q", enc, err)
		}
	}
	// What peers really send fits, before and after login.
	for _, name := range []string{"rencode hello", "rencodeplus hello", "bencode hello", "rencode big dicts", "bencode big dicts"} {
		data := costShapes(t)[name]
		for _, lim := range []Limits{DefaultLimits(), PreAuthLimits()} {
			if _, err := DecodeLimits(encodingOf(name), data, lim); err != nil {
				t.Errorf("%s with %+v: %v", name, lim, err)
			}
		}
	}
	// The pre-login cap holds whatever the input's size.
	if got := PreAuthLimits().budget(HardMaxPacketSize); got != PreAuthMaxCost {
		t.Errorf("pre-login budget of a %d-byte input: %d, want %d", HardMaxPacketSize, got, PreAuthMaxCost)
	}
	if got := (Limits{CostPerByte: 1 << 62, CostBase: 1}).budget(1 << 20); got <= 0 {
		t.Errorf("overflowing budget: %d", got)
	}
}
