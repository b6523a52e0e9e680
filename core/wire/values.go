package wire

import (
	"bytes"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// Dict is a capability or option dictionary as carried inside packets.
//
// Decoders produce map[any]any values; Dict has the same underlying type so
// a decoded map converts for free (Dict(m)), and AsDict performs the
// conversion for any map shape. Keys of decoded dicts are Go strings for
// every string-like key (rencode and bencode byte strings included), int64
// for integer keys, and bool/float64/nil for the rare other scalar keys.
//
// All getters take a string key. A key is first looked up as-is (xpra 3.x
// uses flat dotted keys such as "encoding.rgb_formats"); if absent and the
// key contains dots, the dotted path is walked through nested dicts (the
// layout used by newer xpra versions).
type Dict map[any]any

// AsDict converts v to a Dict when v is a Dict, map[any]any,
// map[string]any or map[string]string. The second result is false
// otherwise.
func AsDict(v any) (Dict, bool) {
	switch m := v.(type) {
	case Dict:
		return m, true
	case map[any]any:
		return Dict(m), true
	case map[string]any:
		d := make(Dict, len(m))
		for k, x := range m {
			d[k] = x
		}
		return d, true
	case map[string]string:
		d := make(Dict, len(m))
		for k, x := range m {
			d[k] = x
		}
		return d, true
	}
	return nil, false
}

// Get returns the raw value for key: the flat key first, then the dotted
// path through nested dicts.
func (d Dict) Get(key string) (any, bool) {
	if d == nil {
		return nil, false
	}
	if v, ok := d[key]; ok {
		return v, true
	}
	if !strings.Contains(key, ".") {
		return nil, false
	}
	cur := d
	parts := strings.Split(key, ".")
	for i, p := range parts {
		v, ok := cur[p]
		if !ok {
			return nil, false
		}
		if i == len(parts)-1 {
			return v, true
		}
		// Allow a flat remainder inside a nested dict ("a" -> {"b.c": x}).
		if sub, ok := AsDict(v); ok {
			if rest, ok := sub[strings.Join(parts[i+1:], ".")]; ok {
				return rest, true
			}
			cur = sub
			continue
		}
		return nil, false
	}
	return nil, false
}

// Has reports whether key is present (flat or nested).
func (d Dict) Has(key string) bool {
	_, ok := d.Get(key)
	return ok
}

// Str returns the value of key as a string (string or []byte values), or
// def when absent or of another type.
func (d Dict) Str(key, def string) string {
	v, ok := d.Get(key)
	if !ok {
		return def
	}
	if s, ok := AsString(v); ok {
		return s
	}
	return def
}

// Bytes returns the value of key as bytes ([]byte or string values), or nil.
func (d Dict) Bytes(key string) []byte {
	v, ok := d.Get(key)
	if !ok {
		return nil
	}
	b, _ := AsBytes(v)
	return b
}

// Int returns the value of key as an int64 (any integer kind, bool, a
// float, or a decimal string), or def when absent or not convertible.
func (d Dict) Int(key string, def int64) int64 {
	v, ok := d.Get(key)
	if !ok {
		return def
	}
	if n, ok := AsInt(v); ok {
		return n
	}
	return def
}

// Bool returns the truthiness of key (Python rules: non-zero numbers and
// non-empty strings/lists/dicts are true), or def when absent or nil.
func (d Dict) Bool(key string, def bool) bool {
	v, ok := d.Get(key)
	if !ok || v == nil {
		return def
	}
	return Truthy(v)
}

// Strings returns the value of key as a list of strings (items may be
// string or []byte). It returns nil when absent, not a list, or when an
// item is not string-like.
func (d Dict) Strings(key string) []string {
	v, ok := d.Get(key)
	if !ok {
		return nil
	}
	l, ok := AsList(v)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, ok := AsString(x)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	return out
}

// Ints returns the value of key as a list of int64, or nil when absent or
// when an item is not an integer.
func (d Dict) Ints(key string) []int64 {
	v, ok := d.Get(key)
	if !ok {
		return nil
	}
	l, ok := AsList(v)
	if !ok {
		return nil
	}
	out := make([]int64, 0, len(l))
	for _, x := range l {
		n, ok := AsInt(x)
		if !ok {
			return nil
		}
		out = append(out, n)
	}
	return out
}

// IntPair returns a two-integer list value such as desktop_size.
func (d Dict) IntPair(key string) (a, b int64, ok bool) {
	l := d.Ints(key)
	if len(l) != 2 {
		return 0, 0, false
	}
	return l[0], l[1], true
}

// List returns the value of key as a list, or nil.
func (d Dict) List(key string) []any {
	v, ok := d.Get(key)
	if !ok {
		return nil
	}
	l, _ := AsList(v)
	return l
}

// Dict returns the value of key as a Dict, or nil.
func (d Dict) Dict(key string) Dict {
	v, ok := d.Get(key)
	if !ok {
		return nil
	}
	s, _ := AsDict(v)
	return s
}

// AsString converts string and []byte values to a string.
func AsString(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case []byte:
		return string(s), true
	case RawChunk:
		return string(s.Data), true
	}
	return "", false
}

