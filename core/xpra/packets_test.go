package xpra

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/sdk/clipboard"
)

// packeter is what every packet struct is.
type packeter interface{ Packet() wire.Packet }

// helloCaps makes ParseHello's dict a packeter.
type helloCaps wire.Dict

func (h helloCaps) Packet() wire.Packet { return NewHello(wire.Dict(h)) }

func of[T packeter](f func(wire.Packet) (T, error)) func(wire.Packet) (packeter, error) {
	return func(p wire.Packet) (packeter, error) {
		v, err := f(p)
		return v, err
	}
}

const clipLimit = 1 << 16

// parsers is every Parse function, by the packet type it reads.
var parsers = map[string][]func(wire.Packet) (packeter, error){
	TypeHello: {func(p wire.Packet) (packeter, error) {
		d, err := ParseHello(p)
		return helloCaps(d), err
	}},
	TypePing:                      {of(ParsePing)},
	TypePingEcho:                  {of(ParsePingEcho)},
	TypeDisconnect:                {of(ParseDisconnect)},
	TypeSetDeflate:                {of(ParseSetDeflate)},
	TypeChallenge:                 {of(ParseChallenge)},
	TypeStartupComplete:           {of(ParseStartupComplete)},
	TypeInfoResponse:              {of(ParseInfoResponse)},
	TypeScreenshot:                {of(ParseScreenshot)},
	TypeShutdownServer:            {of(ParseShutdownServer)},
	TypeExitServer:                {of(ParseExitServer)},
	TypeSettingChange:             {of(ParseSettingChange)},
	TypeDesktopSize:               {of(ParseDesktopSize), of(ParseClientDesktopSize)},
	TypeBandwidthLimit:            {of(ParseBandwidthLimit)},
	TypeLayoutChanged:             {of(ParseLayoutChanged)},
	TypeKeyboardSync:              {of(ParseKeyboardSync)},
	TypeNewWindow:                 {of(ParseNewWindow)},
	TypeNewOverrideRedirect:       {of(ParseNewWindow)},
	TypeWindowMetadata:            {of(ParseWindowMetadata)},
	TypeWindowResized:             {of(ParseWindowResized)},
	TypeWindowMoveResize:          {of(ParseWindowMoveResize)},
	TypeConfigureOverrideRedirect: {of(ParseConfigureOverrideRedirect)},
	TypeLostWindow:                {of(ParseLostWindow)},
	TypeRaiseWindow:               {of(ParseRaiseWindow)},
	TypeWindowIcon:                {of(ParseWindowIcon)},
	TypeCursor:                    {of(ParseCursor)},
	TypeBell:                      {of(ParseBell)},
	TypeDraw:                      {of(ParseDraw)},
	TypeDamageSequence:            {of(ParseDamageSequence)},
	TypeMapWindow:                 {of(ParseMapWindow)},
	TypeUnmapWindow:               {of(ParseUnmapWindow)},
	TypeConfigureWindow:           {of(ParseConfigureWindow)},
	TypeCloseWindow:               {of(ParseCloseWindow)},
	TypeBufferRefresh:             {of(ParseBufferRefresh)},
	TypeFocus:                     {of(ParseFocus)},
	TypePointerPosition:           {of(ParsePointerPosition)},
	TypeButtonAction:              {of(ParseButtonAction)},
	TypeKeyAction:                 {of(ParseKeyAction)},
	TypeClipboardToken: {func(p wire.Packet) (packeter, error) {
		return ParseClipboardToken(p, clipLimit)
	}},
	TypeClipboardRequest: {of(ParseClipboardRequest)},
	TypeClipboardContents: {func(p wire.Packet) (packeter, error) {
		return ParseClipboardContents(p, clipLimit)
	}},
	TypeClipboardContentsNone: {func(p wire.Packet) (packeter, error) {
		return ParseClipboardContents(p, clipLimit)
	}},
	TypeClipboardPendingRequests:  {of(ParseClipboardPendingRequests)},
	TypeClipboardEnableSelections: {of(ParseClipboardEnableSelections)},
	TypeSetClipboardEnabled:       {of(ParseSetClipboardEnabled)},
}

// typeOnly are the packets xroam reads by their type alone.
var typeOnly = []string{TypeInfoRequest, TypeClipboardLoopUUIDs}

func TestEveryNameHasAParser(t *testing.T) {
	names := Names()
	for _, n := range names {
		if _, ok := parsers[n]; !ok && !slices.Contains(typeOnly, n) {
			t.Errorf("no Parse function for %q", n)
		}
	}
	for n := range parsers {
		if !slices.Contains(names, n) {
			t.Errorf("%q is not in Names", n)
		}
	}
}

