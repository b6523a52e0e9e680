package mmap

import (
	"bytes"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/xroam/xroam/core/wire"
)

func newPair(t *testing.T, size int) (client, server *Area) {
	t.Helper()
	c, err := Create(t.TempDir(), "", size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := Open(c.Path(), c.Size(), 0, AnyOwner)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return c, s
}

func TestCreateModeAndCleanup(t *testing.T) {
	c, err := Create(t.TempDir(), "", MinSize)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(c.Path())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if c.Size() < MinSize+Header || c.Size()%4096 != 0 {
		t.Errorf("size %d", c.Size())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Path()); !os.IsNotExist(err) {
		t.Errorf("the file is still there after Close: %v", err)
	}
}

func TestTokens(t *testing.T) {
	c, s := newPair(t, MinSize)
	tok, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	idx := c.Size() - DefaultTokenBytes
	if err := c.WriteToken(tok, idx, DefaultTokenBytes); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadToken(idx, DefaultTokenBytes)
	if err != nil || got.Cmp(tok) != 0 {
		t.Fatalf("token %v (%v), want %v", got, err, tok)
	}
	// Least significant byte first, as xpra writes it.
	small := big.NewInt(0x0102)
	if err := c.WriteToken(small, DefaultTokenIndex, 4); err != nil {
		t.Fatal(err)
	}
	if b := s.mem[DefaultTokenIndex : DefaultTokenIndex+4]; !bytes.Equal(b, []byte{2, 1, 0, 0}) {
		t.Errorf("token bytes %v", b)
	}
	if _, err := s.ReadToken(s.Size()-4, 8); err == nil {
		t.Error("a token past the end was read")
	}
	if err := c.WriteToken(new(big.Int).Lsh(big.NewInt(1), 64), 0, 8); err == nil {
		t.Error("a token too big for its bytes was written")
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(small, 0, MinSize, AnyOwner); err == nil {
		t.Error("a file below the minimum size was opened")
	}
	if _, err := Open(filepath.Join(dir, "missing"), 0, 0, AnyOwner); err == nil {
		t.Error("a missing file was opened")
	}
	if _, err := Open(dir, 0, 0, AnyOwner); err == nil {
		t.Error("a directory was opened")
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(fifo, 0, 0, AnyOwner); err == nil {
		t.Error("a FIFO was opened")
	}
	if _, err := Open("/dev/null", 0, 0, AnyOwner); err == nil {
		t.Error("a device was opened")
	}
	c, err := Create(dir, "", MinSize)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := Open(c.Path(), c.Size()+1, 0, AnyOwner); err == nil {
		t.Error("a file of another size than announced was opened")
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(c.Path(), link); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(link, 0, 0, AnyOwner); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a symbolic link to an area: %v", err)
	}
	if _, err := Open(c.Path(), 0, 0, os.Geteuid()+1); err == nil || !strings.Contains(err.Error(), "belongs to uid") {
		t.Errorf("a file of another owner: %v", err)
	}
	if s, err := Open(c.Path(), 0, 0, os.Geteuid()); err != nil {
		t.Errorf("a file of its owner: %v", err)
	} else {
		s.Close()
	}
}

// TestRing writes and reads draws of varied sizes through a small area
// and checks every byte, wrapping around many times.
func TestRing(t *testing.T) {
	c, s := newPair(t, MinSize)
	// Shrink the ring's view to exercise wrapping quickly.
	c.mem, s.mem = c.mem[:1<<16], s.mem[:1<<16]
	var pending [][]Chunk
	var want [][]byte
	wraps := 0
	for i := range 2000 {
		n := 1 + (i*7919)%20000
		data := bytes.Repeat([]byte{byte(i), byte(i >> 8), byte(i * 3)}, n/3+1)[:n]
		chunks, _, err := s.Write(data)
		if errors.Is(err, ErrFull) {
			if len(pending) == 0 {
				t.Fatalf("draw %d of %d bytes: full with nothing pending", i, n)
			}
			// The client reads the oldest and releases it.
			got, err := c.Read(pending[0])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want[0]) {
				t.Fatalf("draw data differs")
			}
			c.Release(pending[0])
			pending, want = pending[1:], want[1:]
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) == 2 {
			wraps++
		}
		pending = append(pending, chunks)
		want = append(want, data)
		// Read some draws at once, as a client does.
		for len(pending) > 2 {
			got, err := c.Read(pending[0])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want[0]) {
				t.Fatalf("draw data differs after %d writes", i)
			}
			c.Release(pending[0])
			pending, want = pending[1:], want[1:]
		}
	}
	if wraps == 0 {
		t.Error("no write was split around the end of the ring")
	}
}

func TestWriteTooBig(t *testing.T) {
	_, s := newPair(t, MinSize)
	if _, _, err := s.Write(make([]byte, s.Size())); !errors.Is(err, ErrFull) {
		t.Fatalf("err %v, want ErrFull", err)
	}
}

// TestHostileHeader: whatever the client writes in the header, the
// server's writes stay inside the area.
func TestHostileHeader(t *testing.T) {
	c, s := newPair(t, MinSize)
	for _, v := range [][2]int{{0, 0}, {1 << 31, 0}, {0, 1<<32 - 1}, {5, 3}, {c.Size(), c.Size()}, {c.Size() - 1, 9}} {
		c.store(0, v[0])
		s.store(4, v[1])
		chunks, _, err := s.Write(make([]byte, 4096))
		if err != nil {
			continue
		}
		if err := s.check(chunks); err != nil {
			t.Errorf("header %v: %v", v, err)
		}
	}
}

func TestParseChunks(t *testing.T) {
	good := []any{[]any{int64(8), int64(100)}, []any{int64(500), int64(3)}}
	got, err := ParseChunks(good)
	if err != nil || len(got) != 2 || got[1] != (Chunk{500, 3}) {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []any{nil, "x", []any{}, []any{[]any{int64(4), int64(1)}}, []any{[]any{int64(8), int64(0)}},
		[]any{[]any{int64(8)}}, []any{[]any{"a", int64(1)}}, []any{[]any{int64(8), int64(-1)}}} {
		if _, err := ParseChunks(bad); err == nil {
			t.Errorf("%v was accepted", bad)
		}
	}
	// Round trip through the wire encoding.
	enc, err := wire.Encode(wire.Rencode, WireChunks(got))
	if err != nil {
		t.Fatal(err)
	}
	v, err := wire.Decode(wire.Rencode, enc)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := ParseChunks(v); err != nil || len(again) != 2 || again[0] != got[0] {
		t.Fatalf("%v %v", again, err)
	}
}

// FuzzChunks decodes a peer's draw data and reads it from a small area:
// nothing may be touched outside the area.
func FuzzChunks(f *testing.F) {
	for _, v := range []any{
		[]any{[]any{int64(8), int64(100)}},
		[]any{[]any{int64(60000), int64(5536)}, []any{int64(8), int64(100)}},
		[]any{[]any{int64(65535), int64(2)}},
		[]any{[]any{int64(1) << 40, int64(1)}},
	} {
		b, err := wire.Encode(wire.Rencode, v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint32(8), uint32(8))
	}
	c, err := Create(f.TempDir(), "", MinSize)
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	full := c.mem
	f.Fuzz(func(t *testing.T, data []byte, start, end uint32) {
		a := &Area{mem: full[:1<<16]}
		v, err := wire.Decode(wire.Rencode, data)
		if err != nil {
			return
		}
		chunks, err := ParseChunks(v)
		if err != nil {
			return
		}
		if b, err := a.Read(chunks); err == nil {
			n := 0
			for _, ch := range chunks {
				n += ch.Length
			}
			if len(b) != n {
				t.Fatalf("read %d bytes for %d", len(b), n)
			}
			a.Release(chunks)
		}
		// The header as a hostile client may leave it.
		a.store(0, int(start))
		a.store(4, int(end))
		if out, _, err := a.Write(data); err == nil {
			if err := a.check(out); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestParseOption(t *testing.T) {
	for _, c := range []struct {
		in   string
		on   bool
		path string
		bad  bool
	}{{"yes", true, "", false}, {"", false, "", false}, {"no", false, "", false}, {"OFF", false, "", false},
		{"/dev/shm/x", true, "/dev/shm/x", false}, {"relative/x", false, "", true}, {"maybe", false, "", true}} {
		on, path, err := ParseOption(c.in)
		if (err != nil) != c.bad || on != c.on || path != c.path {
			t.Errorf("%q: %v %q %v", c.in, on, path, err)
		}
	}
}

func TestCreateAtPath(t *testing.T) {
	dir := t.TempDir()
	// A new file is made and removed with the area.
	fresh := filepath.Join(dir, "fresh")
	a, err := Create("", fresh, MinSize)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a file made for the area stays: %v", err)
	}
	// One that exists keeps its size and stays.
	shared := filepath.Join(dir, "shared")
	if err := os.WriteFile(shared, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(shared, 2*MinSize); err != nil {
		t.Fatal(err)
	}
	b, err := Create("", shared, MinSize)
	if err != nil {
		t.Fatal(err)
	}
	if b.Size() != 2*MinSize {
		t.Errorf("size %d, want the file's %d", b.Size(), 2*MinSize)
	}
	b.Close()
	if _, err := os.Stat(shared); err != nil {
		t.Errorf("an existing file was removed: %v", err)
	}
}

// TestCheckToken: only a full-size token of a UUID's size, where the
// peer says, passes.
func TestCheckToken(t *testing.T) {
	c, s := newPair(t, MinSize)
	tok, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if tok.BitLen() < MinTokenBits {
		t.Fatalf("a new token of %d bits", tok.BitLen())
	}
	at := c.Size() - DefaultTokenBytes
	if err := c.WriteToken(tok, at, DefaultTokenBytes); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckToken(tok, at, DefaultTokenBytes); err != nil {
		t.Fatalf("the right token: %v", err)
	}
	small := big.NewInt(0x7f)
	if err := c.WriteToken(small, 4096, 1); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		tok          *big.Int
		index, count int
	}{
		"no token":        {nil, at, DefaultTokenBytes},
		"another token":   {new(big.Int).Add(tok, big.NewInt(1)), at, DefaultTokenBytes},
		"elsewhere":       {tok, at - 1, DefaultTokenBytes},
		"outside":         {tok, c.Size() - 1, DefaultTokenBytes},
		"negative index":  {tok, -1, DefaultTokenBytes},
		"one byte":        {small, 4096, 1},
		"short count":     {tok, at, DefaultTokenBytes - 1},
		"long count":      {tok, at - 1, DefaultTokenBytes + 1},
		"a small integer": {small, 4096, DefaultTokenBytes},
	} {
		if err := s.CheckToken(tc.tok, tc.index, tc.count); err == nil {
			t.Errorf("%s: passed", name)
		}
	}
}