// AsBytes converts []byte and string values to bytes. A []byte is returned
// as is (no copy).
func AsBytes(v any) ([]byte, bool) {
	switch s := v.(type) {
	case []byte:
		return s, true
	case string:
		return []byte(s), true
	case RawChunk:
		return s.Data, true
	}
	return nil, false
}

// AsList returns v as a []any when it is a list ([]any, Packet, []string,
// []int64 or []int).
func AsList(v any) ([]any, bool) {
	switch l := v.(type) {
	case []any:
		return l, true
	case Packet:
		return []any(l), true
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, true
	case []int64:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, true
	case []int:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = int64(s)
		}
		return out, true
	}
	return nil, false
}

// AsInt converts integer-like values (all Go integer kinds, *big.Int that
// fits, bool, integral floats and decimal strings/bytes) to int64.
func AsInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int16:
		return int64(n), true
	case int8:
		return int64(n), true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint:
		if uint64(n) > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case uint64:
		if n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case *big.Int:
		if n != nil && n.IsInt64() {
			return n.Int64(), true
		}
		return 0, false
	case bool:
		if n {
			return 1, true
		}
		return 0, true
	case float64:
		if n >= -(1<<63) && n < 1<<63 && !math.IsNaN(n) {
			return int64(n), true
		}
		return 0, false
	case float32:
		return AsInt(float64(n))
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
		return i, err == nil
	case []byte:
		return AsInt(string(n))
	}
	return 0, false
}

// Truthy applies Python's truth rules to a decoded value.
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case []byte:
		return len(x) > 0
	case float64:
		return x != 0
	case float32:
		return x != 0
	case *big.Int:
		return x != nil && x.Sign() != 0
	case []any:
		return len(x) > 0
	case map[any]any:
		return len(x) > 0
	case Dict:
		return len(x) > 0
	}
	if n, ok := AsInt(v); ok {
		return n != 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Array, reflect.String:
		return rv.Len() > 0
	}
	return true
}

// Equal reports whether two decoded values are identical: same Go types
// (after treating Dict as map[any]any and Packet as []any), same contents.
// NaN floats compare equal to NaN.
func Equal(a, b any) bool { return valueEqual(a, b, false) }

// EqualLoose is Equal except that string and []byte with the same bytes
// compare equal (useful across encoders without a text/binary distinction).
func EqualLoose(a, b any) bool { return valueEqual(a, b, true) }

func normalizeContainer(v any) any {
	switch x := v.(type) {
	case Dict:
		return map[any]any(x)
	case Packet:
		return []any(x)
	case RawChunk:
		return x.Data
	}
	return v
}

func valueEqual(a, b any, loose bool) bool {
	a, b = normalizeContainer(a), normalizeContainer(b)
	if loose {
		if as, ok := AsString(a); ok {
			if bs, ok := AsString(b); ok {
				return as == bs
			}
			return false
		}
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || (math.IsNaN(x) && math.IsNaN(y)))
	case *big.Int:
		y, ok := b.(*big.Int)
		return ok && x.Cmp(y) == 0
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !valueEqual(x[i], y[i], loose) {
				return false
			}
		}
		return true
	case map[any]any:
		y, ok := b.(map[any]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !valueEqual(xv, yv, loose) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
