package client

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/xroam/xroam/core/mmap"
	"github.com/xroam/xroam/core/wire"
)

// TestClientMMap: the server's answer is checked against the area, and
// "mmap" draws are read from it and freed.
func TestClientMMap(t *testing.T) {
	area, err := mmap.Create(t.TempDir(), "", mmap.MinSize)
	if err != nil {
		t.Fatal(err)
	}
	m := &clientMMap{area: area}
	defer m.close()
	srv, err := mmap.Open(area.Path(), area.Size(), mmap.MinSize, mmap.AnyOwner)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tok, err := mmap.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.WriteToken(tok, area.Size()-128, 128); err != nil {
		t.Fatal(err)
	}
	// A draw before the server proved it mapped the area is refused.
	if _, _, err := m.pixels([]any{[]any{int64(8), int64(4)}}); err == nil {
		t.Error("mmap draw read before the server's token")
	}
	wrong := wire.Dict{"mmap_enabled": true, "mmap.token": big.NewInt(99), "mmap.token_index": int64(area.Size() - 128), "mmap.token_bytes": int64(128)}
	if err := m.accept(wrong); err == nil || m.on {
		t.Fatal("a wrong server token was accepted")
	}
	// The client's own token echoed back, a short token over a byte
	// the server knows: not a proof that it mapped the area.
	m.token = new(big.Int).Set(tok)
	echo := wire.Dict{"mmap_enabled": true, "mmap.token": tok, "mmap.token_index": int64(area.Size() - 128), "mmap.token_bytes": int64(128)}
	if err := m.accept(echo); err == nil || m.on {
		t.Fatal("the client's own token, sent back, was accepted")
	}
	m.token = nil
	if err := srv.WriteToken(big.NewInt(7), 4096, 1); err != nil {
		t.Fatal(err)
	}
	short := wire.Dict{"mmap_enabled": true, "mmap.token": big.NewInt(7), "mmap.token_index": int64(4096), "mmap.token_bytes": int64(1)}
	if err := m.accept(short); err == nil || m.on {
		t.Fatal("a one-byte server token was accepted")
	}
	if err := m.accept(wire.Dict{"mmap_enabled": false}); err != nil || m.on {
		t.Fatalf("a refusal: %v on=%v", err, m.on)
	}
	good := wire.Dict{"mmap_enabled": true, "mmap_token": tok, "mmap_token_index": int64(area.Size() - 128), "mmap_token_bytes": int64(128)}
	if err := m.accept(good); err != nil || !m.on {
		t.Fatalf("the server's token: %v", err)
	}
	chunks, _, err := srv.Write([]byte("pixels!!"))
	if err != nil {
		t.Fatal(err)
	}
	pix, release, err := m.pixels(mmap.WireChunks(chunks))
	if err != nil || !bytes.Equal(pix, []byte("pixels!!")) {
		t.Fatalf("%q %v", pix, err)
	}
	release()
	for _, bad := range []any{nil, "x", []any{[]any{int64(area.Size()), int64(8)}}} {
		if _, _, err := m.pixels(bad); err == nil {
			t.Errorf("draw data %v accepted", bad)
		}
	}
}
