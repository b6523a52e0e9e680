package config

import (
	"errors"
	"fmt"
	"strings"
)

// errUnterminated is wrapped by SplitCommand's errors for input that ends
// inside a quote or after a lone backslash.
var errUnterminated = errors.New("unterminated")

// SplitCommand splits a command line into words the way a POSIX shell would
// for a simple command, without any expansion: words are separated by
// unquoted blanks (space, tab, newline); single quotes keep everything up to
// the next single quote literally; inside double quotes a backslash escapes
// only \ " $ ` and newline; outside quotes a backslash escapes the next
// character and a backslash-newline is removed. A pair of empty quotes
// gives an empty word. Options spell command lines as one string (xpra's
// "xvfb" and "ssh"), so this is how they become an argv.
func SplitCommand(s string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool // a word has started (possibly empty, from quotes)
	)
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\n':
			flush()
		case r == '\\':
			if i+1 >= len(rs) {
				return nil, fmt.Errorf("split command %q: %w backslash at end", s, errUnterminated)
			}
			i++
			if rs[i] != '\n' {
				cur.WriteRune(rs[i])
				inWord = true
			}
		case r == '\'':
			inWord = true
			end := -1
			for j := i + 1; j < len(rs); j++ {
				if rs[j] == '\'' {
					end = j
					break
				}
			}
			if end < 0 {
				return nil, fmt.Errorf("split command %q: %w single quote", s, errUnterminated)
			}
			cur.WriteString(string(rs[i+1 : end]))
			i = end
		case r == '"':
			inWord = true
			closed := false
			for i++; i < len(rs); i++ {
				c := rs[i]
				if c == '"' {
					closed = true
					break
				}
				if c == '\\' && i+1 < len(rs) {
					switch n := rs[i+1]; n {
					case '\\', '"', '$', '`':
						cur.WriteRune(n)
						i++
						continue
					case '\n':
						i++
						continue
					}
				}
				cur.WriteRune(c)
			}
			if !closed {
				return nil, fmt.Errorf("split command %q: %w double quote", s, errUnterminated)
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	flush()
	return words, nil
}
