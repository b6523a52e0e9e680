package xpra

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/sdk/clipboard"
)

// Bounds on what a peer's clipboard packets may hold.
const (
	maxTargets            = 256
	maxSelectionNameBytes = 64
)

// ClipboardPacketTypes lists the clipboard packet types.
func ClipboardPacketTypes() []string {
	return []string{TypeClipboardToken, TypeClipboardRequest, TypeClipboardContents, TypeClipboardContentsNone,
		TypeClipboardPendingRequests, TypeClipboardEnableSelections, TypeSetClipboardEnabled, TypeClipboardLoopUUIDs}
}

// IsClipboardPacket reports whether t is one of the clipboard packet
// types.
func IsClipboardPacket(t string) bool {
	return slices.Contains(ClipboardPacketTypes(), t)
}

// ClipboardToken is a clipboard-token: the sender owns Selection now. Targets and
// the inline Data are optional (greedy and want_targets peers).
type ClipboardToken struct {
	Selection string
	Targets   []string
	// HasTargets distinguishes an empty list from none.
	HasTargets bool
	Target     string
	Data       *clipboard.Data
	// Claim is false when the sender only tells, without taking the
	// selection (xpra's claim flag, true when absent).
	Claim bool
}

// ClipboardRequest is a clipboard-request: send the contents of
// Selection as Target.
type ClipboardRequest struct {
	ID                int64
	Selection, Target string
}

// ClipboardContents is a clipboard-contents, or a clipboard-contents-none
// when Data is nil: the answer to the request ID.
type ClipboardContents struct {
	ID        int64
	Selection string
	Data      *clipboard.Data
	// SliceFix adds xpra's truncated count, for peers that say
	// contents-slice-fix.
	SliceFix bool
}

func str(p wire.Packet, i int, what string) (string, error) {
	if i >= len(p) {
		return "", fmt.Errorf("%s: missing %s", p.Type(), what)
	}
	s, ok := wire.AsString(p[i])
	if !ok {
		return "", fmt.Errorf("%s: %s is not a string", p.Type(), what)
	}
	return s, nil
}

func selectionName(p wire.Packet, i int) (string, error) {
	s, err := str(p, i, "selection")
	if err != nil {
		return "", err
	}
	if s == "" || len(s) > maxSelectionNameBytes {
		return "", fmt.Errorf("%s: bad selection name %q", p.Type(), s)
	}
	return s, nil
}

func strList(v any, what string) ([]string, error) {
	l, ok := wire.AsList(v)
	if !ok {
		return nil, fmt.Errorf("%s is not a list", what)
	}
	if len(l) > maxTargets {
		return nil, fmt.Errorf("%s: %d items, at most %d", what, len(l), maxTargets)
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, ok := wire.AsString(x)
		if !ok {
			return nil, fmt.Errorf("%s holds a %T", what, x)
		}
		out = append(out, s)
	}
	return out, nil
}

// decodeData turns xpra's (dtype, dformat, wire_encoding, wire_data)
// into Data: "bytes" as they are, "atoms" as target names, "integers" as
// little-endian items of the format's size.
func decodeData(dtype string, format int64, enc string, v any, maxBytes int) (*clipboard.Data, error) {
	if format != 8 && format != 16 && format != 32 {
		return nil, fmt.Errorf("format %d: want 8, 16 or 32", format)
	}
	d := &clipboard.Data{Type: dtype, Format: int(format)}
	switch enc {
	case "bytes":
		b, ok := wire.AsBytes(v)
		if !ok {
			return nil, fmt.Errorf("bytes data is a %T", v)
		}
		if len(b)%int(format/8) != 0 {
			return nil, fmt.Errorf("%d bytes are not a whole number of %d-bit items", len(b), format)
		}
		d.Bytes = b
	case "atoms":
		names, err := strList(v, "atoms")
		if err != nil {
			return nil, err
		}
		d.Type, d.Format, d.Targets = "ATOM", 32, names
	case "integers":
		l, ok := wire.AsList(v)
		if !ok {
			return nil, fmt.Errorf("integers data is a %T", v)
		}
		size := int(format / 8)
		if len(l)*size > maxBytes {
			return nil, fmt.Errorf("%d integers exceed the limit", len(l))
		}
		b := make([]byte, 0, len(l)*size)
		for _, x := range l {
			n, ok := wire.AsInt(x)
			if !ok {
				return nil, fmt.Errorf("integers data holds a %T", x)
			}
			switch size {
			case 1:
				b = append(b, byte(n))
			case 2:
				b = binary.LittleEndian.AppendUint16(b, uint16(n))
			default:
				b = binary.LittleEndian.AppendUint32(b, uint32(n))
			}
		}
		d.Bytes = b
	default:
		return nil, fmt.Errorf("unknown wire encoding %q", enc)
	}
	if d.Size() > maxBytes {
		return nil, fmt.Errorf("%d bytes exceed the limit of %d", d.Size(), maxBytes)
	}
	return d, nil
}

