package e2e

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
)

// TestMalformedInputLosesNothing throws bad bytes at a live session: each
// connection gets a clear disconnect (or is closed), and the session and
// its application carry on.
func TestMalformedInputLosesNothing(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--start=xterm -T survivor")
	WaitWindow(t, n, "survivor")
	hdr := func(flags, level, index byte, size uint32) []byte {
		b := []byte{'P', flags, level, index, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[4:], size)
		return b
	}
	notHello, _ := wire.Encode(wire.Rencode, []any{"ping", int64(1)})
	cases := map[string][]byte{
		"http":              []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"bad magic":         []byte("Xxxxxxxxxxxxxxxx"),
		"oversize":          hdr(1, 0, 0, 1<<30),
		"encrypted":         append(hdr(3, 0, 0, 4), 1, 2, 3, 4),
		"truncated rencode": append(hdr(1, 0, 0, 3), 0x40, 0x41, 0x42),
		"zlib garbage":      append(hdr(1, 1, 0, 4), 9, 9, 9, 9),
		"not a hello":       append(hdr(1, 0, 0, uint32(len(notHello))), notHello...),
		"too many chunks":   bytes.Repeat(append(hdr(1, 0, 1, 1), 0), 8),
	}
	for name, payload := range cases {
		t.Run(strings.ReplaceAll(name, " ", "-"), func(t *testing.T) {
			nc, err := net.Dial("unix", e.Socket(n))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.Write(payload)
			nc.SetReadDeadline(time.Now().Add(15 * time.Second))
			// The server answers with a disconnect packet or just closes;
			// either way the connection must end, not hang.
			pkt, err := wire.NewReader(nc).ReadPacket()
			if err == nil {
				d, err := xpra.ParseDisconnect(pkt)
				if err != nil {
					t.Errorf("got %q, want a disconnect", pkt.Type())
				}
				if d.Reason != xpra.ReasonProtocolError {
					t.Errorf("reason %q %q", d.Reason, d.Extra)
				}
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the server neither answered nor closed")
			} else if err != io.EOF && !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "EOF") {
				t.Logf("connection ended with %v", err)
			}
		})
	}
	info := e.MustRun("info", fmt.Sprintf(":%d", n))
	if !strings.Contains(info, "windows.0.title=survivor") || !strings.Contains(info, "children.0.dead=false") {
		t.Errorf("the session did not survive:\n%s", info)
	}
}
