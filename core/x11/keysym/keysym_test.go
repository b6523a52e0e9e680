package keysym

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestFromName(t *testing.T) {
	for name, want := range map[string]uint32{
		"a": 'a', "A": 'A', "space": 0x20, " ": 0x20, "é": 0xe9, "€": 0x10020ac, "U20AC": 0x10020ac,
		"Return": 0xff0d, "BackSpace": 0xff08, "Shift_L": 0xffe1, "F1": 0xffbe, "F12": 0xffc9, "0xff0d": 0xff0d,
		"minus": 0x2d, "greater": 0x3e, "eacute": 0xe9, "ydiaeresis": 0xff,
	} {
		got, ok := FromName(name)
		if !ok || got != want {
			t.Errorf("FromName(%q) = 0x%x, %v; want 0x%x", name, got, ok, want)
		}
	}
	for _, name := range []string{"", "NoSuchKey", "F0", "F99"} {
		if ks, ok := FromName(name); ok {
			t.Errorf("FromName(%q) = 0x%x, want none", name, ks)
		}
	}
}

// TestTableKeepsThePreviousEntries compares the generated table with the
// hand-made one it replaced (testdata/table-c9dbb9b.txt): the same value
// gets the same name, and no other value has one.
func TestTableKeepsThePreviousEntries(t *testing.T) {
	b, err := os.ReadFile("testdata/table-c9dbb9b.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v, name, ok := strings.Cut(line, " ")
		n, err := strconv.ParseUint(v, 0, 32)
		if !ok || err != nil {
			t.Fatalf("bad line %q", line)
		}
		want[uint32(n)] = name
	}
	if len(want) != 489 {
		t.Fatalf("%d entries in the old table, want 489", len(want))
	}
	for ks := uint32(0); ks <= 0x1ffff; ks++ {
		if got := tableName(ks); got != want[ks] {
			t.Errorf("tableName(0x%04x) = %q, the old table said %q", ks, got, want[ks])
		}
	}
}

// keysymdef is where Debian's x11proto-dev installs the header.
const keysymdef = "/usr/include/X11/keysymdef.h"

// headerNames reads every name keysymdef.h defines, aliases included.
func headerNames(t *testing.T) map[string]uint32 {
	t.Helper()
	b, err := os.ReadFile(keysymdef)
	if err != nil {
		t.Skipf("no %s (apt-get install x11proto-dev): %v", keysymdef, err)
	}
	re := regexp.MustCompile(`(?m)^#define XK_([A-Za-z0-9_]+)\s+0x([0-9a-fA-F]+)\b`)
	out := map[string]uint32{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		v, err := strconv.ParseUint(m[2], 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		out[m[1]] = uint32(v)
	}
	return out
}

// TestTableIsFresh checks table.go against the installed header: every
// name it returns is the header's name for that value, so a stale or
// hand-edited table fails (rerun go generate).
func TestTableIsFresh(t *testing.T) {
	names := headerNames(t)
	n := 0
	for ks := uint32(0); ks <= 0xffff; ks++ {
		name := tableName(ks)
		if name == "" {
			continue
		}
		n++
		if v, ok := names[name]; !ok || v != ks {
			t.Errorf("tableName(0x%04x) = %q, which keysymdef.h gives 0x%04x (%v)", ks, name, v, ok)
		}
	}
	if n == 0 {
		t.Fatal("empty table")
	}
}

// TestFromNameAgreesWithTheHeader checks the names FromName knows by
// heart (namedKeysym, which also takes aliases such as Page_Up) against
// keysymdef.h.
func TestFromNameAgreesWithTheHeader(t *testing.T) {
	names := headerNames(t)
	checked := 0
	for name, v := range names {
		got, ok := namedKeysym(name)
		if !ok {
			continue
		}
		checked++
		if got != v {
			t.Errorf("namedKeysym(%q) = 0x%x, keysymdef.h says 0x%x", name, got, v)
		}
	}
	if checked < 30 {
		t.Errorf("only %d of namedKeysym's names are in keysymdef.h", checked)
	}
}

func TestNameAndText(t *testing.T) {
	for _, tt := range []struct {
		ks         uint32
		name, text string
	}{
		{0x61, "a", "a"}, {0xe9, "eacute", "é"}, {0xff0d, "Return", "\r"}, {0xff55, "Prior", ""},
		{0x10020ac, "U20AC", "€"}, {0, "", ""}, {0x12345678, "", ""},
	} {
		if got := Name(tt.ks); got != tt.name {
			t.Errorf("Name(0x%x) = %q, want %q", tt.ks, got, tt.name)
		}
		if got := Text(tt.ks); got != tt.text {
			t.Errorf("Text(0x%x) = %q, want %q", tt.ks, got, tt.text)
		}
	}
}
