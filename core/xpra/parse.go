package xpra

import (
	"fmt"
	"strconv"

	"github.com/xroam/xroam/core/wire"
)

// packetName names p's type for an error message.
func packetName(p wire.Packet) string {
	if t := p.Type(); t != "" {
		return strconv.Quote(t)
	}
	if n, ok := p.TypeAlias(); ok {
		return "alias " + strconv.FormatInt(n, 10)
	}
	return "untyped"
}

// expect checks p's type (one of types) and that it has at least minLen
// items, the type included.
func expect(p wire.Packet, minLen int, types ...string) error {
	t := p.Type()
	ok := false
	for _, want := range types {
		ok = ok || t == want
	}
	if !ok {
		return fmt.Errorf("xpra: expected %q packet, got %s", types[0], packetName(p))
	}
	if len(p) < minLen {
		return fmt.Errorf("xpra: %q packet has %d items, need at least %d", t, len(p), minLen)
	}
	return nil
}

// intField reads the integer at i, which must be there.
func intField(p wire.Packet, i int, what string) (int64, error) {
	n, ok := p.Int(i)
	if !ok {
		return 0, fmt.Errorf("xpra: %s %s is not an integer", p.Type(), what)
	}
	return n, nil
}

// intOr reads the integer at i, 0 when it is absent or no integer.
func intOr(p wire.Packet, i int) int64 {
	n, _ := p.Int(i)
	return n
}

// item is the value at i, nil when absent.
func item(p wire.Packet, i int) any {
	if i >= 0 && i < len(p) {
		return p[i]
	}
	return nil
}

// strings keeps the strings of a list, in order, skipping what is no
// string (modifier lists of odd peers).
func stringsOf(l []any) []string {
	out := make([]string, 0, len(l))
	for _, v := range l {
		if s, ok := wire.AsString(v); ok {
			out = append(out, s)
		}
	}
	return out
}

// intsOf keeps the integers of a list, in order, skipping the rest.
func intsOf(l []any) []int64 {
	out := make([]int64, 0, len(l))
	for _, v := range l {
		if n, ok := wire.AsInt(v); ok {
			out = append(out, n)
		}
	}
	return out
}

// anyStrings is ss as the []any list xroam has always sent.
func anyStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// anyInts is ns as a []any list of int64.
func anyInts(ns []int64) []any {
	out := make([]any, len(ns))
	for i, n := range ns {
		out[i] = n
	}
	return out
}

// dictOr is d, or an empty dict for nil: xroam always sends the dict.
func dictOr(d wire.Dict) wire.Dict {
	if d == nil {
		return wire.Dict{}
	}
	return d
}
