package x11

import "testing"

func FuzzParseXkbEvent(f *testing.F) {
	bell := make([]byte, 32)
	bell[1], bell[11] = xkbBellNotify, 50
	f.Add(bell)
	f.Add([]byte{85})
	f.Fuzz(func(t *testing.T, b []byte) {
		ev := parseXkbEvent(b).(BellEvent)
		if len(ev.Bytes()) != len(b) || ev.String() == "" {
			t.Fatal("event lost its bytes")
		}
		if len(b) >= 32 && b[1] == xkbBellNotify && ev.bell.Percent != int(int8(b[11])) {
			t.Fatalf("percent %d from % x", ev.bell.Percent, b)
		}
	})
}
