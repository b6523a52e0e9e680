package rfb

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/xroam/xroam/core/geom"
)

// Client message types (RFC 6143 7.5 and the registered extensions whose
// messages a client may send unasked).
const (
	msgSetPixelFormat      = 0
	msgSetEncodings        = 2
	msgFramebufferUpdate   = 3 // FramebufferUpdateRequest
	msgKeyEvent            = 4
	msgPointerEvent        = 5
	msgClientCutText       = 6
	msgSetDesktopSize      = 251
	msgEnableContinuousUpd = 150
	msgClientFence         = 248
)

// Encodings and pseudo-encodings.
const (
	EncRaw                 int32 = 0
	EncCopyRect            int32 = 1
	EncZlib                int32 = 6
	EncTight               int32 = 7
	EncZRLE                int32 = 16
	EncCursor              int32 = -239
	EncDesktopSize         int32 = -223
	EncLastRect            int32 = -224
	EncExtendedDesktopSize int32 = -308
	// Tight's JPEG quality levels 0..9 are -32..-23, compression levels
	// 0..9 are -256..-247.
	EncQualityLevel0  int32 = -32
	EncCompressLevel0 int32 = -256
)

// Limits on what a client may make the server hold.
const (
	maxEncodings = 1024
	// maxCutText bounds the clipboard text skipped; a longer one ends the
	// connection rather than tying the server up reading it.
	maxCutText = 16 << 20
)

// ClientMessage is one decoded message from a client; exactly one field
// is set.
type ClientMessage struct {
	PixelFormat *PixelFormat
	Encodings   []int32
	Update      *UpdateRequest
	Key         *KeyEvent
	Pointer     *PointerEvent
	// CutText is the clipboard text's length: its bytes are skipped.
	CutText *int
	// DesktopSize is a SetDesktopSize request (ExtendedDesktopSize).
	DesktopSize *geom.Rect
}

// UpdateRequest is a FramebufferUpdateRequest.
type UpdateRequest struct {
	Incremental bool
	geom.Rect
}

// KeyEvent is a key press or release of a keysym.
type KeyEvent struct {
	Down   bool
	Keysym uint32
}

// PointerEvent is the pointer's position and the buttons held (bit 0 is
// button 1).
type PointerEvent struct {
	Buttons uint8
	X, Y    int
}

