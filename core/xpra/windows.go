package xpra

import (
	"fmt"
	"time"

	"github.com/xroam/xroam/core/wire"
)

// NewWindow is ["new-window" or "new-override-redirect", wid, x, y, w, h,
// metadata, client_properties]: the server shows a window (x, y in root
// coordinates). Metadata and ClientProperties are nil when a peer leaves
// them out, and sent as empty dicts when nil.
type NewWindow struct {
	WID                 int64
	X, Y, Width, Height int64
	Metadata            wire.Dict
	ClientProperties    wire.Dict
	// OverrideRedirect picks new-override-redirect: a popup the client
	// neither decorates nor manages.
	OverrideRedirect bool
}

// Packet encodes the window.
func (n NewWindow) Packet() wire.Packet {
	t := TypeNewWindow
	if n.OverrideRedirect {
		t = TypeNewOverrideRedirect
	}
	return wire.Packet{t, n.WID, n.X, n.Y, n.Width, n.Height, dictOr(n.Metadata), dictOr(n.ClientProperties)}
}

// ParseNewWindow reads a new-window or new-override-redirect packet (six
// items at least; the numbers are 0 when they are no integers, for the
// caller to check).
func ParseNewWindow(p wire.Packet) (NewWindow, error) {
	if err := expect(p, 6, TypeNewWindow, TypeNewOverrideRedirect); err != nil {
		return NewWindow{}, err
	}
	return NewWindow{
		WID: intOr(p, 1), X: intOr(p, 2), Y: intOr(p, 3), Width: intOr(p, 4), Height: intOr(p, 5),
		Metadata: p.Dict(6), ClientProperties: p.Dict(7), OverrideRedirect: p.Type() == TypeNewOverrideRedirect,
	}, nil
}

// WindowMetadata is ["window-metadata", wid, metadata]: the metadata
// that changed.
type WindowMetadata struct {
	WID      int64
	Metadata wire.Dict
}

// Packet encodes the change.
func (m WindowMetadata) Packet() wire.Packet {
	return wire.Packet{TypeWindowMetadata, m.WID, dictOr(m.Metadata)}
}

// ParseWindowMetadata reads a window-metadata packet: a window id and a
// dict.
func ParseWindowMetadata(p wire.Packet) (WindowMetadata, error) {
	if err := expect(p, 3, TypeWindowMetadata); err != nil {
		return WindowMetadata{}, err
	}
	wid, err := intField(p, 1, "window id")
	if err != nil {
		return WindowMetadata{}, err
	}
	d := p.Dict(2)
	if d == nil {
		return WindowMetadata{}, fmt.Errorf("xpra: window-metadata holds a %T, not a dict", p[2])
	}
	return WindowMetadata{WID: wid, Metadata: d}, nil
}

// WindowResized is ["window-resized", wid, w, h(, resize_counter)]: an
// application resized its window.
type WindowResized struct {
	WID           int64
	Width, Height int64
	// ResizeCounter is sent only when HasResizeCounter.
	ResizeCounter    int64
	HasResizeCounter bool
}

// Packet encodes the resize.
func (r WindowResized) Packet() wire.Packet {
	p := wire.Packet{TypeWindowResized, r.WID, r.Width, r.Height}
	if r.HasResizeCounter {
		p = append(p, r.ResizeCounter)
	}
	return p
}

// ParseWindowResized reads a window-resized packet.
func ParseWindowResized(p wire.Packet) (WindowResized, error) {
	if err := expect(p, 4, TypeWindowResized); err != nil {
		return WindowResized{}, err
	}
	wid, err := intField(p, 1, "window id")
	if err != nil {
		return WindowResized{}, err
	}
	r := WindowResized{WID: wid, Width: intOr(p, 2), Height: intOr(p, 3)}
	r.ResizeCounter, r.HasResizeCounter = p.Int(4)
	return r, nil
}

// WindowMoveResize is ["window-move-resize", wid, x, y, w, h(,
// resize_counter)]: the server moved and resized a window.
type WindowMoveResize struct {
	WID                 int64
	X, Y, Width, Height int64
	// ResizeCounter is sent only when HasResizeCounter.
	ResizeCounter    int64
	HasResizeCounter bool
}

// Packet encodes the move.
func (m WindowMoveResize) Packet() wire.Packet {
	p := wire.Packet{TypeWindowMoveResize, m.WID, m.X, m.Y, m.Width, m.Height}
	if m.HasResizeCounter {
		p = append(p, m.ResizeCounter)
	}
	return p
}

// ParseWindowMoveResize reads a window-move-resize packet.
func ParseWindowMoveResize(p wire.Packet) (WindowMoveResize, error) {
	if err := expect(p, 6, TypeWindowMoveResize); err != nil {
		return WindowMoveResize{}, err
	}
	wid, err := intField(p, 1, "window id")
	if err != nil {
		return WindowMoveResize{}, err
	}
	m := WindowMoveResize{WID: wid, X: intOr(p, 2), Y: intOr(p, 3), Width: intOr(p, 4), Height: intOr(p, 5)}
	m.ResizeCounter, m.HasResizeCounter = p.Int(6)
	return m, nil
}

// ConfigureOverrideRedirect is ["configure-override-redirect", wid, x, y,
// w, h]: a popup moved or changed size.
type ConfigureOverrideRedirect struct {
	WID                 int64
	X, Y, Width, Height int64
}

// Packet encodes the geometry.
func (c ConfigureOverrideRedirect) Packet() wire.Packet {
	return wire.Packet{TypeConfigureOverrideRedirect, c.WID, c.X, c.Y, c.Width, c.Height}
}

// ParseConfigureOverrideRedirect reads a configure-override-redirect
// packet.
func ParseConfigureOverrideRedirect(p wire.Packet) (ConfigureOverrideRedirect, error) {
	if err := expect(p, 6, TypeConfigureOverrideRedirect); err != nil {
		return ConfigureOverrideRedirect{}, err
	}
	wid, err := intField(p, 1, "window id")
	if err != nil {
		return ConfigureOverrideRedirect{}, err
	}
	return ConfigureOverrideRedirect{WID: wid, X: intOr(p, 2), Y: intOr(p, 3), Width: intOr(p, 4), Height: intOr(p, 5)}, nil
}

// widPacket reads the window id of a [type, wid, ...] packet.
func widPacket(p wire.Packet, t string) (int64, error) {
	if err := expect(p, 2, t); err != nil {
		return 0, err
	}
	return intField(p, 1, "window id")
}

// LostWindow is ["lost-window", wid]: the window is gone.
type LostWindow struct{ WID int64 }

// Packet encodes it.
func (l LostWindow) Packet() wire.Packet { return wire.Packet{TypeLostWindow, l.WID} }

// ParseLostWindow reads a lost-window packet.
func ParseLostWindow(p wire.Packet) (LostWindow, error) {
	wid, err := widPacket(p, TypeLostWindow)
	return LostWindow{WID: wid}, err
}

// RaiseWindow is ["raise-window", wid].
type RaiseWindow struct{ WID int64 }

// Packet encodes it.
func (r RaiseWindow) Packet() wire.Packet { return wire.Packet{TypeRaiseWindow, r.WID} }

// ParseRaiseWindow reads a raise-window packet.
func ParseRaiseWindow(p wire.Packet) (RaiseWindow, error) {
	wid, err := widPacket(p, TypeRaiseWindow)
	return RaiseWindow{WID: wid}, err
}

// The window-icon encodings.
const (
	IconPNG     = "png"
	IconBGRA    = "BGRA"
	IconDefault = "default" // no icon: the client shows its own
)

// WindowIcon is ["window-icon", wid, w, h, encoding, data]: data is a PNG
// file for IconPNG, w*h*4 bytes for IconBGRA (and premult_argb32), empty
// for IconDefault (sent as "", as xpra does).
type WindowIcon struct {
	WID           int64
	Width, Height int64
	Encoding      string
	Data          []byte
}

// Packet encodes the icon.
func (i WindowIcon) Packet() wire.Packet {
	var data any = i.Data
	if i.Data == nil && i.Encoding == IconDefault {
		data = ""
	}
	return wire.Packet{TypeWindowIcon, i.WID, i.Width, i.Height, i.Encoding, data}
}

// ParseWindowIcon reads a window-icon packet (all six items).
func ParseWindowIcon(p wire.Packet) (WindowIcon, error) {
	if err := expect(p, 6, TypeWindowIcon); err != nil {
		return WindowIcon{}, err
	}
	wid, err := intField(p, 1, "window id")
	if err != nil {
		return WindowIcon{}, err
	}
	return WindowIcon{WID: wid, Width: intOr(p, 2), Height: intOr(p, 3), Encoding: p.Str(4), Data: p.Bytes(5)}, nil
}

// The cursor encodings.
const (
	CursorPNG = "png"
	CursorRaw = "raw" // premultiplied BGRA, w*h*4 bytes
)

// Cursor is ["cursor", encoding, x, y, w, h, xhot, yhot, serial, pixels,
// name, default_size, max_w, max_h], or ["cursor", ""] for the default
// cursor (Encoding "").
type Cursor struct {
	Encoding            string
	X, Y, Width, Height int64
	XHot, YHot          int64
	Serial              int64
	Pixels              []byte
	Name                string
	DefaultSize         int64
	MaxWidth, MaxHeight int64
}

// Packet encodes the cursor.
func (c Cursor) Packet() wire.Packet {
	if c.Encoding == "" {
		return wire.Packet{TypeCursor, ""}
	}
	return wire.Packet{TypeCursor, c.Encoding, c.X, c.Y, c.Width, c.Height, c.XHot, c.YHot, c.Serial, c.Pixels,
		c.Name, c.DefaultSize, c.MaxWidth, c.MaxHeight}
}

// ParseCursor reads a cursor packet. One too short to carry an image (10
// items), or in an encoding other than png and raw, is the default
// cursor, as xpra's client takes it (older servers sent no encoding).
func ParseCursor(p wire.Packet) (Cursor, error) {
	if err := expect(p, 1, TypeCursor); err != nil {
		return Cursor{}, err
	}
	enc := p.Str(1)
	if len(p) < 10 || (enc != CursorPNG && enc != CursorRaw) {
		return Cursor{}, nil
	}
	return Cursor{
		Encoding: enc, X: intOr(p, 2), Y: intOr(p, 3), Width: intOr(p, 4), Height: intOr(p, 5),
		XHot: intOr(p, 6), YHot: intOr(p, 7), Serial: intOr(p, 8), Pixels: p.Bytes(9), Name: p.Str(10),
		DefaultSize: intOr(p, 11), MaxWidth: intOr(p, 12), MaxHeight: intOr(p, 13),
	}, nil
}

// Bell is ["bell", wid, device, percent, pitch, duration, bell_class,
// bell_id, bell_name]; wid 0 is no window in particular. Absent numbers
// are 0.
type Bell struct {
	WID                              int64
	Device, Percent, Pitch, Duration int64
	Class, ID                        int64
	Name                             string
}

// Packet encodes the bell.
func (b Bell) Packet() wire.Packet {
	return wire.Packet{TypeBell, b.WID, b.Device, b.Percent, b.Pitch, b.Duration, b.Class, b.ID, b.Name}
}

// ParseBell reads a bell packet.
func ParseBell(p wire.Packet) (Bell, error) {
	if err := expect(p, 1, TypeBell); err != nil {
		return Bell{}, err
	}
	return Bell{WID: intOr(p, 1), Device: intOr(p, 2), Percent: intOr(p, 3), Pitch: intOr(p, 4), Duration: intOr(p, 5),
		Class: intOr(p, 6), ID: intOr(p, 7), Name: p.Str(8)}, nil
}

// The draw codings xroam itself gives meaning to beyond the picture
// formats.
const (
	CodingScroll = "scroll" // Data: a list of [x, y, w, h, xdelta, ydelta]
	CodingMMap   = "mmap"   // Data: a list of [offset, length] in the mmap area
)

// Draw is ["draw", wid, x, y, w, h, coding, data, sequence, rowstride,
// options]: pixels for an area of a window (x, y inside the window).
// Data is what the coding says: bytes for the picture codings (or a
// wire.RawChunk to send them as a chunk of their own), a list for
// CodingScroll and CodingMMap. Rowstride is 0 for compressed pictures.
// Options are the client options (rgb_format, lz4, quality, ...); nil is
// sent as an empty dict.
type Draw struct {
	WID                 int64
	X, Y, Width, Height int64
	Coding              string
	Data                any
	Sequence            int64
	Rowstride           int64
	Options             wire.Dict
}