// reencode is p as a peer sees it: encoded and decoded with enc (strings
// come back as bytes from rencode and bencode).
func reencode(t *testing.T, enc wire.Encoding, p wire.Packet) wire.Packet {
	t.Helper()
	b, err := wire.Encode(enc, p)
	if err != nil {
		t.Fatalf("%s: encoding %v: %v", enc, p, err)
	}
	v, err := wire.Decode(enc, b)
	if err != nil {
		t.Fatalf("%s: decoding %v: %v", enc, p, err)
	}
	l, ok := wire.AsList(v)
	if !ok {
		t.Fatalf("%s: %v decoded as a %T", enc, p, v)
	}
	return wire.Packet(l)
}

func encoded(t *testing.T, enc wire.Encoding, p wire.Packet) []byte {
	t.Helper()
	b, err := wire.Encode(enc, p)
	if err != nil {
		t.Fatalf("%s: encoding %v: %v", enc, p, err)
	}
	return b
}

var textData = &clipboard.Data{Type: "UTF8_STRING", Format: 8, Bytes: []byte("hi")}

// samples has a value of every packet struct, its fields all set.
var samples = []packeter{
	helloCaps{"version": "3.1.3", "rencode": true},
	Ping{Time: 42}, Ping{Time: 1, Wallclock: 2, SID: "s"},
	PingEcho{Time: 4204591, Load1: 500, Load5: 250, Load15: 1000, Latency: -1}, PingEcho{Time: 1, Latency: 3, SID: "x", HasSID: true},
	Disconnect{Reason: ReasonServerShutdown, Extra: []string{"bye"}},
	SetDeflate{Level: 3},
	Challenge{ServerSalt: bytes.Repeat([]byte{7}, 32), Digest: "hmac+sha256", SaltDigest: "hmac+sha256", Prompt: "password"},
	Challenge{ServerSalt: []byte("0123456789abcdef"), CipherCaps: wire.Dict{"cipher": "AES"}, Digest: "xor", SaltDigest: "hmac+sha1", Prompt: "p"},
	StartupComplete{},
	InfoResponse{Info: map[string]any{"server": map[string]any{"mode": "seamless"}, "count": int64(3)}},
	Screenshot{Width: 30, Height: 20, Encoding: "png", Rowstride: 120, Data: []byte("\x89PNG")},
	ShutdownServer{}, ExitServer{}, ExitServer{Reason: ExitUpgrade},
	SettingChange{Setting: SettingClipboardDirection, Value: "to-client"},
	DesktopSize{Width: 1920, Height: 1080, MaxWidth: 4096, MaxHeight: 4096},
	ClientDesktopSize{Width: 1280, Height: 1024, ScreenSizes: []any{[]any{"screen", int64(1280), int64(1024)}}},
	BandwidthLimit{BPS: 1_000_000},
	LayoutChanged{Layout: "de", Variant: "nodeadkeys"}, LayoutChanged{Layout: "us", Variant: "", Options: "grp:alt_shift_toggle"},
	KeyboardSync{Enabled: true},
	NewWindow{WID: 1, X: 10, Y: 20, Width: 300, Height: 200, Metadata: wire.Dict{"title": "xterm"}, ClientProperties: wire.Dict{}},
	NewWindow{WID: 2, X: 1, Y: 2, Width: 3, Height: 4, Metadata: wire.Dict{"override-redirect": true}, ClientProperties: wire.Dict{}, OverrideRedirect: true},
	WindowMetadata{WID: 1, Metadata: wire.Dict{"title": "renamed"}},
	WindowResized{WID: 1, Width: 640, Height: 480}, WindowResized{WID: 1, Width: 640, Height: 480, ResizeCounter: 3, HasResizeCounter: true},
	WindowMoveResize{WID: 1, X: 5, Y: 6, Width: 7, Height: 8, ResizeCounter: 2, HasResizeCounter: true},
	ConfigureOverrideRedirect{WID: 3, X: 320, Y: 320, Width: 120, Height: 60},
	LostWindow{WID: 3}, RaiseWindow{WID: 2},
	WindowIcon{WID: 1, Encoding: IconDefault, Data: []byte{}},
	WindowIcon{WID: 1, Width: 2, Height: 1, Encoding: IconBGRA, Data: make([]byte, 8)},
	Cursor{},
	Cursor{Encoding: CursorRaw, X: 640, Y: 512, Width: 2, Height: 2, XHot: 1, YHot: 1, Serial: 15, Pixels: make([]byte, 16), Name: "xterm", DefaultSize: 32, MaxWidth: 64, MaxHeight: 64},
	Bell{WID: 1, Device: 2, Percent: 50, Pitch: 400, Duration: 100, Class: 1, ID: 2, Name: "bell"},
	Draw{WID: 1, X: 0, Y: 0, Width: 2, Height: 1, Coding: "rgb32", Data: []byte("BGRXBGRX"), Sequence: 7, Rowstride: 8, Options: wire.Dict{"lz4": int64(1)}},
	Draw{WID: 1, Width: 10, Height: 10, Coding: CodingScroll, Data: []any{[]any{int64(0), int64(0), int64(10), int64(5), int64(0), int64(-2)}}, Sequence: 8, Options: wire.Dict{}},
	DamageSequence{Sequence: 7, WID: 2, Width: 10, Height: 10, DecodeTime: 150},
	DamageSequence{Sequence: 8, WID: 2, Width: 10, Height: 10, DecodeTime: -1, Message: "failed"},
	MapWindow{WID: 1, X: 1, Y: 2, Width: 3, Height: 4, ClientProperties: wire.Dict{"encoding.scrolling": true}, State: wire.Dict{"maximized": true}},
	UnmapWindow{WID: 1, Iconified: true}, UnmapWindow{WID: 1, State: wire.Dict{}},
	ConfigureWindow{WID: 1, X: 100, Y: 100, Width: 300, Height: 250, ClientProperties: wire.Dict{}, State: wire.Dict{"sticky": false}, ResizeCounter: 2, SkipGeometry: true},
	CloseWindow{WID: 1}, BufferRefresh{WID: -1},
	Focus{WID: 1, Modifiers: []string{"shift"}},
	PointerPosition{WID: 1, Pointer: Pointer{50, 50, 5, 5}, Modifiers: []string{"mod1"}, Buttons: []int64{1}},
	ButtonAction{WID: 1, Button: 4, Pressed: true, Pointer: Pointer{15, 16}, Modifiers: []string{}, HasModifiers: true, Buttons: []int64{}},
	KeyAction{WID: 1, Name: "Return", Pressed: true, Modifiers: []string{"control"}, Keyval: 65293, String: "\r", Keycode: 36, HasKeycode: true, Group: 1},
	ClipboardToken{Selection: "CLIPBOARD", Claim: true},
	ClipboardToken{Selection: "CLIPBOARD", Targets: []string{"UTF8_STRING"}, HasTargets: true, Target: "UTF8_STRING", Data: textData, Claim: true},
	ClipboardRequest{ID: 1, Selection: "PRIMARY", Target: "TARGETS"},
	ClipboardContents{ID: 1, Selection: "CLIPBOARD", Data: textData, SliceFix: true},
	ClipboardContents{ID: 2, Selection: "CLIPBOARD"},
	ClipboardPendingRequests{Count: 1},
	ClipboardEnableSelections{Selections: []string{"CLIPBOARD", "PRIMARY"}},
	SetClipboardEnabled{Enabled: true},
}