// encodeData is decodeData's inverse: the encoding and value to send.
func encodeData(d *clipboard.Data) (string, any) {
	if d.Type == "ATOM" && d.Targets != nil {
		return "atoms", d.Targets
	}
	switch d.Format {
	case 16, 32:
		size := d.Format / 8
		ints := make([]int64, 0, len(d.Bytes)/size)
		for i := 0; i+size <= len(d.Bytes); i += size {
			if size == 2 {
				ints = append(ints, int64(binary.LittleEndian.Uint16(d.Bytes[i:])))
			} else {
				ints = append(ints, int64(binary.LittleEndian.Uint32(d.Bytes[i:])))
			}
		}
		return "integers", ints
	}
	return "bytes", d.Bytes
}

// ParseClipboardToken reads a clipboard-token; inline data above
// maxBytes is refused.
func ParseClipboardToken(p wire.Packet, maxBytes int) (ClipboardToken, error) {
	if err := expect(p, 2, TypeClipboardToken); err != nil {
		return ClipboardToken{}, err
	}
	t, err := parseToken(p, maxBytes)
	if err != nil {
		return ClipboardToken{}, err
	}
	return *t, nil
}

func parseToken(p wire.Packet, maxBytes int) (*ClipboardToken, error) {
	sel, err := selectionName(p, 1)
	if err != nil {
		return nil, err
	}
	t := &ClipboardToken{Selection: sel, Claim: true}
	if len(p) >= 3 && p[2] != nil {
		if t.Targets, err = strList(p[2], "targets"); err != nil {
			return nil, fmt.Errorf("%s: %w", TypeClipboardToken, err)
		}
		t.HasTargets = true
	}
	if len(p) >= 8 {
		target, _ := wire.AsString(p[3])
		if target != "" {
			dtype, err := str(p, 4, "dtype")
			if err != nil {
				return nil, err
			}
			format, ok := wire.AsInt(p[5])
			if !ok {
				return nil, fmt.Errorf("%s: dformat is not an integer", TypeClipboardToken)
			}
			enc, err := str(p, 6, "wire encoding")
			if err != nil {
				return nil, err
			}
			if t.Data, err = decodeData(dtype, format, enc, p[7], maxBytes); err != nil {
				return nil, fmt.Errorf("%s: %w", TypeClipboardToken, err)
			}
			t.Target = target
		}
	}
	if len(p) >= 10 {
		t.Claim = wire.Truthy(p[8])
	}
	return t, nil
}

// Packet encodes the token. Data, when set, goes inline with the claim flag
// and the sender's greedy flag false, as xpra's server sends it.
func (t ClipboardToken) Packet() wire.Packet {
	p := wire.Packet{TypeClipboardToken, t.Selection}
	if !t.HasTargets && t.Data == nil && t.Claim {
		return p
	}
	var targets any // nil tells the peer that no target list was sent
	if t.HasTargets {
		l := t.Targets
		if l == nil {
			l = []string{}
		}
		targets = l
	}
	p = append(p, targets)
	switch {
	case t.Data != nil:
		enc, v := encodeData(t.Data)
		p = append(p, t.Target, t.Data.Type, int64(t.Data.Format), enc, v, t.Claim, false)
	case !t.Claim:
		// A peer reads claim only from a full-length packet, and an empty
		// target tells it there is no inline data to decode.
		p = append(p, "", "", int64(0), "", "", false, false)
	}
	return p
}

// ParseClipboardRequest reads a clipboard-request.
func ParseClipboardRequest(p wire.Packet) (ClipboardRequest, error) {
	if err := expect(p, 2, TypeClipboardRequest); err != nil {
		return ClipboardRequest{}, err
	}
	r, err := parseRequest(p)
	if err != nil {
		return ClipboardRequest{}, err
	}
	return *r, nil
}

func parseRequest(p wire.Packet) (*ClipboardRequest, error) {
	id, ok := p.Int(1)
	if !ok {
		return nil, fmt.Errorf("%s: the request id is not an integer", TypeClipboardRequest)
	}
	sel, err := selectionName(p, 2)
	if err != nil {
		return nil, err
	}
	target, err := str(p, 3, "target")
	if err != nil {
		return nil, err
	}
	if target == "" || len(target) > 256 {
		return nil, fmt.Errorf("%s: bad target %q", TypeClipboardRequest, target)
	}
	return &ClipboardRequest{ID: id, Selection: sel, Target: target}, nil
}

// Packet encodes the request.
func (r ClipboardRequest) Packet() wire.Packet {
	return wire.Packet{TypeClipboardRequest, r.ID, r.Selection, r.Target}
}

