package wire

import (
	"slices"
	"strconv"
)

// Packet is one xpra packet: a list whose first element is the packet
// type (a string; xpra 3.1.3 peers may use an integer alias when aliases
// were negotiated, which xroam never does). The packets themselves, typed,
// are in core/xpra.
type Packet []any

// Type returns the packet type when it is a string or byte string.
func (p Packet) Type() string {
	if len(p) == 0 {
		return ""
	}
	s, _ := AsString(p[0])
	return s
}

// TypeAlias returns the integer packet type when the peer used an alias.
func (p Packet) TypeAlias() (int64, bool) {
	if len(p) == 0 {
		return 0, false
	}
	n, ok := p[0].(int64)
	return n, ok
}

// Str returns item i as a string (string or []byte), "" if absent.
func (p Packet) Str(i int) string {
	if i < 0 || i >= len(p) {
		return ""
	}
	s, _ := AsString(p[i])
	return s
}

// Bytes returns item i as bytes, nil if absent.
func (p Packet) Bytes(i int) []byte {
	if i < 0 || i >= len(p) {
		return nil
	}
	b, _ := AsBytes(p[i])
	return b
}

// Int returns item i as an int64 and whether it was an integer.
func (p Packet) Int(i int) (int64, bool) {
	if i < 0 || i >= len(p) {
		return 0, false
	}
	return AsInt(p[i])
}

// Dict returns item i as a Dict (nil if not a dict).
func (p Packet) Dict(i int) Dict {
	if i < 0 || i >= len(p) {
		return nil
	}
	d, _ := AsDict(p[i])
	return d
}

// List returns item i as a list (nil if not a list).
func (p Packet) List(i int) []any {
	if i < 0 || i >= len(p) {
		return nil
	}
	l, _ := AsList(p[i])
	return l
}

func packetName(p Packet) string {
	if t := p.Type(); t != "" {
		return strconv.Quote(t)
	}
	if n, ok := p.TypeAlias(); ok {
		return "alias " + strconv.FormatInt(n, 10)
	}
	return "untyped"
}

// Negotiated is the outbound encoder and compression chosen for a peer.
type Negotiated struct {
	Encoding   Encoding
	Compressor Compressor
	Level      int
}

// ChooseEncoding picks the encoder to send to a peer from its hello:
// rencodeplus if it says rencodeplus=True, else rencode if rencode=True,
// else bencode (3.1.3 defaults bencode to available). The "encoders" list
// is consulted as well.
func ChooseEncoding(peer Dict) Encoding {
	encs := peer.Strings("encoders")
	switch {
	case peer.Bool("rencodeplus", false) || slices.Contains(encs, "rencodeplus"):
		return RencodePlus
	case peer.Bool("rencode", false) || slices.Contains(encs, "rencode"):
		return Rencode
	}
	return Bencode
}

// ChooseCompressor picks lz4 when the peer has lz4=True or lists "lz4" in
// compressors, else zlib likewise, else no compression.
func ChooseCompressor(peer Dict) Compressor {
	comps := peer.Strings("compressors")
	switch {
	case peer.Bool("lz4", false) || slices.Contains(comps, "lz4"):
		return LZ4
	case peer.Bool("zlib", false) || slices.Contains(comps, "zlib"):
		return Zlib
	}
	return NoCompression
}

// DefaultCompressionLevel is used when the peer hello has no
// compression_level (xpra's default is 1).
const DefaultCompressionLevel = 1

// Negotiate derives the outbound settings from a peer hello: encoder,
// compressor, and the peer's compression_level (clamped to 0..9; a level
// of 0 or no common compressor means no compression).
func Negotiate(peer Dict) Negotiated {
	n := Negotiated{Encoding: ChooseEncoding(peer), Compressor: ChooseCompressor(peer)}
	lvl := peer.Int("compression_level", DefaultCompressionLevel)
	n.Level = int(min(max(lvl, 0), 9))
	if n.Level == 0 || n.Compressor == NoCompression {
		n.Level, n.Compressor = 0, NoCompression
	}
	return n
}
