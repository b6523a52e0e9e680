package config

import (
	"errors"
	"slices"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   \t\n ", nil},
		{"Xvfb", []string{"Xvfb"}},
		{"Xvfb +extension Composite -screen 0 1920x1080x24+32 -nolisten tcp -noreset",
			[]string{"Xvfb", "+extension", "Composite", "-screen", "0", "1920x1080x24+32", "-nolisten", "tcp", "-noreset"}},
		{"  a   b\tc\nd  ", []string{"a", "b", "c", "d"}},
		{`a "b c" d`, []string{"a", "b c", "d"}},
		{`a 'b c' d`, []string{"a", "b c", "d"}},
		{`'it''s'`, []string{"its"}},
		{`"it's"`, []string{"it's"}},
		{`'say "hi"'`, []string{`say "hi"`}},
		{`x"y z"w`, []string{"xy zw"}},
		{`a "" b ''`, []string{"a", "", "b", ""}},
		{`a\ b`, []string{"a b"}},
		{`\"q\"`, []string{`"q"`}},
		{`"a\"b"`, []string{`a"b`}},
		{`"a\\b"`, []string{`a\b`}},
		{`"a\nb"`, []string{`a\nb`}},
		{`'a\b'`, []string{`a\b`}},
		{`"$HOME"`, []string{"$HOME"}},
		{"a\\\nb", []string{"ab"}},
		{`/usr/bin/Xvfb -fp "/usr/share/fonts/X11/misc,built-ins"`, []string{"/usr/bin/Xvfb", "-fp", "/usr/share/fonts/X11/misc,built-ins"}},
		{"é ü", []string{"é", "ü"}},
	}
	for _, tt := range tests {
		got, err := SplitCommand(tt.in)
		if err != nil {
			t.Errorf("SplitCommand(%q): %v", tt.in, err)
			continue
		}
		if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("SplitCommand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitCommandErrors(t *testing.T) {
	for _, in := range []string{`a "b`, `a 'b`, `a\`, `"a\"`, `'`} {
		got, err := SplitCommand(in)
		if err == nil {
			t.Errorf("SplitCommand(%q) = %q, want an error", in, got)
			continue
		}
		if !errors.Is(err, errUnterminated) {
			t.Errorf("SplitCommand(%q) error %v does not wrap errUnterminated", in, err)
		}
	}
}
