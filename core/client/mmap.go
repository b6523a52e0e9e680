package client

import (
	"fmt"
	"math/big"
	"os"

	"github.com/xroam/xroam/core/mmap"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
)

// mmapCoding is the coding of draws whose pixels lie in the mmap area,
// uncompressed, with the rowstride and rgb_format of rgb32 draws.
const mmapCoding = xpra.CodingMMap

// clientMMap is the client's side of xpra's mmap transfer: the area it
// offers in its hello and, once the server has proved it mapped it too,
// the draws it reads from there.
type clientMMap struct {
	area  *mmap.Area
	token *big.Int
	index int
	on    bool // the server's token was found: "mmap" draws are expected
}

// setupMMap creates the area --mmap asks for (nil when off or when it
// cannot be made: the session then goes without).
func (c *client) setupMMap() {
	on, path, err := mmap.ParseOption(c.cfg.MMap)
	if err != nil || !on {
		return
	}
	scr := c.disp.Screen()
	dir := c.cfg.MMapDir
	if st, err := os.Stat(dir); dir == "" || err != nil || !st.IsDir() {
		dir = "/dev/shm"
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			dir = os.TempDir()
		}
	}
	area, err := mmap.Create(dir, path, mmap.SizeFor(scr.Width, scr.Height))
	if err != nil {
		c.log.Warn("attach: no mmap area", "err", err)
		return
	}
	tok, err := mmap.NewToken()
	m := &clientMMap{area: area, token: tok, index: area.Size() - mmap.DefaultTokenBytes}
	// As xpra: the token at the old fixed place for older servers and at
	// the one the hello names.
	for _, at := range []int{mmap.DefaultTokenIndex, m.index} {
		if err == nil {
			err = area.WriteToken(tok, at, mmap.DefaultTokenBytes)
		}
	}
	if err != nil {
		c.log.Warn("attach: no mmap area", "err", err)
		_ = area.Close()
		return
	}
	c.mmap = m
}

// mmapCaps are the hello keys that offer the area, in both the
// namespaced form and the older flat one.
func (m *clientMMap) caps(h wire.Dict) {
	keys := map[string]any{
		"file":        m.area.Path(),
		"size":        int64(m.area.Size()),
		"token":       m.token,
		"token_index": int64(m.index),
		"token_bytes": int64(mmap.DefaultTokenBytes),
		"namespace":   true,
	}
	ns := wire.Dict{}
	for k, v := range keys {
		ns[k] = v
		h["mmap_"+k] = v
	}
	h["mmap"] = ns
}

// accept reads the server's answer: when it says it uses the area, its
// token must be where it says, or the area is not the one it mapped.
// The file is removed either way: the server holds its own mapping.
func (m *clientMMap) accept(caps wire.Dict) error {
	defer m.area.Unlink()
	if !caps.Bool("mmap_enabled", false) {
		return nil
	}
	get := func(k string, def int64) int64 {
		for _, key := range []string{"mmap_" + k, "mmap." + k} {
			if v := caps.Int(key, 0); v != 0 {
				return v
			}
		}
		return def
	}
	var want *big.Int
	for _, key := range []string{"mmap_token", "mmap.token"} {
		if want = mmap.Token(caps, key); want != nil {
			break
		}
	}
	// A server that did not map the area could only echo the client's
	// own token, which the hello told it.
	if want != nil && m.token != nil && want.Cmp(m.token) == 0 {
		return fmt.Errorf("mmap: the server sent the client's own token back: it did not write one")
	}
	if err := m.area.CheckToken(want, int(get("token_index", mmap.DefaultTokenIndex)), int(get("token_bytes", mmap.DefaultTokenBytes))); err != nil {
		return fmt.Errorf("mmap: the server's token is not in the area, it mapped another file: %w", err)
	}
	m.on = true
	return nil
}

// pixels reads a "mmap" draw's pixels; release frees their space for
// the server, once they are used (or the draw is dropped).
func (m *clientMMap) pixels(data any) (pix []byte, release func(), err error) {
	if m == nil || !m.on {
		return nil, func() {}, fmt.Errorf("mmap draw without an mmap area")
	}
	chunks, err := mmap.ParseChunks(data)
	if err != nil {
		return nil, func() {}, err
	}
	pix, err = m.area.Read(chunks)
	if err != nil {
		return nil, func() {}, err
	}
	return pix, func() { m.area.Release(chunks) }, nil
}

func (m *clientMMap) close() {
	if m != nil {
		_ = m.area.Close()
	}
}