// Packet encodes the draw.
func (d Draw) Packet() wire.Packet {
	return wire.Packet{TypeDraw, d.WID, d.X, d.Y, d.Width, d.Height, d.Coding, d.Data, d.Sequence, d.Rowstride, dictOr(d.Options)}
}

// Bytes is the data of a picture coding (nil when it is no byte string).
func (d Draw) Bytes() []byte {
	b, _ := wire.AsBytes(d.Data)
	return b
}

// ParseDraw reads a draw packet, which needs ten items (the options are
// optional). On a shorter one the error comes with the fields that were
// there, so that the client can still acknowledge the draw.
func ParseDraw(p wire.Packet) (Draw, error) {
	if err := expect(p, 1, TypeDraw); err != nil {
		return Draw{}, err
	}
	d := Draw{WID: intOr(p, 1), X: intOr(p, 2), Y: intOr(p, 3), Width: intOr(p, 4), Height: intOr(p, 5),
		Coding: p.Str(6), Data: item(p, 7), Sequence: intOr(p, 8), Rowstride: intOr(p, 9), Options: p.Dict(10)}
	if len(p) < 10 {
		return d, fmt.Errorf("xpra: draw packet has %d items, need at least 10", len(p))
	}
	return d, nil
}

// DamageSequence is the client's acknowledgement of a draw:
// ["damage-sequence", sequence, wid, w, h, decode_time_us, message].
// DecodeTime is -1 when the client failed to paint the draw (Message
// says why) and 0 when it skipped it (the window is gone).
type DamageSequence struct {
	Sequence      int64
	WID           int64
	Width, Height int64
	DecodeTime    int64
	Message       string
}

// Packet encodes the acknowledgement.
func (d DamageSequence) Packet() wire.Packet {
	return wire.Packet{TypeDamageSequence, d.Sequence, d.WID, d.Width, d.Height, d.DecodeTime, d.Message}
}

// Decode is the decode time reported, negative when there is none or
// the client failed to paint the draw.
func (d DamageSequence) Decode() time.Duration {
	if d.DecodeTime < 0 {
		return -1
	}
	return time.Duration(d.DecodeTime) * time.Microsecond
}

// ParseDamageSequence reads a damage-sequence packet: the sequence and
// window id are required; a missing decode time reads as -1.
func ParseDamageSequence(p wire.Packet) (DamageSequence, error) {
	if err := expect(p, 1, TypeDamageSequence); err != nil {
		return DamageSequence{}, err
	}
	seq, ok1 := p.Int(1)
	wid, ok2 := p.Int(2)
	if !ok1 || !ok2 {
		return DamageSequence{}, fmt.Errorf("xpra: damage-sequence: want sequence and window id, got %d items", len(p))
	}
	d := DamageSequence{Sequence: seq, WID: wid, Width: intOr(p, 3), Height: intOr(p, 4), Message: p.Str(6)}
	var ok bool
	if d.DecodeTime, ok = p.Int(5); !ok {
		d.DecodeTime = -1
	}
	return d, nil
}

// MapWindow is the client's ["map-window", wid, x, y, w, h,
// client_properties, window_state]: it shows the window at that root
// position and size. The 3.1.3 HTML5 client leaves out the state.
type MapWindow struct {
	WID                 int64
	X, Y, Width, Height int64
	ClientProperties    wire.Dict
	State               wire.Dict
}

// Packet encodes the map (nil dicts sent empty).
func (m MapWindow) Packet() wire.Packet {
	return wire.Packet{TypeMapWindow, m.WID, m.X, m.Y, m.Width, m.Height, dictOr(m.ClientProperties), dictOr(m.State)}
}

// ParseMapWindow reads a map-window packet: the window id is required,
// absent numbers are 0 and absent dicts nil.
func ParseMapWindow(p wire.Packet) (MapWindow, error) {
	wid, err := widPacket(p, TypeMapWindow)
	if err != nil {
		return MapWindow{}, err
	}
	return MapWindow{WID: wid, X: intOr(p, 2), Y: intOr(p, 3), Width: intOr(p, 4), Height: intOr(p, 5),
		ClientProperties: p.Dict(6), State: p.Dict(7)}, nil
}

// UnmapWindow is the client's ["unmap-window", wid, iconified(,
// window_state)]: the window was minimised or hidden.
type UnmapWindow struct {
	WID       int64
	Iconified bool
	State     wire.Dict // sent only when set
}

