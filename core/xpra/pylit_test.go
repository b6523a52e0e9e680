package xpra

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xroam/xroam/core/wire"
)

// pyValue parses the Python literals of the 3.1.3 trace dumps into the
// values core/wire decodes from a rencode peer: b'...' as []byte, ints as
// int64, dicts as wire.Dict with string keys, and the dumps'
// "<N bytes hex..>" placeholders as N zero bytes.
func pyValue(s string) (any, error) {
	p := &pyParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.skip(); p.i != len(p.s) {
		return nil, fmt.Errorf("trailing %q", p.s[p.i:])
	}
	return v, nil
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == ',') {
		p.i++
	}
}

func (p *pyParser) value() (any, error) {
	p.skip()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("unexpected end")
	}
	rest := p.s[p.i:]
	switch {
	case rest[0] == '[':
		p.i++
		l := []any{}
		for {
			if p.skip(); p.i < len(p.s) && p.s[p.i] == ']' {
				p.i++
				return l, nil
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
	case rest[0] == '{':
		p.i++
		d := wire.Dict{}
		for {
			if p.skip(); p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return d, nil
			}
			k, err := p.value()
			if err != nil {
				return nil, err
			}
			if p.skip(); p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, fmt.Errorf("no colon at %d", p.i)
			}
			p.i++
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			if b, ok := k.([]byte); ok {
				k = string(b)
			}
			d[k] = v
		}
	case strings.HasPrefix(rest, "b'"):
		p.i++
		s, err := p.quoted()
		return []byte(s), err
	case rest[0] == '\'':
		return p.quoted()
	case rest[0] == '<':
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return nil, fmt.Errorf("unclosed placeholder")
		}
		p.i += end + 1
		var n int
		if _, err := fmt.Sscanf(rest[1:end], "%d bytes", &n); err != nil {
			return nil, err
		}
		return make([]byte, n), nil
	case strings.HasPrefix(rest, "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(rest, "False"):
		p.i += 5
		return false, nil
	case strings.HasPrefix(rest, "None"):
		p.i += 4
		return nil, nil
	}
	end := strings.IndexAny(rest, ",]}: ")
	if end < 0 {
		end = len(rest)
	}
	p.i += end
	if n, err := strconv.ParseInt(rest[:end], 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(rest[:end], 64)
	if err != nil {
		return nil, fmt.Errorf("not a literal: %q", rest[:end])
	}
	return f, nil
}

// quoted reads a '...' string with Python's escapes.
func (p *pyParser) quoted() (string, error) {
	p.i++ // the quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\'':
			p.i++
			return b.String(), nil
		case c == '\\' && p.i+1 < len(p.s):
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'x':
				if p.i+2 > len(p.s) {
					return "", fmt.Errorf("short \\x")
				}
				n, err := strconv.ParseUint(p.s[p.i:p.i+2], 16, 8)
				if err != nil {
					return "", err
				}
				b.WriteByte(byte(n))
				p.i += 2
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", fmt.Errorf("unclosed string")
}
