package clipsync

import (
	"reflect"
	"testing"

	"github.com/xroam/xroam/core/wire"
)

// FuzzParsePackets feeds rencoded packets from the peer to the clipboard
// parsers: no panic, and whatever parses encodes back to the same value.
func FuzzParsePackets(f *testing.F) {
	for _, p := range []wire.Packet{
		{TypeToken, "CLIPBOARD"},
		{TypeToken, "CLIPBOARD", []any{"UTF8_STRING"}, "UTF8_STRING", "UTF8_STRING", int64(8), "bytes", []byte("x"), true, false},
		// Found by CI: a token that gives up its claim without inline data.
		{TypeToken, "CLIPBOARD", []any{"UTF8_STRING"}, "", "", int64(0), "", "", false, false},
		{TypeToken, "CLIPBOARD", nil, "", "", int64(0), "", "", false, false},
		{TypeRequest, int64(1), "PRIMARY", "TARGETS"},
		{TypeContents, int64(1), "CLIPBOARD", "ATOM", int64(32), "atoms", []any{"TARGETS"}, int64(0)},
		{TypeContents, int64(2), "CLIPBOARD", "INTEGER", int64(16), "integers", []any{int64(1), int64(65535)}},
		{TypeContentsNone, int64(3), "CLIPBOARD"},
		{TypeEnableSelections, []any{"CLIPBOARD", "PRIMARY"}},
	} {
		b, err := wire.EncodeRencode([]any(p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := wire.DecodeRencode(b)
		if err != nil {
			return
		}
		l, ok := wire.AsList(v)
		if !ok {
			return
		}
		p := wire.Packet(l)
		const limit = 1 << 16
		if tok, err := ParseToken(p, limit); err == nil {
			if back, err := ParseToken(tok.Packet(), limit); err != nil || !reflect.DeepEqual(back, tok) {
				t.Fatalf("token %+v (%+v) re-parsed as %+v (%+v), %v", tok, tok.Data, back, back.Data, err)
			}
		}
		if req, err := ParseRequest(p); err == nil {
			if back, err := ParseRequest(req.Packet()); err != nil || *back != *req {
				t.Fatalf("request %+v re-parsed as %+v, %v", req, back, err)
			}
		}
		if c, err := ParseContents(p, limit); err == nil {
			if c.Data != nil && c.Data.Size() > limit {
				t.Fatalf("contents of %d bytes passed a limit of %d", c.Data.Size(), limit)
			}
		}
		_, _ = ParseSelections(p)
	})
}