// Packet encodes the unmap.
func (u UnmapWindow) Packet() wire.Packet {
	p := wire.Packet{TypeUnmapWindow, u.WID, u.Iconified}
	if u.State != nil {
		p = append(p, u.State)
	}
	return p
}

// ParseUnmapWindow reads an unmap-window packet.
func ParseUnmapWindow(p wire.Packet) (UnmapWindow, error) {
	wid, err := widPacket(p, TypeUnmapWindow)
	if err != nil {
		return UnmapWindow{}, err
	}
	return UnmapWindow{WID: wid, Iconified: wire.Truthy(item(p, 2)), State: p.Dict(3)}, nil
}

// ConfigureWindow is the client's ["configure-window", wid, x, y, w, h,
// client_properties, resize_counter, window_state, skip_geometry, ...]:
// the window moved or changed size, or (SkipGeometry) only its state or
// properties changed. 3.1.3 adds the pointer's window, position and
// modifiers, which are not read; its HTML5 client sends only the first
// six items.
type ConfigureWindow struct {
	WID                 int64
	X, Y, Width, Height int64
	ClientProperties    wire.Dict
	ResizeCounter       int64
	State               wire.Dict
	SkipGeometry        bool
}

// Packet encodes the configure (nil dicts sent empty).
func (c ConfigureWindow) Packet() wire.Packet {
	return wire.Packet{TypeConfigureWindow, c.WID, c.X, c.Y, c.Width, c.Height, dictOr(c.ClientProperties),
		c.ResizeCounter, dictOr(c.State), c.SkipGeometry}
}

// ParseConfigureWindow reads a configure-window packet: the window id is
// required, absent numbers are 0 (a size of 0 is no size) and absent
// dicts nil.
func ParseConfigureWindow(p wire.Packet) (ConfigureWindow, error) {
	wid, err := widPacket(p, TypeConfigureWindow)
	if err != nil {
		return ConfigureWindow{}, err
	}
	return ConfigureWindow{WID: wid, X: intOr(p, 2), Y: intOr(p, 3), Width: intOr(p, 4), Height: intOr(p, 5),
		ClientProperties: p.Dict(6), ResizeCounter: intOr(p, 7), State: p.Dict(8), SkipGeometry: wire.Truthy(item(p, 9))}, nil
}

// CloseWindow is the client's ["close-window", wid]: the user closed it.
type CloseWindow struct{ WID int64 }

// Packet encodes it.
func (c CloseWindow) Packet() wire.Packet { return wire.Packet{TypeCloseWindow, c.WID} }

// ParseCloseWindow reads a close-window packet.
func ParseCloseWindow(p wire.Packet) (CloseWindow, error) {
	wid, err := widPacket(p, TypeCloseWindow)
	return CloseWindow{WID: wid}, err
}

// BufferRefresh is the client's ["buffer-refresh", wid, 0, quality,
// options, client_properties]: send the whole window again (wid -1: all
// of them). Only the window id is read.
type BufferRefresh struct{ WID int64 }

// Packet encodes the request as xpra's client does, without options.
func (b BufferRefresh) Packet() wire.Packet {
	return wire.Packet{TypeBufferRefresh, b.WID, int64(0), int64(100), wire.Dict{}, wire.Dict{}}
}

// ParseBufferRefresh reads a buffer-refresh packet.
func ParseBufferRefresh(p wire.Packet) (BufferRefresh, error) {
	wid, err := widPacket(p, TypeBufferRefresh)
	return BufferRefresh{WID: wid}, err
}

// Focus is the client's ["focus", wid, modifiers]: the window has the
// keyboard (wid 0, also when absent: none has).
type Focus struct {
	WID       int64
	Modifiers []string
}

// Packet encodes the focus.
func (f Focus) Packet() wire.Packet {
	return wire.Packet{TypeFocus, f.WID, anyStrings(f.Modifiers)}
}

// ParseFocus reads a focus packet.
func ParseFocus(p wire.Packet) (Focus, error) {
	if err := expect(p, 1, TypeFocus); err != nil {
		return Focus{}, err
	}
	return Focus{WID: intOr(p, 1), Modifiers: stringsOf(p.List(2))}, nil
}
