package wire

// ProtocolVersion is the xpra protocol version xroam speaks. Peers compare
// it with their own; xroam's release is sent separately as xroam.version.
const ProtocolVersion = "3.1.3"

// MDNSService is the DNS-SD service type of xpra sessions, announced by
// servers and browsed by clients.
const MDNSService = "_xpra._tcp"

// ProtocolCaps are the keys every hello carries, the server's replies and
// the command-line clients' requests alike, so that the peer can check
// the version and pick its packet encoder and compressor.
func ProtocolCaps() Dict {
	return Dict{
		"version":           ProtocolVersion,
		"rencode":           true,
		"bencode":           true,
		"rencodeplus":       true,
		"encoders":          []string{"rencodeplus", "rencode", "bencode"},
		"compressors":       []string{"lz4", "zlib"},
		"lz4":               true,
		"zlib":              true,
		"compression_level": int64(DefaultCompressionLevel),
	}
}
