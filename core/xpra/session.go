package xpra

import (
	"fmt"
	"math"

	"github.com/xroam/xroam/core/wire"
)

// NewHello returns ["hello", caps].
func NewHello(caps wire.Dict) wire.Packet { return wire.Packet{TypeHello, caps} }

// ParseHello returns the capabilities of a hello packet.
func ParseHello(p wire.Packet) (wire.Dict, error) {
	if err := expect(p, 2, TypeHello); err != nil {
		return nil, err
	}
	d, ok := wire.AsDict(p[1])
	if !ok {
		return nil, fmt.Errorf("xpra: hello capabilities are a %T, not a dict", p[1])
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
func (pg Ping) Packet() wire.Packet {
	p := wire.Packet{TypePing, pg.Time}
	if pg.Wallclock != 0 || pg.SID != "" {
		p = append(p, pg.Wallclock)
	}
	if pg.SID != "" {
		p = append(p, pg.SID)
	}
	return p
}

// ParsePing parses a ping packet.
func ParsePing(p wire.Packet) (Ping, error) {
	if err := expect(p, 2, TypePing); err != nil {
		return Ping{}, err
	}
	var pg Ping
	var err error
	if pg.Time, err = intField(p, 1, "time"); err != nil {
		return Ping{}, err
	}
	pg.Wallclock = intOr(p, 2)
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
func (pe PingEcho) Packet() wire.Packet {
	p := wire.Packet{TypePingEcho, pe.Time, pe.Load1, pe.Load5, pe.Load15, pe.Latency}
	if pe.HasSID {
		p = append(p, pe.SID)
	}
	return p
}

// ParsePingEcho parses a ping_echo packet (at least 6 items).
func ParsePingEcho(p wire.Packet) (PingEcho, error) {
	if err := expect(p, 6, TypePingEcho); err != nil {
		return PingEcho{}, err
	}
	var pe PingEcho
	dst := []*int64{&pe.Time, &pe.Load1, &pe.Load5, &pe.Load15, &pe.Latency}
	for i, d := range dst {
		n, err := intField(p, i+1, fmt.Sprintf("item %d", i+1))
		if err != nil {
			return PingEcho{}, err
		}
		*d = n
	}
	if len(p) > 6 {
		pe.SID, pe.HasSID = p.Str(6), true
	}
	return pe, nil
}

// Disconnect is ["disconnect", reason, extra...], either way.
type Disconnect struct {
	Reason string
	Extra  []string
}

// NewDisconnect returns the disconnect packet of reason and extra.
func NewDisconnect(reason string, extra ...string) wire.Packet {
	return Disconnect{Reason: reason, Extra: extra}.Packet()
}

// Packet encodes the disconnect.
func (d Disconnect) Packet() wire.Packet {
	p := make(wire.Packet, 0, 2+len(d.Extra))
	p = append(p, TypeDisconnect, d.Reason)
	for _, e := range d.Extra {
		p = append(p, e)
	}
	return p
}

// ParseDisconnect reads a disconnect packet (non-string extras are
// formatted with %v).
func ParseDisconnect(p wire.Packet) (Disconnect, error) {
	if err := expect(p, 2, TypeDisconnect); err != nil {
		return Disconnect{}, err
	}
	var extra []string
	for i := 2; i < len(p); i++ {
		if s, ok := wire.AsString(p[i]); ok {
			extra = append(extra, s)
		} else {
			extra = append(extra, fmt.Sprint(p[i]))
		}
	}
	return Disconnect{Reason: p.Str(1), Extra: extra}, nil
}

// SetDeflate is ["set_deflate", level]: the sender's wish for the
// compression level of what it receives.
type SetDeflate struct{ Level int }

// Packet encodes the level.
func (s SetDeflate) Packet() wire.Packet { return wire.Packet{TypeSetDeflate, int64(s.Level)} }

// ParseSetDeflate reads a set_deflate packet, the level clamped to 0..9.
func ParseSetDeflate(p wire.Packet) (SetDeflate, error) {
	if err := expect(p, 2, TypeSetDeflate); err != nil {
		return SetDeflate{}, err
	}
	n, err := intField(p, 1, "level")
	if err != nil {
		return SetDeflate{}, err
	}
	return SetDeflate{Level: int(min(max(n, 0), 9))}, nil
}

// Challenge is the server's ["challenge", server_salt, cipher_caps,
// digest, salt_digest, prompt]. CipherCaps is nil (sent as "") on a link
// without AES. Nothing is required of a received one: AnswerChallenge
// checks what it needs.
type Challenge struct {
	ServerSalt []byte
	CipherCaps wire.Dict
	Digest     string
	SaltDigest string
	Prompt     string
}

// Packet encodes the challenge.
func (c Challenge) Packet() wire.Packet {
	var caps any = ""
	if c.CipherCaps != nil {
		caps = c.CipherCaps
	}
	return wire.Packet{TypeChallenge, c.ServerSalt, caps, c.Digest, c.SaltDigest, c.Prompt}
}

// ParseChallenge reads a challenge packet.
func ParseChallenge(p wire.Packet) (Challenge, error) {
	if err := expect(p, 1, TypeChallenge); err != nil {
		return Challenge{}, err
	}
	return Challenge{ServerSalt: p.Bytes(1), CipherCaps: p.Dict(2), Digest: p.Str(3), SaltDigest: p.Str(4), Prompt: p.Str(5)}, nil
}

// StartupComplete is ["startup-complete"]: the server sent the initial
// windows.
type StartupComplete struct{}

// Packet encodes it.
func (StartupComplete) Packet() wire.Packet { return wire.Packet{TypeStartupComplete} }

// ParseStartupComplete checks the type.
func ParseStartupComplete(p wire.Packet) (StartupComplete, error) {
	return StartupComplete{}, expect(p, 1, TypeStartupComplete)
}

// InfoResponse is ["info-response", info]: the answer to an
// info-request, the same tree as an info request's hello.
type InfoResponse struct{ Info map[string]any }

// Packet encodes the response.
func (r InfoResponse) Packet() wire.Packet { return wire.Packet{TypeInfoResponse, r.Info} }

// ParseInfoResponse reads an info-response; keys that are no strings are
// left out.
func ParseInfoResponse(p wire.Packet) (InfoResponse, error) {
	if err := expect(p, 2, TypeInfoResponse); err != nil {
		return InfoResponse{}, err
	}
	d, ok := wire.AsDict(p[1])
	if !ok {
		return InfoResponse{}, fmt.Errorf("xpra: info-response holds a %T, not a dict", p[1])
	}
	m := make(map[string]any, len(d))
	for k, v := range d {
		if s, ok := wire.AsString(k); ok {
			m[s] = v
		}
	}
	return InfoResponse{Info: m}, nil
}

// Screenshot is the answer to a screenshot request: ["screenshot", w, h,
// encoding, rowstride, data]. A session without windows sends empty data.
type Screenshot struct {
	Width, Height int64
	Encoding      string
	Rowstride     int64
	Data          []byte
}

// Packet encodes the screenshot.
func (s Screenshot) Packet() wire.Packet {
	return wire.Packet{TypeScreenshot, s.Width, s.Height, s.Encoding, s.Rowstride, s.Data}
}

// ParseScreenshot reads a screenshot packet (all six items).
func ParseScreenshot(p wire.Packet) (Screenshot, error) {
	if err := expect(p, 6, TypeScreenshot); err != nil {
		return Screenshot{}, err
	}
	return Screenshot{Width: intOr(p, 1), Height: intOr(p, 2), Encoding: p.Str(3), Rowstride: intOr(p, 4), Data: p.Bytes(5)}, nil
}

// ShutdownServer is ["shutdown-server"]: stop the session.
type ShutdownServer struct{}

// Packet encodes it.
func (ShutdownServer) Packet() wire.Packet { return wire.Packet{TypeShutdownServer} }

// ParseShutdownServer checks the type.
func ParseShutdownServer(p wire.Packet) (ShutdownServer, error) {
	return ShutdownServer{}, expect(p, 1, TypeShutdownServer)
}

// ExitUpgrade is the ExitServer reason of `xroam upgrade`.
const ExitUpgrade = "upgrade"

// ExitServer is ["exit-server"(, reason)]: the server exits, leaving the
// display and its applications running. Reason is xroam's: ExitUpgrade
// or "" (sent without it).
type ExitServer struct{ Reason string }

// Packet encodes it.
func (e ExitServer) Packet() wire.Packet {
	if e.Reason == "" {
		return wire.Packet{TypeExitServer}
	}
	return wire.Packet{TypeExitServer, e.Reason}
}

// ParseExitServer reads an exit-server packet.
func ParseExitServer(p wire.Packet) (ExitServer, error) {
	if err := expect(p, 1, TypeExitServer); err != nil {
		return ExitServer{}, err
	}
	return ExitServer{Reason: p.Str(1)}, nil
}

// SettingClipboardDirection is the setting-change of the clipboard's
// direction (xpra's names: "to-server", "to-client", "both",
// "disabled").
const SettingClipboardDirection = "clipboard-direction"

// SettingChange is the server's ["setting-change", setting, value].
type SettingChange struct {
	Setting string
	Value   any
}

// Packet encodes the change.
func (s SettingChange) Packet() wire.Packet {
	return wire.Packet{TypeSettingChange, s.Setting, s.Value}
}

// ParseSettingChange reads a setting-change (the value may be absent:
// nil).
func ParseSettingChange(p wire.Packet) (SettingChange, error) {
	if err := expect(p, 2, TypeSettingChange); err != nil {
		return SettingChange{}, err
	}
	return SettingChange{Setting: p.Str(1), Value: item(p, 2)}, nil
}

// DesktopSize is the server's ["desktop_size", root_w, root_h, max_w,
// max_h]: its screen changed.
type DesktopSize struct {
	Width, Height       int64
	MaxWidth, MaxHeight int64
}

// Packet encodes the sizes.
func (d DesktopSize) Packet() wire.Packet {
	return wire.Packet{TypeDesktopSize, d.Width, d.Height, d.MaxWidth, d.MaxHeight}
}

// ParseDesktopSize reads the server's desktop_size (the largest size is
// 0 when absent).
func ParseDesktopSize(p wire.Packet) (DesktopSize, error) {
	if err := expect(p, 3, TypeDesktopSize); err != nil {
		return DesktopSize{}, err
	}
	w, err := intField(p, 1, "width")
	if err != nil {
		return DesktopSize{}, err
	}
	h, err := intField(p, 2, "height")
	if err != nil {
		return DesktopSize{}, err
	}
	return DesktopSize{Width: w, Height: h, MaxWidth: intOr(p, 3), MaxHeight: intOr(p, 4)}, nil
}

// ClientDesktopSize is the client's ["desktop_size", w, h, screen_sizes,
// ...]: its screen changed. ScreenSizes is xpra's list of screens, each
// [name, w, h, wmm, hmm, monitors, ...], passed on as it is; the further
// items (desktops, names, dpi) are not read.
type ClientDesktopSize struct {
	Width, Height int64
	ScreenSizes   []any
}

// Packet encodes the sizes.
func (d ClientDesktopSize) Packet() wire.Packet {
	sizes := d.ScreenSizes
	if sizes == nil {
		sizes = []any{}
	}
	return wire.Packet{TypeDesktopSize, d.Width, d.Height, sizes}
}

// ParseClientDesktopSize reads a client's desktop_size: the width and
// height are required.
func ParseClientDesktopSize(p wire.Packet) (ClientDesktopSize, error) {
	if err := expect(p, 3, TypeDesktopSize); err != nil {
		return ClientDesktopSize{}, err
	}
	w, err := intField(p, 1, "width")
	if err != nil {
		return ClientDesktopSize{}, err
	}
	h, err := intField(p, 2, "height")
	if err != nil {
		return ClientDesktopSize{}, err
	}
	return ClientDesktopSize{Width: w, Height: h, ScreenSizes: p.List(3)}, nil
}

// BandwidthLimit is a client's ["bandwidth-limit", bits_per_second]
// (0: no limit of its own).
type BandwidthLimit struct{ BPS int64 }

// Packet encodes the limit.
func (b BandwidthLimit) Packet() wire.Packet { return wire.Packet{TypeBandwidthLimit, b.BPS} }

// ParseBandwidthLimit reads a bandwidth-limit packet.
func ParseBandwidthLimit(p wire.Packet) (BandwidthLimit, error) {
	if err := expect(p, 2, TypeBandwidthLimit); err != nil {
		return BandwidthLimit{}, err
	}
	n, err := intField(p, 1, "limit")
	return BandwidthLimit{BPS: n}, err
}

// LayoutChanged is a client's ["layout-changed", layout, variant(,
// options)]: its keyboard layout changed. Absent names are "".
type LayoutChanged struct {
	Layout, Variant, Options string
}

// Packet encodes the layout (options only when set).
func (l LayoutChanged) Packet() wire.Packet {
	p := wire.Packet{TypeLayoutChanged, l.Layout, l.Variant}
	if l.Options != "" {
		p = append(p, l.Options)
	}
	return p
}

// ParseLayoutChanged reads a layout-changed packet.
func ParseLayoutChanged(p wire.Packet) (LayoutChanged, error) {
	if err := expect(p, 1, TypeLayoutChanged); err != nil {
		return LayoutChanged{}, err
	}
	return LayoutChanged{Layout: p.Str(1), Variant: p.Str(2), Options: p.Str(3)}, nil
}

// KeyboardSync is a client's ["set-keyboard-sync-enabled", enabled]: with
// it the server keeps keys pressed until their release.
type KeyboardSync struct{ Enabled bool }

// Packet encodes the setting.
func (k KeyboardSync) Packet() wire.Packet { return wire.Packet{TypeKeyboardSync, k.Enabled} }

// ParseKeyboardSync reads the setting (false when absent).
func ParseKeyboardSync(p wire.Packet) (KeyboardSync, error) {
	if err := expect(p, 1, TypeKeyboardSync); err != nil {
		return KeyboardSync{}, err
	}
	return KeyboardSync{Enabled: wire.Truthy(item(p, 1))}, nil
}
