package wire

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Packet is one xpra packet: a list whose first element is the packet
// type (a string; xpra 3.1.3 peers may use an integer alias when aliases
// were negotiated, which xroam never does).
type Packet []any

// Packet type names used by the helpers in this package.
const (
	TypeHello      = "hello"
	TypePing       = "ping"
	TypePingEcho   = "ping_echo"
	TypeDisconnect = "disconnect"
	TypeSetDeflate = "set_deflate"
)

// Disconnect reasons, exactly as xpra 3.1.3 spells them (xpra/util.py).
// Peers treat a reason containing "error" or "timeout" (except
// IdleTimeout) as a failure; see DisconnectIsError.
const (
	// timeouts
	ReasonClientPingTimeout = "client ping timeout"
	ReasonLoginTimeout      = "login timeout"
	ReasonClientExitTimeout = "client exit timeout"
	// errors
	ReasonProtocolError       = "protocol error"
	ReasonVersionError        = "version error"
	ReasonControlCommandError = "control command error"
	ReasonAuthenticationError = "authentication error"
	ReasonPermissionError     = "permission error"
	ReasonServerError         = "server error"
	ReasonSessionNotFound     = "session not found error"
	// informational
	ReasonDone           = "done"
	ReasonServerExit     = "server exit"
	ReasonServerUpgrade  = "server upgrade"
	ReasonServerShutdown = "server shutdown"
	ReasonClientRequest  = "client request"
	ReasonDetachRequest  = "detach request"
	ReasonNewClient      = "new client"
	ReasonIdleTimeout    = "idle timeout"
	ReasonSessionBusy    = "session busy"
	// client telling the server
	ReasonClientExit = "client exit"

	// Free-text reason sent by the 3.1.3 server on a failed challenge
	// (not part of the constant table).
	ReasonAuthenticationFailed = "authentication failed"
)

// DisconnectIsError reports whether xpra would treat reason as a failure.
func DisconnectIsError(reason string) bool {
	return strings.Contains(reason, "error") || (strings.Contains(reason, "timeout") && reason != ReasonIdleTimeout)
}

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

func expectType(p Packet, t string, minLen int) error {
	if p.Type() != t {
		return fmt.Errorf("wire: expected %q packet, got %s", t, packetName(p))
	}
	if len(p) < minLen {
		return fmt.Errorf("wire: %q packet has %d items, need at least %d", t, len(p), minLen)
	}
	return nil
}

// NewHello returns ["hello", caps].
func NewHello(caps Dict) Packet { return Packet{TypeHello, caps} }

// ParseHello returns the capabilities of a hello packet.
func ParseHello(p Packet) (Dict, error) {
	if err := expectType(p, TypeHello, 2); err != nil {
		return nil, err
	}
	d, ok := AsDict(p[1])
	if !ok {
		return nil, fmt.Errorf("wire: hello capabilities are a %T, not a dict", p[1])
	}
	return d, nil
}

// Ping is a ping packet: ["ping", time_ms(, wallclock_ms(, sid))].
// Clients send only Time (monotonic ms); servers also send Wallclock.
type Ping struct {
	Time      int64
	Wallclock int64 // 0 when absent
	SID       string
}

// Packet returns the ping as a packet (Wallclock and SID are included
// only when set).
func (pg Ping) Packet() Packet {
	p := Packet{TypePing, pg.Time}
	if pg.Wallclock != 0 || pg.SID != "" {
		p = append(p, pg.Wallclock)
	}
	if pg.SID != "" {
		p = append(p, pg.SID)
	}
	return p
}

// ParsePing parses a ping packet.
func ParsePing(p Packet) (Ping, error) {
	if err := expectType(p, TypePing, 2); err != nil {
		return Ping{}, err
	}
	var pg Ping
	var ok bool
	if pg.Time, ok = p.Int(1); !ok {
		return Ping{}, fmt.Errorf("wire: ping time is a %T", p[1])
	}
	pg.Wallclock, _ = p.Int(2)
	pg.SID = p.Str(3)
	return pg, nil
}

// PingEcho is a ping_echo packet: ["ping_echo", echoed_time, load1,
// load5, load15, latency_ms(, sid)]. Loads are 1000 * the load average;
// Latency is -1 when unknown. xpra 3.1.3 needs all five numbers.
type PingEcho struct {
	Time                 int64
	Load1, Load5, Load15 int64
	Latency              int64
	SID                  string
	HasSID               bool
}

// NewPingEcho answers a ping with the given load averages (as floats,
// e.g. from /proc/loadavg) and unknown latency.
func NewPingEcho(echoed int64, load1, load5, load15 float64) PingEcho {
	return PingEcho{Time: echoed, Load1: loadMilli(load1), Load5: loadMilli(load5), Load15: loadMilli(load15), Latency: -1}
}

func loadMilli(f float64) int64 {
	if math.IsNaN(f) || f < 0 {
		return 0
	}
	return int64(min(f*1000, math.MaxInt32))
}

// Packet returns the echo as a packet (SID included when HasSID).
func (pe PingEcho) Packet() Packet {
	p := Packet{TypePingEcho, pe.Time, pe.Load1, pe.Load5, pe.Load15, pe.Latency}
	if pe.HasSID {
		p = append(p, pe.SID)
	}
	return p
}

// ParsePingEcho parses a ping_echo packet (at least 6 items).
func ParsePingEcho(p Packet) (PingEcho, error) {
	if err := expectType(p, TypePingEcho, 6); err != nil {
		return PingEcho{}, err
	}
	var pe PingEcho
	dst := []*int64{&pe.Time, &pe.Load1, &pe.Load5, &pe.Load15, &pe.Latency}
	for i, d := range dst {
		n, ok := p.Int(i + 1)
		if !ok {
			return PingEcho{}, fmt.Errorf("wire: ping_echo item %d is a %T", i+1, p[i+1])
		}
		*d = n
	}
	if len(p) > 6 {
		pe.SID, pe.HasSID = p.Str(6), true
	}
	return pe, nil
}

// NewDisconnect returns ["disconnect", reason, extra...].
func NewDisconnect(reason string, extra ...string) Packet {
	p := make(Packet, 0, 2+len(extra))
	p = append(p, TypeDisconnect, reason)
	for _, e := range extra {
		p = append(p, e)
	}
	return p
}

// ParseDisconnect returns the reason and extra messages of a disconnect
// packet (non-string extras are formatted with %v).
func ParseDisconnect(p Packet) (reason string, extra []string, err error) {
	if err := expectType(p, TypeDisconnect, 2); err != nil {
		return "", nil, err
	}
	for i := 2; i < len(p); i++ {
		if s, ok := AsString(p[i]); ok {
			extra = append(extra, s)
		} else {
			extra = append(extra, fmt.Sprint(p[i]))
		}
	}
	return p.Str(1), extra, nil
}

// NewSetDeflate returns ["set_deflate", level].
func NewSetDeflate(level int) Packet { return Packet{TypeSetDeflate, int64(level)} }

// ParseSetDeflate returns the level of a set_deflate packet, clamped to
// 0..9.
func ParseSetDeflate(p Packet) (int, error) {
	if err := expectType(p, TypeSetDeflate, 2); err != nil {
		return 0, err
	}
	n, ok := p.Int(1)
	if !ok {
		return 0, fmt.Errorf("wire: set_deflate level is a %T", p[1])
	}
	return int(min(max(n, 0), 9)), nil
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
