package xpra

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"github.com/xroam/xroam/core/wire"
)

// FuzzParse feeds packets decoded by core/wire from arbitrary bytes to
// every Parse function, under every packet type: no panic, and what
// parses encodes, parses again and encodes to the same bytes.
func FuzzParse(f *testing.F) {
	for _, s := range samples {
		b, err := wire.EncodeRencode([]any(s.Packet()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, g := range garbage()[:40] {
		if b, err := wire.EncodeRencode([]any(append(wire.Packet{"x"}, g...))); err == nil {
			f.Add(b)
		}
	}
	types := make([]string, 0, len(parsers))
	for t := range parsers {
		types = append(types, t)
	}
	slices.Sort(types)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := wire.DecodeRencode(b)
		if err != nil {
			return
		}
		l, ok := wire.AsList(v)
		if !ok {
			return
		}
		for _, typ := range types {
			p := append(wire.Packet{typ}, l[min(len(l), 1):]...)
			for _, parse := range parsers[typ] {
				got, err := parse(p)
				if err != nil {
					continue
				}
				first, err := wire.EncodeRencode([]any(got.Packet()))
				if err != nil {
					t.Fatalf("%s: %+v does not encode: %v", typ, got, err)
				}
				again, err := parse(got.Packet())
				if err != nil {
					t.Fatalf("%s: %+v does not parse back: %v", typ, got, err)
				}
				if second, _ := wire.EncodeRencode([]any(again.Packet())); !bytes.Equal(first, second) {
					t.Fatalf("%s: %+v parsed back as %+v", typ, got, again)
				}
			}
		}
	})
}

// FuzzParseClipboard feeds rencoded packets from the peer to the
// clipboard parsers: no panic, whatever parses encodes back to the same
// value, and no contents pass the size limit.
func FuzzParseClipboard(f *testing.F) {
	for _, p := range []wire.Packet{
		{TypeClipboardToken, "CLIPBOARD"},
		{TypeClipboardToken, "CLIPBOARD", []any{"UTF8_STRING"}, "UTF8_STRING", "UTF8_STRING", int64(8), "bytes", []byte("x"), true, false},
		// Found by CI: a token that gives up its claim without inline data.
		{TypeClipboardToken, "CLIPBOARD", []any{"UTF8_STRING"}, "", "", int64(0), "", "", false, false},
		{TypeClipboardToken, "CLIPBOARD", nil, "", "", int64(0), "", "", false, false},
		{TypeClipboardRequest, int64(1), "PRIMARY", "TARGETS"},
		{TypeClipboardContents, int64(1), "CLIPBOARD", "ATOM", int64(32), "atoms", []any{"TARGETS"}, int64(0)},
		{TypeClipboardContents, int64(2), "CLIPBOARD", "INTEGER", int64(16), "integers", []any{int64(1), int64(65535)}},
		{TypeClipboardContentsNone, int64(3), "CLIPBOARD"},
		{TypeClipboardEnableSelections, []any{"CLIPBOARD", "PRIMARY"}},
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
		if tok, err := ParseClipboardToken(p, clipLimit); err == nil {
			if back, err := ParseClipboardToken(tok.Packet(), clipLimit); err != nil || !reflect.DeepEqual(back, tok) {
				t.Fatalf("token %+v (%+v) re-parsed as %+v (%+v), %v", tok, tok.Data, back, back.Data, err)
			}
		}
		if req, err := ParseClipboardRequest(p); err == nil {
			if back, err := ParseClipboardRequest(req.Packet()); err != nil || back != req {
				t.Fatalf("request %+v re-parsed as %+v, %v", req, back, err)
			}
		}
		if c, err := ParseClipboardContents(p, clipLimit); err == nil {
			if c.Data != nil && c.Data.Size() > clipLimit {
				t.Fatalf("contents of %d bytes passed a limit of %d", c.Data.Size(), clipLimit)
			}
		}
		_, _ = ParseClipboardEnableSelections(p)
	})
}
