package lz4block

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/pierrec/lz4/v4"
)

// prefix is the size of the uncompressed-size header.
const prefix = 4

// ErrTooLarge is returned (wrapped) by Decode when the data claims more
// bytes than the limit.
var ErrTooLarge = errors.New("lz4block: uncompressed size over the limit")

// Bound is the most bytes Append adds for n bytes of input.
func Bound(n int) int { return prefix + lz4.CompressBlockBound(n) }

// Compressor appends xpra's lz4 form of its input, keeping its hash table
// from one call to the next (a fresh one per frame costs more than the
// compression of a small one). The zero value is ready to use; it is not
// safe for concurrent use.
type Compressor struct{ c lz4.Compressor }

// Append appends the lz4 form of src to dst and returns the extended
// slice. It allocates only when dst has less than Bound(len(src)) bytes
// of spare capacity, so that a caller can compress into memory it owns
// (a lent shared-memory region, a reused buffer). On error dst comes back
// as it was.
func (c *Compressor) Append(dst, src []byte) ([]byte, error) {
	if uint64(len(src)) > math.MaxUint32 {
		return dst, fmt.Errorf("lz4block: %d bytes do not fit the 4-byte size prefix", len(src))
	}
	start, bound := len(dst), Bound(len(src))
	out := slices.Grow(dst, bound)[:start+bound]
	binary.LittleEndian.PutUint32(out[start:], uint32(len(src)))
	// With CompressBlockBound bytes of room the block always fits, and
	// only empty input compresses to nothing.
	n, err := c.c.CompressBlock(src, out[start+prefix:])
	if err != nil {
		return dst, fmt.Errorf("lz4block: compression: %w", err)
	}
	if n == 0 && len(src) > 0 {
		return dst, errors.New("lz4block: compression produced no output")
	}
	return out[:start+prefix+n], nil
}

// Append is Compressor.Append with a compressor of its own.
func Append(dst, src []byte) ([]byte, error) {
	var c Compressor
	return c.Append(dst, src)
}

// Decode returns the uncompressed bytes of data, refusing (before it
// allocates) data that claims more than limit bytes, and data whose block
// does not decompress to exactly the claimed size.
func Decode(data []byte, limit int) ([]byte, error) {
	if len(data) < prefix {
		return nil, fmt.Errorf("lz4block: %d bytes, shorter than the size prefix", len(data))
	}
	// Compared as uint64: a claim over 2 GiB is not a negative int on a
	// 32-bit machine.
	claim := binary.LittleEndian.Uint32(data)
	if limit < 0 || uint64(claim) > uint64(limit) {
		return nil, fmt.Errorf("%w: %d bytes claimed, at most %d expected", ErrTooLarge, claim, limit)
	}
	n := int(claim)
	out := make([]byte, n)
	if n == 0 {
		return out, nil
	}
	got, err := lz4.UncompressBlock(data[prefix:], out)
	if err != nil {
		return nil, fmt.Errorf("lz4block: decompression: %w", err)
	}
	if got != n {
		return nil, fmt.Errorf("lz4block: decompressed %d bytes, the size prefix said %d", got, n)
	}
	return out, nil
}