// parse reads p with the parser of its type that takes it back to want.
func parseLike(p wire.Packet, want packeter) (packeter, error) {
	var err error
	for _, f := range parsers[p.Type()] {
		var v packeter
		if v, err = f(p); err == nil && reflect.TypeOf(v) == reflect.TypeOf(want) {
			return v, nil
		}
	}
	if err == nil {
		err = fmt.Errorf("no parser gives a %T", want)
	}
	return nil, err
}

// TestRoundTrip: every struct encodes, goes through each codec, decodes
// to the same struct and encodes to the same bytes.
func TestRoundTrip(t *testing.T) {
	for _, s := range samples {
		p := s.Packet()
		for _, enc := range []wire.Encoding{wire.Rencode, wire.RencodePlus, wire.Bencode} {
			back, err := parseLike(reencode(t, enc, p), s)
			if err != nil {
				t.Errorf("%s %T: %v", enc, s, err)
				continue
			}
			// The codecs do not all keep text and bytes (or booleans and
			// integers) apart: compare what the parsed value sends.
			if a, b := encoded(t, enc, back.Packet()), encoded(t, enc, p); !bytes.Equal(a, b) {
				t.Errorf("%s %T: %+v came back as %+v", enc, s, s, back)
			}
		}
		// Without a codec in between, the struct itself comes back.
		back, err := parseLike(p, s)
		if err != nil {
			t.Errorf("%T: %v", s, err)
			continue
		}
		if _, isInfo := s.(InfoResponse); !isInfo && !reflect.DeepEqual(back, s) {
			t.Errorf("%T: %+v came back as %+v", s, s, back)
		}
	}
}

