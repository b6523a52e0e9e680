package session

import (
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
	s := &mmapSubsystem{s: &Server{cfg: &config.Config{Mmap: "yes"}}}

	root := mmapPeer{local: true, hasUID: true, uid: 0}
	got, reply := s.accept(hello(nil), root, log)
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
	if got, _ := s.accept(hello(func(d wire.Dict) { delete(d, "size") }), root, log); got == nil {
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
		if got, reply := s.accept(hello(edit), root, log); got != nil || reply["mmap_enabled"] != false {
			t.Errorf("%s: accepted (%v)", name, reply)
			got.Close()
		}
	}
	if got, _ := s.accept(hello(nil), mmapPeer{}, log); got != nil {
		t.Error("a client from another machine: accepted")
		got.Close()
	}
	for name, srv := range map[string]*Server{
		"--mmap=no":      {cfg: &config.Config{Mmap: "no"}},
		"--encoding=png": {cfg: &config.Config{Mmap: "yes", Encoding: "png"}},
	} {
		if got, _ := (&mmapSubsystem{s: srv}).accept(hello(nil), root, log); got != nil {
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

// testUser creates a user for the test and returns its uid and gid.
func testUser(t *testing.T, name string) (uid, gid int) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a user")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("useradd is missing")
	}
	_ = exec.Command("userdel", name).Run()
	if out, err := exec.Command("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid
}

// TestMMapAcceptRefusesFiles: a client cannot make the server write into
// a file the client could not write itself. Only a regular file of the
// client's own uid is taken (of the server's uid over TCP, after a
// password), never through a symbolic link, and only with a full-size
// token: a short one at an index of the client's choosing would let
// any file whose first bytes are known (\x7fELF) pass.
func TestMMapAcceptRefusesFiles(t *testing.T) {
	uid, gid := testUser(t, "xroammmaptest")
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	s := &mmapSubsystem{s: &Server{cfg: &config.Config{Mmap: "yes"}}}
	// offer makes a client's area owned by owner, its token at the end,
	// and the hello that offers it (edit changes the area or the hello).
	offer := func(owner int, edit func(a *mmap.Area, d wire.Dict)) wire.Dict {
		t.Helper()
		a, err := mmap.Create(dir, "", mmap.MinSize)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		if err := os.Chown(a.Path(), owner, -1); err != nil {
			t.Fatal(err)
		}
		tok, _ := mmap.NewToken()
		index := a.Size() - mmap.DefaultTokenBytes
		if err := a.WriteToken(tok, index, mmap.DefaultTokenBytes); err != nil {
			t.Fatal(err)
		}
		d := wire.Dict{"file": a.Path(), "size": int64(a.Size()), "token": tok,
			"token_index": int64(index), "token_bytes": int64(mmap.DefaultTokenBytes), "namespace": true}
		if edit != nil {
			edit(a, d)
		}
		return wire.Dict{"mmap": d}
	}
	root := mmapPeer{local: true, hasUID: true, uid: 0}
	usr := mmapPeer{local: true, hasUID: true, uid: uint32(uid)}
	tcp := mmapPeer{local: true}
	tcpPassword := mmapPeer{local: true, proved: true}
	symlink := func(a *mmap.Area, d wire.Dict) {
		link := a.Path() + ".link"
		if err := os.Symlink(a.Path(), link); err != nil {
			t.Fatal(err)
		}
		d["file"] = link
	}
	fifo := func(_ *mmap.Area, d wire.Dict) {
		f := filepath.Join(dir, "fifo")
		_ = os.Remove(f)
		if err := syscall.Mkfifo(f, 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(f, uid, gid); err != nil {
			t.Fatal(err)
		}
		d["file"] = f
		delete(d, "size")
	}
	// The first bytes of a file are known (an ELF header): a one-byte
	// token over them, where the client says.
	knownByte := func(a *mmap.Area, d wire.Dict) {
		if err := a.WriteToken(big.NewInt(0x7f), 4096, 1); err != nil {
			t.Fatal(err)
		}
		d["token"], d["token_index"], d["token_bytes"] = int64(0x7f), int64(4096), int64(1)
	}
	// The same byte, read as a full-size token (the next 127 are 0).
	smallToken := func(a *mmap.Area, d wire.Dict) {
		knownByte(a, d)
		d["token_bytes"] = int64(mmap.DefaultTokenBytes)
	}
	for _, tc := range []struct {
		name  string
		peer  mmapPeer
		hello wire.Dict
		want  bool
	}{
		{"the user's own file", usr, offer(uid, nil), true},
		{"root's own file", root, offer(0, nil), true},
		{"root's file offered by the user", usr, offer(0, nil), false},
		{"the user's file offered by root", root, offer(uid, nil), false},
		{"a symbolic link to the user's own file", usr, offer(uid, symlink), false},
		{"a FIFO of the user", usr, offer(uid, fifo), false},
		{"a device", root, offer(0, func(_ *mmap.Area, d wire.Dict) { d["file"] = "/dev/zero"; delete(d, "size") }), false},
		{"a one-byte token over a known byte", root, offer(0, knownByte), false},
		{"a full-size token of a known byte", root, offer(0, smallToken), false},
		{"TCP without a password", tcp, offer(0, nil), false},
		{"TCP with a password, the server's file", tcpPassword, offer(0, nil), true},
		{"TCP with a password, another user's file", tcpPassword, offer(uid, nil), false},
	} {
		got, reply := s.accept(tc.hello, tc.peer, log)
		if (got != nil) != tc.want || reply["mmap_enabled"] != tc.want {
			t.Errorf("%s: accepted %v, want %v", tc.name, got != nil, tc.want)
		}
		if got != nil {
			got.Close()
		}
	}
}

// TestMMapPeerUID: on the unix socket, the uid mmapSubsystem.accept holds the file
// to is the connecting process's own (SO_PEERCRED), here a second user's.
func TestMMapPeerUID(t *testing.T) {
	uid, gid := testUser(t, "xroammmappeer")
	py, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		t.Skip("python3 is missing")
	}
	// A directory the second user can reach (t.TempDir's parent is
	// root's only).
	dir, err := os.MkdirTemp("", "xroam-mmap-peer")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.Chmod(sock, 0o777); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.recv(1)", sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	_ = l.(*net.UnixListener).SetDeadline(time.Now().Add(60 * time.Second))
	nc, err := l.Accept()
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the second user's connection: %v\n%s", err, out.String())
	}
	defer nc.Close()
	p := mmapPeerOf(&clientConn{nc: nc})
	if !p.local || !p.hasUID || p.uid != uint32(uid) || p.proved {
		t.Errorf("peer %+v, want local uid %d", p, uid)
	}
	if o, err := p.fileOwner(0); err != nil || o != uid {
		t.Errorf("file owner %d (%v), want %d", o, err, uid)
	}
}
