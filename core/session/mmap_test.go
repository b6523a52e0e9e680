package session

import (
	"io"
	"log/slog"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/mmap"
	"github.com/xroam/xroam/core/wire"
)

// TestMMapAccept: the server maps a client's area only with its token
// where the hello says, writes its own token where the client can check
// it, and otherwise answers mmap_enabled False.
func TestMMapAccept(t *testing.T) {
	area, err := mmap.Create(t.TempDir(), "", mmap.MinSize)
	if err != nil {
		t.Fatal(err)
	}
	defer area.Close()
	tok, _ := mmap.NewToken()
	index := area.Size() - mmap.DefaultTokenBytes
	hello := func(edit func(wire.Dict)) wire.Dict {
		// Again each time: the server writes its token where the
		// client's was.
		if err := area.WriteToken(tok, index, mmap.DefaultTokenBytes); err != nil {
			t.Fatal(err)
		}
		d := wire.Dict{"mmap": wire.Dict{"file": area.Path(), "size": int64(area.Size()), "token": tok,
			"token_index": int64(index), "token_bytes": int64(mmap.DefaultTokenBytes), "namespace": true}}
		if edit != nil {
			edit(d["mmap"].(wire.Dict))
		}
		return d
	}
	log := slog.New(slog.DiscardHandler)
	s := &Server{cfg: &config.Config{Mmap: "yes"}}

	got, reply := s.mmapAccept(hello(nil), true, log)
	if got == nil || reply["mmap_enabled"] != true {
		t.Fatalf("refused a good area: %v", reply)
	}
	srvTok, _ := reply["mmap.token"].(*big.Int)
	at, _ := wire.AsInt(reply["mmap.token_index"])
	n, _ := wire.AsInt(reply["mmap.token_bytes"])
	if read, err := area.ReadToken(int(at), int(n)); srvTok == nil || err != nil || read.Cmp(srvTok) != 0 {
		t.Errorf("the server's token %v is not at %d+%d: %v %v", srvTok, at, n, read, err)
	}
	got.Close()
	// A size the hello leaves out is the file's.
	if got, _ := s.mmapAccept(hello(func(d wire.Dict) { delete(d, "size") }), true, log); got == nil {
		t.Error("refused an area of unsaid size")
	} else {
		got.Close()
	}

	for name, edit := range map[string]func(wire.Dict){
		"wrong token":   func(d wire.Dict) { d["token"] = new(big.Int).Add(tok, big.NewInt(1)) },
		"no token":      func(d wire.Dict) { delete(d, "token") },
		"string token":  func(d wire.Dict) { d["token"] = "nonsense" },
		"zero token":    func(d wire.Dict) { d["token"] = int64(0); d["token_index"] = int64(4096) },
		"token outside": func(d wire.Dict) { d["token_index"] = int64(area.Size()) },
		"other size":    func(d wire.Dict) { d["size"] = int64(area.Size() + 4096) },
		"missing file":  func(d wire.Dict) { d["file"] = area.Path() + ".gone" },
		"directory":     func(d wire.Dict) { d["file"] = "/" },
	} {
		if got, reply := s.mmapAccept(hello(edit), true, log); got != nil || reply["mmap_enabled"] != false {
			t.Errorf("%s: accepted (%v)", name, reply)
			got.Close()
		}
	}
	if got, _ := s.mmapAccept(hello(nil), false, log); got != nil {
		t.Error("a client from another machine: accepted")
		got.Close()
	}
	for name, srv := range map[string]*Server{
		"--mmap=no":      {cfg: &config.Config{Mmap: "no"}},
		"--encoding=png": {cfg: &config.Config{Mmap: "yes", Encoding: "png"}},
	} {
		if got, _ := srv.mmapAccept(hello(nil), true, log); got != nil {
			t.Errorf("%s: accepted", name)
			got.Close()
		}
	}
}

func TestPeerIsLocal(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:5000", true},
		{"[::1]:5000", true},
		{"10.0.0.2:5000", false},
		{"[2001:db8::1]:5000", false},
		{"vsock:3:5000", false},
	} {
		if got := peerIsLocal(addrConn{tc.addr}); got != tc.want {
			t.Errorf("%s: local %v, want %v", tc.addr, got, tc.want)
		}
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if peerIsLocal(a) {
		t.Error("a pipe without an address counted as local")
	}
}

// addrConn is a net.Conn that only has a remote address.
type addrConn struct{ addr string }

func (c addrConn) RemoteAddr() net.Addr           { return fakeAddr(c.addr) }
func (addrConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (addrConn) Write(b []byte) (int, error)      { return len(b), nil }
func (addrConn) Close() error                     { return nil }
func (addrConn) LocalAddr() net.Addr              { return fakeAddr("") }
func (addrConn) SetDeadline(time.Time) error      { return nil }
func (addrConn) SetReadDeadline(time.Time) error  { return nil }
func (addrConn) SetWriteDeadline(time.Time) error { return nil }

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }
