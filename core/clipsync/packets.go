package clipsync

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/sdk/clipboard"
)

// The clipboard packet types.
const (
	TypeToken             = "clipboard-token"
	TypeRequest           = "clipboard-request"
	TypeContents          = "clipboard-contents"
	TypeContentsNone      = "clipboard-contents-none"
	TypePendingRequests   = "clipboard-pending-requests"
	TypeEnableSelections  = "clipboard-enable-selections"
	TypeSetEnabled        = "set-clipboard-enabled"
	TypeLoopUUIDs         = "clipboard-loop-uuids"
	maxTargets            = 256
	maxSelectionNameBytes = 64
)

// IsClipboardPacket reports whether t is one of the types Handle takes.
func IsClipboardPacket(t string) bool {
	switch t {
	case TypeToken, TypeRequest, TypeContents, TypeContentsNone, TypePendingRequests,
		TypeEnableSelections, TypeSetEnabled, TypeLoopUUIDs:
		return true
	}
	return false
}

// Token is a clipboard-token: the sender owns Selection now. Targets and
// the inline Data are optional (greedy and want_targets peers).
type Token struct {
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

// Request is a clipboard-request.
type Request struct {
	ID                int64
	Selection, Target string
}

// Contents is a clipboard-contents, or a clipboard-contents-none when
// Data is nil.
type Contents struct {
	ID        int64
	Selection string
	Data      *clipboard.Data
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

// ParseToken reads a clipboard-token.
func ParseToken(p wire.Packet, maxBytes int) (*Token, error) {
	sel, err := selectionName(p, 1)
	if err != nil {
		return nil, err
	}
	t := &Token{Selection: sel, Claim: true}
	if len(p) >= 3 && p[2] != nil {
		if t.Targets, err = strList(p[2], "targets"); err != nil {
			return nil, fmt.Errorf("%s: %w", TypeToken, err)
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
				return nil, fmt.Errorf("%s: dformat is not an integer", TypeToken)
			}
			enc, err := str(p, 6, "wire encoding")
			if err != nil {
				return nil, err
			}
			if t.Data, err = decodeData(dtype, format, enc, p[7], maxBytes); err != nil {
				return nil, fmt.Errorf("%s: %w", TypeToken, err)
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
func (t *Token) Packet() wire.Packet {
	p := wire.Packet{TypeToken, t.Selection}
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

// ParseRequest reads a clipboard-request.
func ParseRequest(p wire.Packet) (*Request, error) {
	id, ok := p.Int(1)
	if !ok {
		return nil, fmt.Errorf("%s: the request id is not an integer", TypeRequest)
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
		return nil, fmt.Errorf("%s: bad target %q", TypeRequest, target)
	}
	return &Request{ID: id, Selection: sel, Target: target}, nil
}

// Packet encodes the request.
func (r *Request) Packet() wire.Packet {
	return wire.Packet{TypeRequest, r.ID, r.Selection, r.Target}
}

// ParseContents reads a clipboard-contents or a clipboard-contents-none.
func ParseContents(p wire.Packet, maxBytes int) (*Contents, error) {
	id, ok := p.Int(1)
	if !ok {
		return nil, fmt.Errorf("%s: the request id is not an integer", p.Type())
	}
	c := &Contents{ID: id}
	if p.Type() == TypeContentsNone {
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
		return nil, fmt.Errorf("%s: dformat is not an integer", TypeContents)
	}
	enc, err := str(p, 5, "wire encoding")
	if err != nil {
		return nil, err
	}
	if len(p) < 7 {
		return nil, fmt.Errorf("%s: missing data", TypeContents)
	}
	if c.Data, err = decodeData(dtype, format, enc, p[6], maxBytes); err != nil {
		return nil, fmt.Errorf("%s: %w", TypeContents, err)
	}
	return c, nil
}

// Packet encodes the contents; sliceFix adds xpra's truncated count.
func (c *Contents) Packet(sliceFix bool) wire.Packet {
	if c.Data == nil {
		return wire.Packet{TypeContentsNone, c.ID, c.Selection}
	}
	enc, v := encodeData(c.Data)
	p := wire.Packet{TypeContents, c.ID, c.Selection, c.Data.Type, int64(c.Data.Format), enc, v}
	if sliceFix {
		p = append(p, int64(0))
	}
	return p
}

// ParseSelections reads a clipboard-enable-selections.
func ParseSelections(p wire.Packet) ([]string, error) {
	if len(p) < 2 {
		return nil, errors.New(TypeEnableSelections + ": missing list")
	}
	l, err := strList(p[1], "selections")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", TypeEnableSelections, err)
	}
	return l, nil
}
