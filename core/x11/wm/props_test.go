package wm

import (
	"encoding/binary"
	"testing"
)

func iconBytes(entries ...[2]int) []byte {
	var b []byte
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint32(b, uint32(e[0]))
		b = binary.LittleEndian.AppendUint32(b, uint32(e[1]))
		for i := range e[0] * e[1] {
			b = binary.LittleEndian.AppendUint32(b, uint32(0xff000000|i))
		}
	}
	return b
}

func TestParseAndPickIcon(t *testing.T) {
	for _, tc := range []struct {
		entries [][2]int
		want    [2]int
	}{
		{[][2]int{{2, 2}, {8, 8}}, [2]int{8, 8}},
		{[][2]int{{16, 16}, {128, 128}, {64, 64}, {48, 48}}, [2]int{64, 64}},
		{[][2]int{{128, 128}, {96, 96}}, [2]int{96, 96}},
		{[][2]int{{32, 32}, {16, 16}}, [2]int{32, 32}},
	} {
		icons, err := ParseNetWMIcon(iconBytes(tc.entries...))
		if err != nil || len(icons) != len(tc.entries) {
			t.Fatalf("%v: %d icons, %v", tc.entries, len(icons), err)
		}
		p := PickIcon(icons)
		if p == nil || p.Width != tc.want[0] || p.Height != tc.want[1] {
			t.Errorf("%v: picked %+v, want %v", tc.entries, p, tc.want)
			continue
		}
		if p.BGRA[4] != 1 || p.BGRA[7] != 0xff {
			t.Errorf("%v: pixel 1 is % x", tc.entries, p.BGRA[4:8])
		}
	}
	// A truncated entry ends the list; nothing complete is an error.
	b := iconBytes([2]int{4, 4}, [2]int{8, 8})
	if icons, err := ParseNetWMIcon(b[:len(b)-4]); err != nil || len(icons) != 1 {
		t.Errorf("truncated: %d icons, %v", len(icons), err)
	}
	for _, bad := range [][]byte{nil, {1, 2, 3}, iconBytes([2]int{4, 4})[:20], binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 5000), 5000)} {
		if _, err := ParseNetWMIcon(bad); err == nil {
			t.Errorf("% x: no error", bad)
		}
	}
}

func FuzzParseNetWMIcon(f *testing.F) {
	f.Add(iconBytes([2]int{2, 2}, [2]int{8, 8}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		icons, err := ParseNetWMIcon(b)
		if err != nil {
			return
		}
		for _, ic := range icons {
			if len(ic.BGRA) != ic.Width*ic.Height*4 {
				t.Fatalf("%dx%d with %d bytes", ic.Width, ic.Height, len(ic.BGRA))
			}
		}
		if PickIcon(icons) == nil {
			t.Fatal("no icon picked")
		}
	})
}
