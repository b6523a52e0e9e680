package modules

import (
	"bytes"
	"encoding/binary"
	"net"
)

// maxHeaderScan bounds the HTTP header text maskFixer looks through;
// past it the stream is passed on untouched.
const maxHeaderScan = 64 << 10

// maskFixer sits under the HTTP server and adds an all-zero mask to the
// websocket frames a client sends unmasked. xpra 3.1.3's own client does
// not mask its frames, which RFC 6455 requires and gorilla/websocket
// enforces; a zero mask leaves the payload as it is. Browsers mask, and
// their frames pass unchanged.
type maskFixer struct {
	net.Conn
	in, out []byte
	frames  bool   // past the websocket upgrade's headers
	hdrs    []byte // header text of the current request
	payload uint64 // payload bytes of the current frame still to pass
	off     bool   // gave up: pass everything on
}

func (m *maskFixer) Read(p []byte) (int, error) {
	for len(m.out) == 0 {
		buf := make([]byte, 32<<10)
		n, err := m.Conn.Read(buf)
		if n > 0 {
			m.in = append(m.in, buf[:n]...)
			m.process()
		}
		if len(m.out) > 0 {
			break
		}
		if err != nil {
			if len(m.in) == 0 {
				return 0, err
			}
			// A frame cut short by the end: pass on what came.
			m.out, m.in = append(m.out, m.in...), nil
		}
	}
	n := copy(p, m.out)
	m.out = m.out[n:]
	return n, nil
}

func (m *maskFixer) process() {
	for len(m.in) > 0 {
		switch {
		case m.off:
			m.out, m.in = append(m.out, m.in...), m.in[:0]
		case !m.frames:
			i := bytes.Index(append(m.hdrs[max(0, len(m.hdrs)-3):], m.in...), []byte("\r\n\r\n"))
			if i < 0 {
				m.hdrs = append(m.hdrs, m.in...)
				m.out, m.in = append(m.out, m.in...), m.in[:0]
				if len(m.hdrs) > maxHeaderScan {
					m.off = true
				}
				continue
			}
			// i counts from up to 3 bytes of the previous header text.
			end := i + 4 - min(3, len(m.hdrs))
			m.hdrs = append(m.hdrs, m.in[:end]...)
			m.out = append(m.out, m.in[:end]...)
			m.in = m.in[end:]
			if bytes.Contains(bytes.ToLower(m.hdrs), []byte("upgrade: websocket")) {
				m.frames = true
			}
			m.hdrs = m.hdrs[:0]
		case m.payload > 0:
			n := min(uint64(len(m.in)), m.payload)
			m.out = append(m.out, m.in[:n]...)
			m.in = m.in[n:]
			m.payload -= n
		default:
			if len(m.in) < 2 {
				return
			}
			ext := 0
			switch m.in[1] & 0x7f {
			case 126:
				ext = 2
			case 127:
				ext = 8
			}
			masked := m.in[1]&0x80 != 0
			hlen := 2 + ext
			if masked {
				hlen += 4
			}
			if len(m.in) < hlen {
				return
			}
			length := uint64(m.in[1] & 0x7f)
			switch ext {
			case 2:
				length = uint64(binary.BigEndian.Uint16(m.in[2:4]))
			case 8:
				length = binary.BigEndian.Uint64(m.in[2:10])
			}
			if masked {
				m.out = append(m.out, m.in[:hlen]...)
			} else {
				m.out = append(m.out, m.in[0], m.in[1]|0x80)
				m.out = append(m.out, m.in[2:hlen]...)
				m.out = append(m.out, 0, 0, 0, 0)
			}
			m.in = m.in[hlen:]
			m.payload = length
		}
	}
}

func (m *maskFixer) CloseWrite() error {
	if cw, ok := m.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