// ParseClipboardContents reads a clipboard-contents or a
// clipboard-contents-none; data above maxBytes is refused. An error
// comes with the request ID when it could be read, so that the request
// can still be answered.
func ParseClipboardContents(p wire.Packet, maxBytes int) (ClipboardContents, error) {
	if err := expect(p, 2, TypeClipboardContents, TypeClipboardContentsNone); err != nil {
		return ClipboardContents{}, err
	}
	c, err := parseContents(p, maxBytes)
	if err != nil {
		return ClipboardContents{ID: intOr(p, 1)}, err
	}
	return *c, nil
}

func parseContents(p wire.Packet, maxBytes int) (*ClipboardContents, error) {
	id, ok := p.Int(1)
	if !ok {
		return nil, fmt.Errorf("%s: the request id is not an integer", p.Type())
	}
	c := &ClipboardContents{ID: id}
	if p.Type() == TypeClipboardContentsNone {
		// The selection is optional in old peers.
		c.Selection = p.Str(2)
		return c, nil
	}
	sel, err := selectionName(p, 2)
	if err != nil {
		return nil, err
	}
	c.Selection = sel
	dtype, err := str(p, 3, "dtype")
	if err != nil {
		return nil, err
	}
	format, ok := p.Int(4)
	if !ok {
		return nil, fmt.Errorf("%s: dformat is not an integer", TypeClipboardContents)
	}
	enc, err := str(p, 5, "wire encoding")
	if err != nil {
		return nil, err
	}
	if len(p) < 7 {
		return nil, fmt.Errorf("%s: missing data", TypeClipboardContents)
	}
	if c.Data, err = decodeData(dtype, format, enc, p[6], maxBytes); err != nil {
		return nil, fmt.Errorf("%s: %w", TypeClipboardContents, err)
	}
	c.SliceFix = len(p) > 7
	return c, nil
}

// Packet encodes the contents.
func (c ClipboardContents) Packet() wire.Packet {
	if c.Data == nil {
		return wire.Packet{TypeClipboardContentsNone, c.ID, c.Selection}
	}
	enc, v := encodeData(c.Data)
	p := wire.Packet{TypeClipboardContents, c.ID, c.Selection, c.Data.Type, int64(c.Data.Format), enc, v}
	if c.SliceFix {
		p = append(p, int64(0))
	}
	return p
}

// ClipboardEnableSelections is ["clipboard-enable-selections",
// [selection, ...]]: the selections the client wants synchronised.
type ClipboardEnableSelections struct{ Selections []string }

// Packet encodes the list (nil sent empty).
func (e ClipboardEnableSelections) Packet() wire.Packet {
	l := e.Selections
	if l == nil {
		l = []string{}
	}
	return wire.Packet{TypeClipboardEnableSelections, l}
}

// ParseClipboardEnableSelections reads a clipboard-enable-selections.
func ParseClipboardEnableSelections(p wire.Packet) (ClipboardEnableSelections, error) {
	if err := expect(p, 1, TypeClipboardEnableSelections); err != nil {
		return ClipboardEnableSelections{}, err
	}
	if len(p) < 2 {
		return ClipboardEnableSelections{}, errors.New(TypeClipboardEnableSelections + ": missing list")
	}
	l, err := strList(p[1], "selections")
	if err != nil {
		return ClipboardEnableSelections{}, fmt.Errorf("%s: %w", TypeClipboardEnableSelections, err)
	}
	return ClipboardEnableSelections{Selections: l}, nil
}

// SetClipboardEnabled is ["set-clipboard-enabled", enabled]: the
// sender's clipboard is on or off (off when the flag is absent).
type SetClipboardEnabled struct{ Enabled bool }

// Packet encodes the flag.
func (s SetClipboardEnabled) Packet() wire.Packet {
	return wire.Packet{TypeSetClipboardEnabled, s.Enabled}
}

// ParseSetClipboardEnabled reads a set-clipboard-enabled packet.
func ParseSetClipboardEnabled(p wire.Packet) (SetClipboardEnabled, error) {
	if err := expect(p, 1, TypeSetClipboardEnabled); err != nil {
		return SetClipboardEnabled{}, err
	}
	return SetClipboardEnabled{Enabled: wire.Truthy(item(p, 1))}, nil
}

// ClipboardPendingRequests is the server's ["clipboard-pending-requests",
// count]: how many of its requests to the client wait for an answer.
type ClipboardPendingRequests struct{ Count int64 }

// Packet encodes the count.
func (c ClipboardPendingRequests) Packet() wire.Packet {
	return wire.Packet{TypeClipboardPendingRequests, c.Count}
}

// ParseClipboardPendingRequests reads a clipboard-pending-requests packet.
func ParseClipboardPendingRequests(p wire.Packet) (ClipboardPendingRequests, error) {
	if err := expect(p, 2, TypeClipboardPendingRequests); err != nil {
		return ClipboardPendingRequests{}, err
	}
	n, err := intField(p, 1, "count")
	return ClipboardPendingRequests{Count: n}, err
}
