package modules

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// bytesConn is a net.Conn that reads from a fixed buffer in small steps,
// so that frames straddle reads.
type bytesConn struct {
	net.Conn
	r    *bytes.Reader
	step int
}

func (c *bytesConn) Read(p []byte) (int, error) {
	if len(p) > c.step {
		p = p[:c.step]
	}
	return c.r.Read(p)
}

func readAllFixed(in []byte, step int) []byte {
	m := &maskFixer{Conn: &bytesConn{r: bytes.NewReader(in), step: step}}
	out, _ := io.ReadAll(m)
	return out
}

func TestMaskFixer(t *testing.T) {
	hdr := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
	unmasked := []byte{0x82, 3, 'a', 'b', 'c'}
	masked := []byte{0x82, 0x83, 1, 2, 3, 4, 'a' ^ 1, 'b' ^ 2, 'c' ^ 3}
	long := append([]byte{0x82, 126, 0, 200}, bytes.Repeat([]byte{'z'}, 200)...)
	for _, step := range []int{1, 3, 7, 4096} {
		in := append(append(append([]byte(hdr), unmasked...), masked...), long...)
		got := readAllFixed(in, step)
		want := append([]byte(hdr), 0x82, 0x83, 0, 0, 0, 0, 'a', 'b', 'c')
		want = append(want, masked...)
		want = append(want, 0x82, 0x80|126, 0, 200, 0, 0, 0, 0)
		want = append(want, bytes.Repeat([]byte{'z'}, 200)...)
		if !bytes.Equal(got, want) {
			t.Errorf("step %d:\n got %q\nwant %q", step, got, want)
		}
	}
	// A plain HTTP request is passed on as it is.
	plain := "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n\x02\x03"
	if got := readAllFixed([]byte(plain), 5); string(got) != plain {
		t.Errorf("plain request changed: %q", got)
	}
}

func FuzzMaskFixer(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n\x82\x03abc"), 3)
	f.Add([]byte("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n\x82\x7f\xff\xff\xff\xff\xff\xff\xff\xff"), 1)
	f.Fuzz(func(t *testing.T, in []byte, step int) {
		if step <= 0 || step > 1<<16 {
			step = 1 + len(in)
		}
		out := readAllFixed(in, step)
		// Nothing is lost: the fixer only inserts bytes.
		if len(out) < len(in) {
			t.Fatalf("%d bytes in, %d out", len(in), len(out))
		}
	})
}