// TestGolden: the structs put on the wire exactly the bytes xroam sent
// when it built these packets by position (the literals below are the
// old call sites' own).
func TestGolden(t *testing.T) {
	meta := wire.Dict{"title": "xterm", "class-instance": []string{"xterm", "XTerm"}}
	mods := []any{"shift", "mod2"}
	ptr := []any{int64(50), int64(60), int64(5), int64(6)}
	info := map[string]any{"server": map[string]any{"mode": "seamless"}}
	cases := []struct {
		typed  packeter
		legacy wire.Packet
	}{
		{NewWindow{WID: 1, X: 2, Y: 3, Width: 4, Height: 5, Metadata: meta}, wire.Packet{"new-window", int64(1), int64(2), int64(3), int64(4), int64(5), meta, wire.Dict{}}},
		{NewWindow{WID: 1, X: 2, Y: 3, Width: 4, Height: 5, Metadata: meta, OverrideRedirect: true}, wire.Packet{"new-override-redirect", int64(1), int64(2), int64(3), int64(4), int64(5), meta, wire.Dict{}}},
		{WindowResized{WID: 1, Width: 640, Height: 480}, wire.Packet{"window-resized", int64(1), int64(640), int64(480)}},
		{WindowMetadata{WID: 1, Metadata: meta}, wire.Packet{"window-metadata", int64(1), meta}},
		{ConfigureOverrideRedirect{WID: 3, X: 1, Y: 2, Width: 3, Height: 4}, wire.Packet{"configure-override-redirect", int64(3), int64(1), int64(2), int64(3), int64(4)}},
		{LostWindow{WID: 3}, wire.Packet{"lost-window", int64(3)}},
		{Cursor{Encoding: CursorRaw, X: 1, Y: 2, Width: 2, Height: 2, XHot: 1, YHot: 0, Serial: 9, Pixels: make([]byte, 16), Name: "left_ptr", DefaultSize: 32, MaxWidth: 64, MaxHeight: 64},
			wire.Packet{"cursor", "raw", int64(1), int64(2), int64(2), int64(2), int64(1), int64(0), int64(9), make([]byte, 16), "left_ptr", int64(32), int64(64), int64(64)}},
		{WindowIcon{WID: 1, Encoding: IconDefault}, wire.Packet{"window-icon", int64(1), int64(0), int64(0), "default", ""}},
		{WindowIcon{WID: 1, Width: 16, Height: 16, Encoding: IconPNG, Data: []byte("\x89PNG")}, wire.Packet{"window-icon", int64(1), int64(16), int64(16), "png", []byte("\x89PNG")}},
		{WindowIcon{WID: 1, Width: 1, Height: 1, Encoding: IconBGRA, Data: []byte{1, 2, 3, 4}}, wire.Packet{"window-icon", int64(1), int64(1), int64(1), "BGRA", []byte{1, 2, 3, 4}}},
		{Bell{WID: 1, Device: 0, Percent: 50, Pitch: 400, Duration: 100, Class: 0, ID: 0, Name: ""}, wire.Packet{"bell", int64(1), int64(0), int64(50), int64(400), int64(100), int64(0), int64(0), ""}},
		{DesktopSize{Width: 1280, Height: 1024, MaxWidth: 1280, MaxHeight: 1024}, wire.Packet{"desktop_size", int64(1280), int64(1024), int64(1280), int64(1024)}},
		{Screenshot{Width: 3, Height: 2, Encoding: "png", Rowstride: 12, Data: []byte("png")}, wire.Packet{"screenshot", int64(3), int64(2), "png", int64(12), []byte("png")}},
		{StartupComplete{}, wire.Packet{"startup-complete"}},
		{InfoResponse{Info: info}, wire.Packet{"info-response", info}},
		{Challenge{ServerSalt: []byte("salt-salt-salt-salt"), Digest: "hmac+sha256", SaltDigest: "hmac+sha256", Prompt: "password"},
			wire.Packet{"challenge", []byte("salt-salt-salt-salt"), "", "hmac+sha256", "hmac+sha256", "password"}},
		{Challenge{ServerSalt: []byte("s"), CipherCaps: wire.Dict{"cipher": "AES"}, Digest: "d", SaltDigest: "sd", Prompt: "p"},
			wire.Packet{"challenge", []byte("s"), wire.Dict{"cipher": "AES"}, "d", "sd", "p"}},
		{Draw{WID: 1, X: 2, Y: 3, Width: 4, Height: 5, Coding: "png", Data: wire.RawChunk{Data: []byte("png")}, Sequence: 6, Options: wire.Dict{"quality": int64(80)}},
			wire.Packet{"draw", int64(1), int64(2), int64(3), int64(4), int64(5), "png", wire.RawChunk{Data: []byte("png")}, int64(6), int64(0), wire.Dict{"quality": int64(80)}}},
		{Draw{WID: 1, X: 2, Y: 3, Width: 4, Height: 5, Coding: "rgb32", Data: wire.RawChunk{Data: []byte("lz4")}, Sequence: 6, Rowstride: 16, Options: wire.Dict{"lz4": int64(1), "rgb_format": "BGRX"}},
			wire.Packet{"draw", int64(1), int64(2), int64(3), int64(4), int64(5), "rgb32", wire.RawChunk{Data: []byte("lz4")}, int64(6), int64(16), wire.Dict{"lz4": int64(1), "rgb_format": "BGRX"}}},
		{Draw{WID: 1, Width: 4, Height: 5, Coding: CodingMMap, Data: []any{[]any{int64(0), int64(80)}}, Sequence: 6, Rowstride: 16, Options: wire.Dict{"rgb_format": "BGRX"}},
			wire.Packet{"draw", int64(1), int64(0), int64(0), int64(4), int64(5), "mmap", []any{[]any{int64(0), int64(80)}}, int64(6), int64(16), wire.Dict{"rgb_format": "BGRX"}}},
		{Draw{WID: 1, Width: 4, Height: 5, Coding: CodingScroll, Data: []any{[]any{int64(0), int64(0), int64(4), int64(4), int64(0), int64(1)}}, Sequence: 6},
			wire.Packet{"draw", int64(1), int64(0), int64(0), int64(4), int64(5), "scroll", []any{[]any{int64(0), int64(0), int64(4), int64(4), int64(0), int64(1)}}, int64(6), int64(0), wire.Dict{}}},
		{DamageSequence{Sequence: 6, WID: 1, Width: 4, Height: 5, DecodeTime: 1200, Message: ""}, wire.Packet{"damage-sequence", int64(6), int64(1), int64(4), int64(5), int64(1200), ""}},
		{MapWindow{WID: 1, X: 2, Y: 3, Width: 4, Height: 5}, wire.Packet{"map-window", int64(1), int64(2), int64(3), int64(4), int64(5), wire.Dict{}, wire.Dict{}}},
		{ConfigureWindow{WID: 1, X: 2, Y: 3, Width: 4, Height: 5, ResizeCounter: 7}, wire.Packet{"configure-window", int64(1), int64(2), int64(3), int64(4), int64(5), wire.Dict{}, int64(7), wire.Dict{}, false}},
		{ConfigureWindow{WID: 1, X: 2, Y: 3, Width: 4, Height: 5, ResizeCounter: 7, State: wire.Dict{"maximized": true}, SkipGeometry: true},
			wire.Packet{"configure-window", int64(1), int64(2), int64(3), int64(4), int64(5), wire.Dict{}, int64(7), wire.Dict{"maximized": true}, true}},
		{CloseWindow{WID: 1}, wire.Packet{"close-window", int64(1)}},
		{Focus{WID: 1, Modifiers: []string{"shift", "mod2"}}, wire.Packet{"focus", int64(1), mods}},
		{Focus{}, wire.Packet{"focus", int64(0), []any{}}},
		{KeyAction{WID: 1, Name: "a", Pressed: true, Modifiers: []string{"shift", "mod2"}, Keyval: 97, String: "a", Keycode: 38, HasKeycode: true},
			wire.Packet{"key-action", int64(1), "a", true, mods, int64(97), "a", int64(38), int64(0)}},
		{PointerPosition{WID: 1, Pointer: Pointer{50, 60, 5, 6}, Modifiers: []string{"shift", "mod2"}, Buttons: []int64{1}},
			wire.Packet{"pointer-position", int64(1), ptr, mods, []any{int64(1)}}},
		{ButtonAction{WID: 1, Button: 1, Pressed: false, Pointer: Pointer{50, 60, 5, 6}, Modifiers: []string{"shift", "mod2"}, Buttons: []int64{}},
			wire.Packet{"button-action", int64(1), int64(1), false, ptr, mods, []any{}}},
		{ClientDesktopSize{Width: 1280, Height: 1024, ScreenSizes: []any{[]any{"0", 1280, 1024}}}, wire.Packet{"desktop_size", int64(1280), int64(1024), []any{[]any{"0", 1280, 1024}}}},
		{ExitServer{Reason: ExitUpgrade}, wire.Packet{"exit-server", "upgrade"}},
		{ExitServer{}, wire.Packet{"exit-server"}},
		{ShutdownServer{}, wire.Packet{"shutdown-server"}},
		{SettingChange{Setting: SettingClipboardDirection, Value: "to-server"}, wire.Packet{"setting-change", "clipboard-direction", "to-server"}},
		{ClipboardEnableSelections{Selections: []string{"CLIPBOARD", "PRIMARY"}}, wire.Packet{"clipboard-enable-selections", []string{"CLIPBOARD", "PRIMARY"}}},
		{SetClipboardEnabled{Enabled: true}, wire.Packet{"set-clipboard-enabled", true}},
		{ClipboardPendingRequests{Count: 2}, wire.Packet{"clipboard-pending-requests", int64(2)}},
		{ClipboardRequest{ID: 1, Selection: "CLIPBOARD", Target: "UTF8_STRING"}, wire.Packet{"clipboard-request", int64(1), "CLIPBOARD", "UTF8_STRING"}},
		{Disconnect{Reason: ReasonDone, Extra: []string{"0 other clients have been disconnected"}}, wire.Packet{"disconnect", "done", "0 other clients have been disconnected"}},
		{PingEcho{Time: 4204591, Latency: -1, HasSID: true}, wire.Packet{"ping_echo", int64(4204591), int64(0), int64(0), int64(0), int64(-1), ""}},
		{SetDeflate{Level: 1}, wire.Packet{"set_deflate", int64(1)}},
	}
	for _, c := range cases {
		for _, enc := range []wire.Encoding{wire.Rencode, wire.RencodePlus, wire.Bencode} {
			got, err1 := wire.Encode(enc, c.typed.Packet())
			want, err2 := wire.Encode(enc, c.legacy)
			if !bytes.Equal(got, want) || (err1 == nil) != (err2 == nil) {
				t.Errorf("%s %T: %x (%v), the literal gives %x (%v)", enc, c.typed, got, err1, want, err2)
			}
		}
	}
}

