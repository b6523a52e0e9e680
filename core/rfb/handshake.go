package rfb

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/xroam/xroam/sdk/auth"
)

// Security types.
const (
	SecNone = 1
	SecVNC  = 2
)

// handshakeTimeout bounds the whole handshake, password typing included.
const handshakeTimeout = 60 * time.Second

// authFailureDelay slows down password guessing before a refusal.
const authFailureDelay = time.Second

// ErrAuthFailed is returned when the client's password is refused.
var ErrAuthFailed = errors.New("authentication failed")

// CheckFunc verifies a VNC Authentication response to challenge; a nil
// error lets the client in.
type CheckFunc func(ctx context.Context, challenge, response []byte) error

// parseVersion reads a ProtocolVersion and returns the minor version the
// server will speak: 3, 7 or 8 (RFC 6143 7.1.1: unknown minors between
// are 3.3, later ones 3.8).
func parseVersion(b []byte) (int, error) {
	var major, minor int
	if len(b) != 12 || b[11] != '\n' {
		return 0, fmt.Errorf("not an RFB client: %q", b)
	}
	if n, err := fmt.Sscanf(string(b[:11]), "RFB %03d.%03d", &major, &minor); err != nil || n != 2 || major != 3 {
		return 0, fmt.Errorf("unsupported protocol version %q", b[:11])
	}
	switch {
	case minor >= 8:
		return 8, nil
	case minor == 7:
		return 7, nil
	}
	return 3, nil
}

// handshake runs the server side up to and including ServerInit. check
// nil offers security type None.
func handshake(ctx context.Context, nc net.Conn, check CheckFunc, w, h int, name string) (minor int, err error) {
	_ = nc.SetDeadline(time.Now().Add(handshakeTimeout))
	defer nc.SetDeadline(time.Time{})
	if _, err := io.WriteString(nc, "RFB 003.008\n"); err != nil {
		return 0, err
	}
	v, err := readN(nc, 12)
	if err != nil {
		return 0, fmt.Errorf("reading the client's version: %w", err)
	}
	if minor, err = parseVersion(v); err != nil {
		return 0, err
	}
	sec := byte(SecNone)
	if check != nil {
		sec = SecVNC
	}
	if minor == 3 {
		if _, err := nc.Write(binary.BigEndian.AppendUint32(nil, uint32(sec))); err != nil {
			return minor, err
		}
	} else {
		if _, err := nc.Write([]byte{1, sec}); err != nil {
			return minor, err
		}
		b, err := readN(nc, 1)
		if err != nil {
			return minor, fmt.Errorf("reading the security type: %w", err)
		}
		if b[0] != sec {
			reason := fmt.Sprintf("security type %d was not offered", b[0])
			if minor == 8 {
				writeFailure(nc, reason)
			}
			return minor, errors.New(reason)
		}
	}
	if sec == SecVNC {
		chal, err := auth.NewVNCChallenge()
		if err != nil {
			return minor, err
		}
		if _, err := nc.Write(chal); err != nil {
			return minor, err
		}
		resp, err := readN(nc, auth.VNCChallengeSize)
		if err != nil {
			return minor, fmt.Errorf("reading the VNC response: %w", err)
		}
		if err := check(ctx, chal, resp); err != nil {
			_ = auth.FailureDelay(ctx, authFailureDelay)
			if minor == 8 {
				writeFailure(nc, "authentication failed")
			} else {
				_, _ = nc.Write([]byte{0, 0, 0, 1})
			}
			return minor, fmt.Errorf("%w: %w", ErrAuthFailed, err)
		}
	}
	if sec == SecVNC || minor == 8 {
		if _, err := nc.Write([]byte{0, 0, 0, 0}); err != nil {
			return minor, err
		}
	}
	if _, err := readN(nc, 1); err != nil { // ClientInit: the shared flag
		return minor, fmt.Errorf("reading ClientInit: %w", err)
	}
	init := binary.BigEndian.AppendUint16(nil, uint16(w))
	init = binary.BigEndian.AppendUint16(init, uint16(h))
	init = append(init, ServerPixelFormat().Marshal()...)
	init = binary.BigEndian.AppendUint32(init, uint32(len(name)))
	init = append(init, name...)
	_, err = nc.Write(init)
	return minor, err
}

// writeFailure sends a failed SecurityResult with its reason (3.8).
func writeFailure(nc net.Conn, reason string) {
	b := binary.BigEndian.AppendUint32(nil, 1)
	b = binary.BigEndian.AppendUint32(b, uint32(len(reason)))
	_, _ = nc.Write(append(b, reason...))
}

// ClientInfo is what ClientHandshake learnt from the server.
type ClientInfo struct {
	W, H int
	PF   PixelFormat
	Name string
}

// ClientHandshake is the client side, for the tests: it speaks version
// 3.minor and answers VNC Authentication with password.
func ClientHandshake(nc net.Conn, minor int, password string) (ClientInfo, error) {
	if _, err := readN(nc, 12); err != nil {
		return ClientInfo{}, err
	}
	if _, err := fmt.Fprintf(nc, "RFB 003.%03d\n", minor); err != nil {
		return ClientInfo{}, err
	}
	var sec byte
	if minor == 3 {
		b, err := readN(nc, 4)
		if err != nil {
			return ClientInfo{}, err
		}
		sec = b[3]
	} else {
		b, err := readN(nc, 1)
		if err != nil {
			return ClientInfo{}, err
		}
		if b[0] == 0 {
			return ClientInfo{}, errors.New("the server offers no security type")
		}
		types, err := readN(nc, int(b[0]))
		if err != nil {
			return ClientInfo{}, err
		}
		sec = types[0]
		if _, err := nc.Write([]byte{sec}); err != nil {
			return ClientInfo{}, err
		}
	}
	if sec == SecVNC {
		chal, err := readN(nc, 16)
		if err != nil {
			return ClientInfo{}, err
		}
		resp, err := auth.VNCResponse([]byte(password), chal)
		if err != nil {
			return ClientInfo{}, err
		}
		if _, err := nc.Write(resp); err != nil {
			return ClientInfo{}, err
		}
	}
	if sec == SecVNC || minor == 8 {
		b, err := readN(nc, 4)
		if err != nil {
			return ClientInfo{}, err
		}
		if binary.BigEndian.Uint32(b) != 0 {
			reason := "refused"
			if minor == 8 {
				if l, err := readN(nc, 4); err == nil && binary.BigEndian.Uint32(l) < 1024 {
					if s, err := readN(nc, int(binary.BigEndian.Uint32(l))); err == nil {
						reason = string(s)
					}
				}
			}
			return ClientInfo{}, fmt.Errorf("%w: %s", ErrAuthFailed, reason)
		}
	}
	if _, err := nc.Write([]byte{1}); err != nil {
		return ClientInfo{}, err
	}
	b, err := readN(nc, 24)
	if err != nil {
		return ClientInfo{}, err
	}
	pf, err := ParsePixelFormat(b[4:20])
	if err != nil {
		return ClientInfo{}, err
	}
	n := binary.BigEndian.Uint32(b[20:])
	if n > 4096 {
		return ClientInfo{}, fmt.Errorf("desktop name of %d bytes", n)
	}
	name, err := readN(nc, int(n))
	if err != nil {
		return ClientInfo{}, err
	}
	return ClientInfo{W: int(binary.BigEndian.Uint16(b)), H: int(binary.BigEndian.Uint16(b[2:])), PF: pf, Name: string(name)}, nil
}
