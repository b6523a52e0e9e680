package lz4block_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/xroam/xroam/sdk/lz4block"
)

// The uncompressed size prefix and a block that python-lz4's
// lz4.block.compress (which xpra uses, store_size=True) makes of "aaaa":
// one token of four literals.
var xpraAAAA = []byte{4, 0, 0, 0, 0x40, 'a', 'a', 'a', 'a'}

func TestDecodeXpraBlock(t *testing.T) {
	out, err := lz4block.Decode(xpraAAAA, 4)
	if err != nil || string(out) != "aaaa" {
		t.Fatalf("Decode: %q, %v", out, err)
	}
}

func TestRoundTrip(t *testing.T) {
	var c lz4block.Compressor
	for _, src := range [][]byte{
		nil,
		[]byte("x"),
		bytes.Repeat([]byte{0, 0, 0, 0xff}, 10000),
		noise(70000),
	} {
		prefix := []byte("keep")
		enc, err := c.Append(prefix, src)
		if err != nil {
			t.Fatalf("%d bytes: %v", len(src), err)
		}
		if !bytes.Equal(enc[:4], []byte("keep")) || len(enc)-4 > lz4block.Bound(len(src)) {
			t.Fatalf("%d bytes: appended %d bytes to %q, bound %d", len(src), len(enc)-4, enc[:4], lz4block.Bound(len(src)))
		}
		if n := binary.LittleEndian.Uint32(enc[4:]); int(n) != len(src) {
			t.Fatalf("size prefix %d, want %d", n, len(src))
		}
		out, err := lz4block.Decode(enc[4:], len(src))
		if err != nil || !bytes.Equal(out, src) {
			t.Fatalf("%d bytes: decoded %d bytes, %v", len(src), len(out), err)
		}
	}
}

// TestAppendInPlace: with room enough, Append writes into the caller's
// memory and allocates nothing.
func TestAppendInPlace(t *testing.T) {
	src := bytes.Repeat([]byte("pixels"), 1000)
	buf := make([]byte, 0, lz4block.Bound(len(src)))
	var c lz4block.Compressor
	out, err := c.Append(buf, src)
	if err != nil || &out[0] != &buf[:1][0] {
		t.Fatalf("Append did not use the room it was given (%v)", err)
	}
	if n := testing.AllocsPerRun(10, func() { _, _ = c.Append(buf, src) }); n != 0 {
		t.Errorf("%v allocations per Append", n)
	}
}

func TestDecodeRefuses(t *testing.T) {
	good, err := lz4block.Append(nil, bytes.Repeat([]byte("ab"), 100))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		limit int
		large bool
	}{
		{"short prefix", []byte{1, 0}, 100, false},
		{"size over the limit", good, 199, true},
		{"4 GiB claimed", []byte{0xff, 0xff, 0xff, 0xff, 0}, 1 << 20, true},
		{"truncated block", good[:len(good)-2], 200, false},
		{"block shorter than claimed", append([]byte{9, 0, 0, 0}, xpraAAAA[4:]...), 100, false},
		{"garbage", []byte{10, 0, 0, 0, 0xf0, 0xff, 0xff}, 100, false},
	} {
		out, err := lz4block.Decode(tc.data, tc.limit)
		if err == nil || out != nil {
			t.Errorf("%s: %d bytes, %v", tc.name, len(out), err)
			continue
		}
		if errors.Is(err, lz4block.ErrTooLarge) != tc.large {
			t.Errorf("%s: %v, ErrTooLarge %v", tc.name, err, tc.large)
		}
	}
}

// FuzzDecode: any input decodes to at most the limit or fails, never
// panics, and what decodes comes back the same through Append.
func FuzzDecode(f *testing.F) {
	f.Add(xpraAAAA, 16)
	good, _ := lz4block.Append(nil, bytes.Repeat([]byte{1, 2, 3, 4}, 300))
	f.Add(good, 1200)
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0x1f, 0}, 1<<20)
	f.Fuzz(func(t *testing.T, data []byte, limit int) {
		limit = min(max(limit, 0), 1<<20)
		out, err := lz4block.Decode(data, limit)
		if err != nil {
			return
		}
		if len(out) > limit {
			t.Fatalf("%d bytes decoded, limit %d", len(out), limit)
		}
		enc, err := lz4block.Append(nil, out)
		if err != nil {
			t.Fatal(err)
		}
		back, err := lz4block.Decode(enc, limit)
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func noise(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
