package wire

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"

	"github.com/xroam/xroam/sdk/lz4block"
)

// Compressor identifies a chunk compression algorithm.
type Compressor uint8

const (
	// NoCompression sends chunks as is (level byte 0).
	NoCompression Compressor = iota
	// Zlib is an RFC 1950 zlib stream (level byte 0x00|level).
	Zlib
	// LZ4 is an LZ4 block prefixed with the uncompressed size as a 4-byte
	// little-endian integer (level byte 0x10|level).
	LZ4
)

// Level byte algorithm bits (high nibble).
const (
	LevelZlib   = 0x00
	LevelLZ4    = 0x10
	LevelLZO    = 0x20
	LevelBrotli = 0x40
	LevelZstd   = 0x80
	levelMask   = 0x0f
)

// MinCompressSize is the size above which the main packet chunk is
// compressed (xpra 3.1.3 MIN_COMPRESS_SIZE).
const MinCompressSize = 378

// String returns the xpra name of the compressor.
func (c Compressor) String() string {
	switch c {
	case NoCompression:
		return "none"
	case Zlib:
		return "zlib"
	case LZ4:
		return "lz4"
	}
	return fmt.Sprintf("compressor(%d)", uint8(c))
}

// ErrUnsupportedCompression is returned (wrapped) for brotli, lzo, zstd or
// unknown compression bits in a chunk header.
var ErrUnsupportedCompression = errors.New("wire: unsupported compression")

// ErrTooLarge is returned (wrapped) when a chunk or its decompressed form
// exceeds the maximum packet size.
var ErrTooLarge = errors.New("wire: packet too large")

// levelByte returns the header level byte for compressor c at level.
func levelByte(c Compressor, level int) byte {
	if c == NoCompression || level <= 0 {
		return 0
	}
	if level > 9 {
		level = 9
	}
	switch c {
	case LZ4:
		return LevelLZ4 | byte(level)
	case Zlib:
		return LevelZlib | byte(level)
	}
	return 0
}

// compressorOf decodes the level byte of a header.
func compressorOf(level byte) (Compressor, error) {
	if level == 0 {
		return NoCompression, nil
	}
	switch level &^ levelMask {
	case LevelZlib:
		return Zlib, nil
	case LevelLZ4:
		return LZ4, nil
	case LevelLZO:
		return 0, fmt.Errorf("%w: lzo (level byte 0x%02x)", ErrUnsupportedCompression, level)
	case LevelBrotli:
		return 0, fmt.Errorf("%w: brotli (level byte 0x%02x)", ErrUnsupportedCompression, level)
	case LevelZstd:
		return 0, fmt.Errorf("%w: zstd (level byte 0x%02x)", ErrUnsupportedCompression, level)
	}
	return 0, fmt.Errorf("%w: level byte 0x%02x", ErrUnsupportedCompression, level)
}

// decompressor holds reusable decompression state (not safe for concurrent
// use).
type decompressor struct {
	zr  io.ReadCloser
	src bytes.Reader
}

// decompress inflates src into a new buffer of at most max bytes.
func (dc *decompressor) decompress(c Compressor, src []byte, max int) ([]byte, error) {
	switch c {
	case LZ4:
		out, err := lz4block.Decode(src, max)
		if errors.Is(err, lz4block.ErrTooLarge) {
			return nil, fmt.Errorf("%w: lz4: %w", ErrTooLarge, err)
		}
		if err != nil {
			return nil, fmt.Errorf("wire: lz4: %w", err)
		}
		return out, nil
	case Zlib:
		dc.src.Reset(src)
		var err error
		if dc.zr == nil {
			dc.zr, err = zlib.NewReader(&dc.src)
		} else if rs, ok := dc.zr.(zlib.Resetter); ok {
			err = rs.Reset(&dc.src, nil)
		} else {
			dc.zr, err = zlib.NewReader(&dc.src)
		}
		if err != nil {
			return nil, fmt.Errorf("wire: zlib header: %w", err)
		}
		var out bytes.Buffer
		out.Grow(min(max, len(src)*4+512))
		n, err := out.ReadFrom(io.LimitReader(dc.zr, int64(max)+1))
		if err != nil {
			return nil, fmt.Errorf("wire: zlib decompression: %w", err)
		}
		if n > int64(max) {
			return nil, fmt.Errorf("%w: zlib output exceeds %d bytes", ErrTooLarge, max)
		}
		return out.Bytes(), nil
	}
	return src, nil
}

// compressor holds reusable compression state (not safe for concurrent
// use).
type compressorState struct {
	lz4c lz4block.Compressor
	zw   *zlib.Writer
	zlvl int
	zbuf bytes.Buffer
}

// appendCompressed appends the compressed form of src to dst.
func (cs *compressorState) appendCompressed(dst []byte, c Compressor, level int, src []byte) ([]byte, error) {
	switch c {
	case LZ4:
		out, err := cs.lz4c.Append(dst, src)
		if err != nil {
			return dst, fmt.Errorf("wire: lz4: %w", err)
		}
		return out, nil
	case Zlib:
		if level < 1 {
			level = 1
		}
		if level > 9 {
			level = 9
		}
		cs.zbuf.Reset()
		if cs.zw == nil || cs.zlvl != level {
			zw, err := zlib.NewWriterLevel(&cs.zbuf, level)
			if err != nil {
				return dst, fmt.Errorf("wire: zlib: %w", err)
			}
			cs.zw, cs.zlvl = zw, level
		} else {
			cs.zw.Reset(&cs.zbuf)
		}
		if _, err := cs.zw.Write(src); err != nil {
			return dst, fmt.Errorf("wire: zlib compression: %w", err)
		}
		if err := cs.zw.Close(); err != nil {
			return dst, fmt.Errorf("wire: zlib compression: %w", err)
		}
		return append(dst, cs.zbuf.Bytes()...), nil
	}
	return append(dst, src...), nil
}

// grow extends b by n bytes (contents of the new bytes unspecified).
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n+len(b)/4)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}
