// Package wire implements the xpra network protocol layer as spoken by
// xpra 3.1.3 (Debian 12) and compatible peers: chunk framing, compression,
// the packet encoders (rencode, rencodeplus, bencode) and encoder/compressor
// negotiation. The packets themselves, typed, are in core/xpra.
//
// # Framing
//
// Every chunk is an 8-byte header ('P', protocol flags, compression level
// byte, chunk index, big-endian uint32 size) followed by the payload.
// Flags 0x01 select rencode, 0x10 rencodeplus, neither bencode; 0x02
// (AES encryption) and 0x04 (yaml) are refused with ErrEncrypted and
// ErrUnsupportedEncoding. The level byte is 0 for no compression, else its
// high bits choose zlib (0x00) or lz4 (0x10, an LZ4 block preceded by the
// uncompressed size as a little-endian uint32, sdk/lz4block's format);
// brotli, lzo and zstd are refused with ErrUnsupportedCompression. Chunks
// with index > 0 carry raw binary items that replace element <index> of
// the next main (index 0) packet; at most MaxRawChunks may be pending.
//
// Reader enforces a per-chunk limit (DefaultMaxPacketSize = 16 MiB until
// raised with SetMaxPacketSize, never above HardMaxPacketSize = 256 MiB)
// on both the wire size and the decompressed size. Writer is safe for
// concurrent use, compresses the main chunk when a level > 0 is set and
// the encoded packet exceeds MinCompressSize (378 bytes, as xpra), and can
// send large binary items as separate raw chunks (RawChunk, or
// SetChunkThreshold) without copying them.
//
// # Value model
//
// Packets are Packet ([]any) values. Decoded values are:
//
//   - integers: int64; integers outside the int64 range (rencode's
//     decimal form, e.g. the 126-bit mmap_token of a 3.1.3 hello, or long
//     bencode integers) are *big.Int.
//   - floats: float64 (rencode float32 values are widened).
//   - bool and nil (rencode only; bencode has neither: booleans arrive as
//     0/1 integers).
//   - strings: rencode and bencode (xpra 3.1.3) make no text/binary
//     distinction, so their strings decode as []byte. rencodeplus
//     distinguishes them: text decodes as string (validated UTF-8), binary
//     as []byte. Bencode's "u<len>:" extension decodes as string.
//   - lists: []any.
//   - dicts: map[any]any (convert with Dict(m) or AsDict). Keys are made
//     hashable: every string-like key becomes a Go string; integer keys
//     are int64 (3.1.3 sends int keys in xkbmap_x11_keycodes). List, dict
//     and big-integer keys are rejected.
//
// Decoded []byte values alias the decoded buffer (capacity-limited
// sub-slices); the Reader allocates a fresh buffer per chunk, so they stay
// valid, but callers of Decode must not modify its input afterwards.
//
// Use the tolerant accessors (Dict.Str/Int/Bool/Bytes/Strings/IntPair/
// Dict, Packet.Str/Int/Bytes/Dict, AsString, AsInt...) rather than type
// assertions: they accept string and []byte interchangeably, and Dict
// getters look up flat dotted keys ("encoding.rgb_formats", xpra 3.x)
// before walking nested dicts (newer xpra).
//
// Encoders accept string (text), []byte and RawChunk (binary), all
// integer kinds, *big.Int, float32/float64, bool, nil, slices/arrays,
// maps with scalar keys, Dict, Packet and any nesting. Dict keys are
// written in sorted order (deterministic output). For rencode, strings and
// bytes are identical on the wire and outputs match python-rencode 1.0.6
// byte for byte, except that a float64 that is not exactly representable
// as float32 is written as float64 (python's default dumps() would round
// it to float32). rencodeplus writes string as text (or as binary if it
// is not valid UTF-8), []byte as binary, floats as float64. Bencode cannot
// carry nil or floats (ErrUnencodable) and writes bools as i1e/i0e.
//
// # Limits
//
// Decoding untrusted input is bounded: nesting depth (DefaultMaxDepth =
// 64), total decoded values (DefaultMaxItems = 2^20), string length
// prefixes (10 digits, and never beyond the input), big integers (63
// characters for rencode as python-rencode, 256 for bencode), the memory
// the decoded values take as the decoder reckons it (DefaultCostBase +
// DefaultCostPerByte bytes a wire byte: an empty list is one wire byte
// and some 50 bytes of memory), and the whole input must be consumed.
// PreAuthLimits are tighter, for a peer that has not logged in. Errors
// are *DecodeError values wrapping ErrTruncated, ErrTrailingData,
// ErrTooDeep, ErrTooManyItems, ErrTooCostly or ErrInvalid. Nothing in this package panics on bad input and there is
// no package-level mutable state.
package wire