// ReadClientMessage reads one client message. An unknown type or a value
// out of bounds is an error: the stream cannot be resynchronised.
func ReadClientMessage(r *bufio.Reader) (ClientMessage, error) {
	t, err := r.ReadByte()
	if err != nil {
		return ClientMessage{}, err
	}
	var b [20]byte
	read := func(n int) ([]byte, error) {
		if _, err := io.ReadFull(r, b[:n]); err != nil {
			return nil, fmt.Errorf("message %d: %w", t, unexpectedEOF(err))
		}
		return b[:n], nil
	}
	switch t {
	case msgSetPixelFormat:
		p, err := read(19)
		if err != nil {
			return ClientMessage{}, err
		}
		pf, err := ParsePixelFormat(p[3:])
		if err != nil {
			return ClientMessage{}, err
		}
		return ClientMessage{PixelFormat: &pf}, nil
	case msgSetEncodings:
		p, err := read(3)
		if err != nil {
			return ClientMessage{}, err
		}
		n := int(binary.BigEndian.Uint16(p[1:]))
		if n > maxEncodings {
			return ClientMessage{}, fmt.Errorf("SetEncodings: %d encodings (at most %d)", n, maxEncodings)
		}
		encs := make([]int32, n)
		for i := range encs {
			p, err := read(4)
			if err != nil {
				return ClientMessage{}, err
			}
			encs[i] = int32(binary.BigEndian.Uint32(p))
		}
		return ClientMessage{Encodings: encs}, nil
	case msgFramebufferUpdate:
		p, err := read(9)
		if err != nil {
			return ClientMessage{}, err
		}
		u := &UpdateRequest{Incremental: p[0] != 0, Rect: geom.Rect{
			X: int(binary.BigEndian.Uint16(p[1:])), Y: int(binary.BigEndian.Uint16(p[3:])),
			W: int(binary.BigEndian.Uint16(p[5:])), H: int(binary.BigEndian.Uint16(p[7:])),
		}}
		return ClientMessage{Update: u}, nil
	case msgKeyEvent:
		p, err := read(7)
		if err != nil {
			return ClientMessage{}, err
		}
		return ClientMessage{Key: &KeyEvent{Down: p[0] != 0, Keysym: binary.BigEndian.Uint32(p[3:])}}, nil
	case msgPointerEvent:
		p, err := read(5)
		if err != nil {
			return ClientMessage{}, err
		}
		return ClientMessage{Pointer: &PointerEvent{Buttons: p[0], X: int(binary.BigEndian.Uint16(p[1:])), Y: int(binary.BigEndian.Uint16(p[3:]))}}, nil
	case msgClientCutText:
		p, err := read(7)
		if err != nil {
			return ClientMessage{}, err
		}
		// A negative length is the Extended Clipboard form; it is
		// skipped the same way.
		n := int64(int32(binary.BigEndian.Uint32(p[3:])))
		if n < 0 {
			n = -n
		}
		if n > maxCutText {
			return ClientMessage{}, fmt.Errorf("ClientCutText: %d bytes (at most %d)", n, maxCutText)
		}
		if _, err := r.Discard(int(n)); err != nil {
			return ClientMessage{}, fmt.Errorf("ClientCutText: %w", unexpectedEOF(err))
		}
		ln := int(n)
		return ClientMessage{CutText: &ln}, nil
	case msgSetDesktopSize:
		p, err := read(7)
		if err != nil {
			return ClientMessage{}, err
		}
		w, h, screens := binary.BigEndian.Uint16(p[1:]), binary.BigEndian.Uint16(p[3:]), int(p[5])
		if _, err := r.Discard(16 * screens); err != nil {
			return ClientMessage{}, fmt.Errorf("SetDesktopSize: %w", unexpectedEOF(err))
		}
		return ClientMessage{DesktopSize: &geom.Rect{W: int(w), H: int(h)}}, nil
	}
	return ClientMessage{}, fmt.Errorf("unsupported client message type %d", t)
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Client-side encoders of the same messages, for the test client.

// AppendSetPixelFormat appends a SetPixelFormat message.
func AppendSetPixelFormat(b []byte, pf PixelFormat) []byte {
	b = append(b, msgSetPixelFormat, 0, 0, 0)
	return append(b, pf.Marshal()...)
}

// AppendSetEncodings appends a SetEncodings message.
func AppendSetEncodings(b []byte, encs []int32) []byte {
	b = append(b, msgSetEncodings, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(encs)))
	for _, e := range encs {
		b = binary.BigEndian.AppendUint32(b, uint32(e))
	}
	return b
}

// AppendUpdateRequest appends a FramebufferUpdateRequest.
func AppendUpdateRequest(b []byte, incremental bool, r geom.Rect) []byte {
	inc := byte(0)
	if incremental {
		inc = 1
	}
	b = append(b, msgFramebufferUpdate, inc)
	for _, v := range []int{r.X, r.Y, r.W, r.H} {
		b = binary.BigEndian.AppendUint16(b, uint16(v))
	}
	return b
}

// AppendKeyEvent appends a KeyEvent.
func AppendKeyEvent(b []byte, down bool, keysym uint32) []byte {
	d := byte(0)
	if down {
		d = 1
	}
	b = append(b, msgKeyEvent, d, 0, 0)
	return binary.BigEndian.AppendUint32(b, keysym)
}

// AppendPointerEvent appends a PointerEvent.
func AppendPointerEvent(b []byte, buttons uint8, x, y int) []byte {
	b = append(b, msgPointerEvent, buttons)
	b = binary.BigEndian.AppendUint16(b, uint16(x))
	return binary.BigEndian.AppendUint16(b, uint16(y))
}

// AppendCutText appends a ClientCutText message.
func AppendCutText(b []byte, text string) []byte {
	b = append(b, msgClientCutText, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(text)))
	return append(b, text...)
}

// AppendSetDesktopSize appends a SetDesktopSize request for one screen.
func AppendSetDesktopSize(b []byte, w, h int) []byte {
	b = append(b, msgSetDesktopSize, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(w))
	b = binary.BigEndian.AppendUint16(b, uint16(h))
	b = append(b, 1, 0)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(w))
	b = binary.BigEndian.AppendUint16(b, uint16(h))
	return binary.BigEndian.AppendUint32(b, 0)
}
