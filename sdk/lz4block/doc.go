// Package lz4block writes and reads xpra's lz4 data: the uncompressed size
// as a 4-byte little-endian integer, then one LZ4 block. xpra sends it as
// a compressed packet chunk (level byte 0x10) and as the pixels of an rgb
// draw with the "lz4" option; the core's framing, its built-in rgb32
// pipeline, its client and the rgb encoder plugin all use this one
// implementation. Decode checks the claimed size against the caller's
// limit before it allocates.
package lz4block
