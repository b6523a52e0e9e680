package xpra

import "github.com/xroam/xroam/core/wire"

// MDNSService is the DNS-SD service type of xpra sessions, announced by
// servers and browsed by clients.
const MDNSService = "_xpra._tcp"

// ProtocolCaps are the keys every hello carries, the server's replies and
// the command-line clients' requests alike, so that the peer can check
// the version and pick its packet encoder and compressor.
func ProtocolCaps() wire.Dict {
	return wire.Dict{
		"version":           ProtocolVersion,
		"rencode":           true,
		"bencode":           true,
		"rencodeplus":       true,
		"encoders":          []string{"rencodeplus", "rencode", "bencode"},
		"compressors":       []string{"lz4", "zlib"},
		"lz4":               true,
		"zlib":              true,
		"compression_level": int64(wire.DefaultCompressionLevel),
	}
}