// capture reads the 3.1.3 packets of testdata/trace-3.1.3.txt.
func capture(t *testing.T) []wire.Packet {
	t.Helper()
	f, err := os.Open("testdata/trace-3.1.3.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []wire.Packet
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, " [")
		if strings.HasPrefix(line, "#") || i < 0 {
			continue
		}
		v, err := pyValue(line[i+1:])
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		out = append(out, wire.Packet(v.([]any)))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCaptures: the packets of a real 3.1.3 client and server (text as
// bytes, as rencode gives them) read as the fields they carry.
func TestCaptures(t *testing.T) {
	ps := capture(t)
	if len(ps) < 50 {
		t.Fatalf("only %d packets in the capture", len(ps))
	}
	for _, p := range ps {
		fs := parsers[p.Type()]
		if len(fs) == 0 && !slices.Contains(typeOnly, p.Type()) {
			t.Errorf("no parser for the captured %q", p.Type())
		}
		ok := false
		var err error
		for _, f := range fs {
			if _, err = f(p); err == nil {
				ok = true
			}
		}
		if len(fs) > 0 && !ok {
			t.Errorf("captured %v: %v", p, err)
		}
	}
	find := func(typ string, n int) wire.Packet {
		t.Helper()
		for _, p := range ps {
			if p.Type() == typ {
				if n == 0 {
					return p
				}
				n--
			}
		}
		t.Fatalf("no %q number %d in the capture", typ, n)
		return nil
	}
	must := func(v packeter, err error) packeter {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	checks := []struct {
		got, want packeter
	}{
		{must(ParseNewWindow(find(TypeNewWindow, 0))), NewWindow{WID: 1, Width: 164, Height: 164,
			Metadata: find(TypeNewWindow, 0).Dict(6), ClientProperties: wire.Dict{"workspace": int64(65535)}}},
		{must(ParseWindowIcon(find(TypeWindowIcon, 0))), WindowIcon{WID: 1, Encoding: IconDefault, Data: []byte{}}},
		{must(ParseCursor(find(TypeCursor, 0))), Cursor{}},
		{must(ParseCursor(find(TypeCursor, 1))), Cursor{Encoding: CursorPNG, X: 640, Y: 512, Width: 24, Height: 24, XHot: 11, YHot: 11,
			Serial: 15, Pixels: make([]byte, 1349), Name: "", DefaultSize: 53, MaxWidth: 128, MaxHeight: 128}},
		{must(ParsePing(find(TypePing, 0))), Ping{Time: 4254142}},
		{must(ParsePing(find(TypePing, 1))), Ping{Time: 4254685, Wallclock: 1795392068593}},
		{must(ParsePingEcho(find(TypePingEcho, 0))), PingEcho{Time: 4254142, Load1: 1984, Load5: 1280, Load15: 685, Latency: -1, HasSID: true}},
		{must(ParseSetDeflate(find(TypeSetDeflate, 0))), SetDeflate{Level: 1}},
		{must(ParseKeyboardSync(find(TypeKeyboardSync, 0))), KeyboardSync{Enabled: true}},
		{must(ParseDraw(find(TypeDraw, 0))), Draw{WID: 1, Width: 164, Height: 164, Coding: "webp", Data: make([]byte, 2090), Sequence: 1,
			Options: find(TypeDraw, 0).Dict(10)}},
		{must(ParseMapWindow(find(TypeMapWindow, 0))), MapWindow{WID: 2, X: 2626, Y: 1246, Width: 506, Height: 67,
			ClientProperties: wire.Dict{"workspace": int64(65535)}, State: wire.Dict{}}},
		{must(ParseDamageSequence(find(TypeDamageSequence, 0))), DamageSequence{Sequence: 1, WID: 1, Width: 164, Height: 164, DecodeTime: 1093}},
		{must(ParseFocus(find(TypeFocus, 0))), Focus{WID: 1, Modifiers: []string{}}},
		{must(ParsePointerPosition(find(TypePointerPosition, 0))), PointerPosition{WID: 1, Pointer: Pointer{50, 50, 50, 50}, Modifiers: []string{}, Buttons: []int64{}}},
		{must(ParseButtonAction(find(TypeButtonAction, 1))), ButtonAction{WID: 1, Button: 1, Pointer: Pointer{50, 50, 50, 50}, Modifiers: []string{},
			HasModifiers: true, Buttons: []int64{1}}},
		{must(ParseKeyAction(find(TypeKeyAction, 4))), KeyAction{WID: 1, Name: "Return", Pressed: true, Modifiers: []string{}, Keyval: 65293,
			String: "\r", Keycode: 36, HasKeycode: true}},
		{must(ParseConfigureWindow(find(TypeConfigureWindow, 1))), ConfigureWindow{WID: 1, X: 100, Y: 100, Width: 300, Height: 250,
			ClientProperties: wire.Dict{}, State: wire.Dict{}}},
		{must(ParseDisconnect(find(TypeDisconnect, 0))), Disconnect{Reason: "exit on signal SIGINT"}},
		{must(ParseDisconnect(find(TypeDisconnect, 2))), Disconnect{Reason: ReasonDone, Extra: []string{"0 other clients have been disconnected"}}},
		{must(ParseScreenshot(find(TypeScreenshot, 0))), Screenshot{Width: 3032, Height: 1213, Encoding: "png", Rowstride: 12128, Data: make([]byte, 24642)}},
		{must(ParseWindowMetadata(find(TypeWindowMetadata, 0))), WindowMetadata{WID: 1, Metadata: wire.Dict{"title": []byte("xclock renamed")}}},
		{must(ParseConfigureOverrideRedirect(find(TypeConfigureOverrideRedirect, 0))), ConfigureOverrideRedirect{WID: 3, X: 320, Y: 320, Width: 120, Height: 60}},
		{must(ParseLostWindow(find(TypeLostWindow, 0))), LostWindow{WID: 3}},
		{must(ParseUnmapWindow(find(TypeUnmapWindow, 1))), UnmapWindow{WID: 1, Iconified: true, State: wire.Dict{}}},
		{must(ParseShutdownServer(find(TypeShutdownServer, 0))), ShutdownServer{}},
		{must(ParseClipboardToken(find(TypeClipboardToken, 0), clipLimit)), ClipboardToken{Selection: "CLIPBOARD", Claim: true}},
		{must(ParseClipboardRequest(find(TypeClipboardRequest, 0))), ClipboardRequest{ID: 0, Selection: "CLIPBOARD", Target: "text/plain;charset=utf-8"}},
		{must(ParseClipboardPendingRequests(find(TypeClipboardPendingRequests, 0))), ClipboardPendingRequests{Count: 1}},
		{must(ParseClipboardEnableSelections(find(TypeClipboardEnableSelections, 0))), ClipboardEnableSelections{Selections: []string{"CLIPBOARD", "PRIMARY", "SECONDARY"}}},
		{must(ParseSetClipboardEnabled(find(TypeSetClipboardEnabled, 0))), SetClipboardEnabled{Enabled: true}},
	}
	for _, c := range checks {
		if !wire.EqualLoose(structFields(c.got), structFields(c.want)) {
			t.Errorf("%T:\n got %+v\nwant %+v", c.got, c.got, c.want)
		}
	}
	if nw, _ := ParseNewWindow(find(TypeNewOverrideRedirect, 0)); !nw.OverrideRedirect || nw.WID != 3 || nw.Metadata.Str("title", "") != "orwin.py" {
		t.Errorf("new-override-redirect %+v", nw)
	}
	rgb := 0
	for _, p := range ps {
		if d, err := ParseDraw(p); err == nil && d.Coding == "rgb24" {
			rgb++
			if d.Options.Int("lz4", 0) != 1 || d.Rowstride != 360 || d.WID != 3 || len(d.Bytes()) != 104 {
				t.Errorf("rgb24 draw %+v", d.Options)
			}
		}
	}
	if rgb != 1 {
		t.Errorf("%d rgb24 draws in the capture", rgb)
	}
}

// structFields lists a struct's fields, for EqualLoose to compare
// across []byte and string.
func structFields(v any) []any {
	rv := reflect.ValueOf(v)
	out := make([]any, rv.NumField())
	for i := range out {
		f := rv.Field(i).Interface()
		switch x := f.(type) {
		case []string:
			f = anyStrings(x)
		case Pointer:
			f = anyInts(x)
		case []int64:
			f = anyInts(x)
		case *clipboard.Data:
			if x != nil {
				f = []any{x.Type, int64(x.Format), x.Bytes, anyStrings(x.Targets)}
			} else {
				f = nil
			}
		}
		out[i] = f
	}
	return out
}

// TestMalformed: packets missing what a reader needs are refused with an
// error.
func TestMalformed(t *testing.T) {
	cases := []struct {
		name  string
		parse func(wire.Packet) (packeter, error)
		p     wire.Packet
	}{
		{"hello of a list", parsers[TypeHello][0], wire.Packet{"hello", []any{}}},
		{"ping in a hello", parsers[TypeHello][0], wire.Packet{"ping", int64(1)}},
		{"short ping_echo", of(ParsePingEcho), wire.Packet{"ping_echo", int64(1), int64(0)}},
		{"text ping", of(ParsePing), wire.Packet{"ping", "now"}},
		{"bare disconnect", of(ParseDisconnect), wire.Packet{"disconnect"}},
		{"text set_deflate", of(ParseSetDeflate), wire.Packet{"set_deflate", "nine"}},
		{"short screenshot", of(ParseScreenshot), wire.Packet{"screenshot", int64(1), int64(1)}},
		{"sizeless desktop_size", of(ParseClientDesktopSize), wire.Packet{"desktop_size", "w", int64(1)}},
		{"short new-window", of(ParseNewWindow), wire.Packet{"new-window", int64(1), int64(0), int64(0), int64(10)}},
		{"metadata of a list", of(ParseWindowMetadata), wire.Packet{"window-metadata", int64(1), []any{}}},
		{"text window id", of(ParseLostWindow), wire.Packet{"lost-window", "one"}},
		{"short window-icon", of(ParseWindowIcon), wire.Packet{"window-icon", int64(1), int64(0), int64(0), "default"}},
		{"short draw", of(ParseDraw), wire.Packet{"draw", int64(1), int64(0), int64(0), int64(4), int64(4), "png"}},
		{"ack without window", of(ParseDamageSequence), wire.Packet{"damage-sequence", int64(1)}},
		{"map without window", of(ParseMapWindow), wire.Packet{"map-window"}},
		{"configure of no window", of(ParseConfigureWindow), wire.Packet{"configure-window", nil, int64(0)}},
		{"bandwidth as text", of(ParseBandwidthLimit), wire.Packet{"bandwidth-limit", "1M"}},
		{"key in a focus", of(ParseFocus), wire.Packet{"key-action", int64(1)}},
		{"untyped", of(ParseKeyAction), wire.Packet{}},
		{"alias", of(ParseDraw), wire.Packet{int64(7), int64(1)}},
	}
	for _, c := range cases {
		if _, err := c.parse(c.p); err == nil {
			t.Errorf("%s: %v accepted", c.name, c.p)
		}
	}
	// A short draw still gives what its acknowledgement needs.
	if d, err := ParseDraw(wire.Packet{"draw", int64(4), int64(0), int64(0), int64(8), int64(9), "png", []byte{}, int64(12)}); err == nil || d.WID != 4 || d.Sequence != 12 || d.Width != 8 {
		t.Errorf("short draw gave %+v, %v", d, err)
	}
	// A peer that leaves the trailing fields out.
	if d, err := ParseDamageSequence(wire.Packet{"damage-sequence", int64(1), int64(2)}); err != nil || d.Decode() >= 0 {
		t.Errorf("ack without decode time: %+v, %v", d, err)
	}
	if d, _ := ParseDamageSequence(DamageSequence{Sequence: 1, WID: 2, DecodeTime: 1500}.Packet()); d.Decode() != 1500*time.Microsecond {
		t.Errorf("decode time %v", d.Decode())
	}
	if b, err := ParseButtonAction(wire.Packet{"button-action", int64(1), int64(3), true, []any{int64(5), int64(6)}}); err != nil || b.HasModifiers || b.Button != 3 {
		t.Errorf("button-action without modifiers: %+v, %v", b, err)
	}
	if k, err := ParseKeyAction(wire.Packet{"key-action", nil, "a", true}); err != nil || k.WID != 0 || k.HasKeycode || !k.Pressed {
		t.Errorf("HTML5 key-action without a window: %+v, %v", k, err)
	}
	if _, _, ok := (Pointer{50}).XY(); ok {
		t.Error("a one-coordinate pointer has a position")
	}
	if m, _ := ParsePointerPosition(wire.Packet{"pointer-position", int64(1), []any{"x", int64(5)}}); len(m.Pointer) != 0 {
		t.Errorf("a pointer that starts with text read as %v", m.Pointer)
	}
	if cf, err := ParseConfigureWindow(wire.Packet{"configure-window", int64(2), int64(1), int64(2), int64(30), int64(40), wire.Dict{}}); err != nil || cf.Width != 30 || cf.SkipGeometry || cf.State != nil {
		t.Errorf("HTML5 configure-window %+v, %v", cf, err)
	}
	if c, err := ParseCursor(wire.Packet{"cursor", int64(0), int64(0), int64(2), int64(2), int64(0), int64(0), int64(1), make([]byte, 16), "x"}); err != nil || c.Encoding != "" {
		t.Errorf("an encoding-less cursor of an old server: %+v, %v", c, err)
	}
}

// garbage is the odd packets every parser is fed, under every type.
func garbage() []wire.Packet {
	weird := []any{nil, int64(-1), "x", []byte{0xff}, []any{nil}, wire.Dict{int64(1): nil}, true, 1.5}
	var out []wire.Packet
	for n := range 15 {
		for _, w := range weird {
			p := make(wire.Packet, n)
			for i := range p {
				p[i] = w
			}
			out = append(out, p)
		}
	}
	return out
}

// TestNoPanics: no parser panics, whatever the items.
func TestNoPanics(t *testing.T) {
	for typ, fs := range parsers {
		for _, g := range garbage() {
			p := append(wire.Packet{typ}, g...)
			for _, f := range fs {
				if v, err := f(p); err == nil {
					_ = v.Packet()
				}
			}
		}
	}
}
