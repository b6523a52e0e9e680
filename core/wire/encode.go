package wire

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Encoding identifies a packet encoder (the serialisation of the packet
// list), as signalled by the protocol flags byte of the chunk header.
type Encoding uint8

const (
	// Bencode is xpra's bencode flavour (header flags 0x00).
	Bencode Encoding = iota
	// Rencode is python-rencode 1.0.6 as used by xpra 3.1.3 (flag 0x01).
	Rencode
	// RencodePlus is xpra's rencodeplus (xpra >= 4.3, flag 0x10).
	RencodePlus
)

// String returns the xpra name of the encoding.
func (e Encoding) String() string {
	switch e {
	case Bencode:
		return "bencode"
	case Rencode:
		return "rencode"
	case RencodePlus:
		return "rencodeplus"
	}
	return "encoding(" + strconv.Itoa(int(e)) + ")"
}

// Flag returns the header protocol-flags bit for the encoding.
func (e Encoding) Flag() byte {
	switch e {
	case Rencode:
		return FlagRencode
	case RencodePlus:
		return FlagRencodePlus
	}
	return 0
}

// MaxEncodeDepth bounds the nesting of values given to the encoders (it
// also catches self-referencing containers).
const MaxEncodeDepth = 128

// ErrUnencodable is returned (wrapped) when a Go value cannot be
// represented by the selected encoder.
var ErrUnencodable = errors.New("wire: value cannot be encoded")

// Encode serialises v with the given encoder.
func Encode(enc Encoding, v any) ([]byte, error) {
	return AppendEncode(enc, nil, v)
}

// AppendEncode appends the serialisation of v to dst.
//
// Accepted Go values: nil, bool, all integer kinds, *big.Int, float32,
// float64, string (text), []byte and RawChunk (binary), slices and arrays
// (lists; []byte excepted), maps with scalar keys (dicts, written with keys
// in a deterministic sorted order), Dict, Packet and any nesting thereof.
// Bencode cannot carry nil or floats.
func AppendEncode(enc Encoding, dst []byte, v any) ([]byte, error) {
	if enc > RencodePlus {
		return dst, fmt.Errorf("wire: unknown encoding %d", enc)
	}
	e := encoder{buf: dst, enc: enc}
	if err := e.value(v, 0); err != nil {
		return dst, err
	}
	return e.buf, nil
}

// EncodeRencode is Encode(Rencode, v).
func EncodeRencode(v any) ([]byte, error) { return Encode(Rencode, v) }

// EncodeRencodePlus is Encode(RencodePlus, v).
func EncodeRencodePlus(v any) ([]byte, error) { return Encode(RencodePlus, v) }

// EncodeBencode is Encode(Bencode, v).
func EncodeBencode(v any) ([]byte, error) { return Encode(Bencode, v) }

// rencode type codes (python-rencode 1.0.6 / rencodeplus).
const (
	rcList       = 59
	rcDict       = 60
	rcInt        = 61
	rcInt1       = 62
	rcInt2       = 63
	rcInt4       = 64
	rcInt8       = 65
	rcFloat32    = 66
	rcFloat64    = 44
	rcTrue       = 67
	rcFalse      = 68
	rcNone       = 69
	rcTerm       = 127
	rcIntPosMax  = 44 // fixed positive ints: 0..43
	rcIntNegBase = 70 // fixed negative ints: 70 -> -1 .. 101 -> -32
	rcIntNegCnt  = 32
	rcDictFixed  = 102
	rcDictCnt    = 25
	rcStrFixed   = 128
	rcStrCnt     = 64
	rcListFixed  = 192
	rcListCnt    = 64
	rcMaxIntLen  = 64 // decimal big ints must be shorter than this
)

type encoder struct {
	buf []byte
	enc Encoding
}

func (e *encoder) errf(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrUnencodable, e.enc, fmt.Sprintf(format, args...))
}

func (e *encoder) writeNil() error {
	if e.enc == Bencode {
		return e.errf("None cannot be encoded")
	}
	e.buf = append(e.buf, rcNone)
	return nil
}

func (e *encoder) writeBool(b bool) {
	switch {
	case e.enc == Bencode && b:
		e.buf = append(e.buf, "i1e"...)
	case e.enc == Bencode:
		e.buf = append(e.buf, "i0e"...)
	case b:
		e.buf = append(e.buf, rcTrue)
	default:
		e.buf = append(e.buf, rcFalse)
	}
}

func (e *encoder) writeInt(n int64) {
	if e.enc == Bencode {
		e.buf = append(e.buf, 'i')
		e.buf = strconv.AppendInt(e.buf, n, 10)
		e.buf = append(e.buf, 'e')
		return
	}
	switch {
	case n >= 0 && n < rcIntPosMax:
		e.buf = append(e.buf, byte(n))
	case n < 0 && n >= -rcIntNegCnt:
		e.buf = append(e.buf, byte(rcIntNegBase-1-n))
	case n >= math.MinInt8 && n <= math.MaxInt8:
		e.buf = append(e.buf, rcInt1, byte(n))
	case n >= math.MinInt16 && n <= math.MaxInt16:
		e.buf = append(e.buf, rcInt2, byte(n>>8), byte(n))
	case n >= math.MinInt32 && n <= math.MaxInt32:
		e.buf = append(e.buf, rcInt4, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		e.buf = append(e.buf, rcInt8, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
			byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func (e *encoder) writeBig(n *big.Int) error {
	if n == nil {
		return e.errf("nil *big.Int")
	}
	if n.IsInt64() {
		e.writeInt(n.Int64())
		return nil
	}
	if e.enc == Bencode {
		e.buf = append(e.buf, 'i')
		e.buf = n.Append(e.buf, 10)
		e.buf = append(e.buf, 'e')
		return nil
	}
	start := len(e.buf)
	e.buf = append(e.buf, rcInt)
	e.buf = n.Append(e.buf, 10)
	if len(e.buf)-start-1 >= rcMaxIntLen {
		e.buf = e.buf[:start]
		return e.errf("integer longer than %d digits", rcMaxIntLen-1)
	}
	e.buf = append(e.buf, rcTerm)
	return nil
}

func (e *encoder) writeUint(n uint64) error {
	if n <= math.MaxInt64 {
		e.writeInt(int64(n))
		return nil
	}
	return e.writeBig(new(big.Int).SetUint64(n))
}

// writeFloat: rencode writes float32 when the value is exactly
// representable (python-rencode's default dumps() float size is 32 bits;
// we only use it when lossless), float64 otherwise; rencodeplus always
// writes float64.
func (e *encoder) writeFloat(f float64, is32 bool) error {
	switch e.enc {
	case Bencode:
		return e.errf("floats cannot be encoded")
	case Rencode:
		if is32 || float64(float32(f)) == f || math.IsNaN(f) {
			b := math.Float32bits(float32(f))
			e.buf = append(e.buf, rcFloat32, byte(b>>24), byte(b>>16), byte(b>>8), byte(b))
			return nil
		}
	}
	b := math.Float64bits(f)
	e.buf = append(e.buf, rcFloat64, byte(b>>56), byte(b>>48), byte(b>>40), byte(b>>32),
		byte(b>>24), byte(b>>16), byte(b>>8), byte(b))
	return nil
}

func (e *encoder) writeBytes(b []byte) {
	switch {
	case e.enc == RencodePlus:
		e.buf = strconv.AppendInt(e.buf, int64(len(b)), 10)
		e.buf = append(e.buf, '/')
	case e.enc == Rencode && len(b) < rcStrCnt:
		e.buf = append(e.buf, byte(rcStrFixed+len(b)))
	default:
		e.buf = strconv.AppendInt(e.buf, int64(len(b)), 10)
		e.buf = append(e.buf, ':')
	}
	e.buf = append(e.buf, b...)
}

func (e *encoder) writeText(s string) {
	switch {
	case e.enc == RencodePlus && !utf8.ValidString(s):
		// Not text: keep the bytes intact rather than failing on decode.
		e.buf = strconv.AppendInt(e.buf, int64(len(s)), 10)
		e.buf = append(e.buf, '/')
	case e.enc != Bencode && len(s) < rcStrCnt:
		e.buf = append(e.buf, byte(rcStrFixed+len(s)))
	default:
		e.buf = strconv.AppendInt(e.buf, int64(len(s)), 10)
		e.buf = append(e.buf, ':')
	}
	e.buf = append(e.buf, s...)
}

func (e *encoder) beginList(n int) {
	switch {
	case e.enc == Bencode:
		e.buf = append(e.buf, 'l')
	case n < rcListCnt:
		e.buf = append(e.buf, byte(rcListFixed+n))
	default:
		e.buf = append(e.buf, rcList)
	}
}

func (e *encoder) endList(n int) {
	switch {
	case e.enc == Bencode:
		e.buf = append(e.buf, 'e')
	case n >= rcListCnt:
		e.buf = append(e.buf, rcTerm)
	}
}

func (e *encoder) beginDict(n int) {
	switch {
	case e.enc == Bencode:
		e.buf = append(e.buf, 'd')
	case n < rcDictCnt:
		e.buf = append(e.buf, byte(rcDictFixed+n))
	default:
		e.buf = append(e.buf, rcDict)
	}
}

func (e *encoder) endDict(n int) {
	switch {
	case e.enc == Bencode:
		e.buf = append(e.buf, 'e')
	case n >= rcDictCnt:
		e.buf = append(e.buf, rcTerm)
	}
}

func (e *encoder) value(v any, depth int) error {
	if depth > MaxEncodeDepth {
		return e.errf("nesting deeper than %d", MaxEncodeDepth)
	}
	switch x := v.(type) {
	case nil:
		return e.writeNil()
	case bool:
		e.writeBool(x)
	case int:
		e.writeInt(int64(x))
	case int64:
		e.writeInt(x)
	case int32:
		e.writeInt(int64(x))
	case int16:
		e.writeInt(int64(x))
	case int8:
		e.writeInt(int64(x))
	case uint8:
		e.writeInt(int64(x))
	case uint16:
		e.writeInt(int64(x))
	case uint32:
		e.writeInt(int64(x))
	case uint:
		return e.writeUint(uint64(x))
	case uint64:
		return e.writeUint(x)
	case *big.Int:
		return e.writeBig(x)
	case float64:
		return e.writeFloat(x, false)
	case float32:
		return e.writeFloat(float64(x), true)
	case string:
		e.writeText(x)
	case []byte:
		e.writeBytes(x)
	case RawChunk:
		e.writeBytes(x.Data)
	case []any:
		return e.list(x, depth)
	case Packet:
		return e.list(x, depth)
	case []string:
		e.beginList(len(x))
		for _, s := range x {
			e.writeText(s)
		}
		e.endList(len(x))
	case []int:
		e.beginList(len(x))
		for _, n := range x {
			e.writeInt(int64(n))
		}
		e.endList(len(x))
	case []int64:
		e.beginList(len(x))
		for _, n := range x {
			e.writeInt(n)
		}
		e.endList(len(x))
	case [][]byte:
		e.beginList(len(x))
		for _, b := range x {
			e.writeBytes(b)
		}
		e.endList(len(x))
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.beginDict(len(keys))
		for _, k := range keys {
			e.writeText(k)
			if err := e.value(x[k], depth+1); err != nil {
				return wrapKey(err, k)
			}
		}
		e.endDict(len(keys))
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.beginDict(len(keys))
		for _, k := range keys {
			e.writeText(k)
			e.writeText(x[k])
		}
		e.endDict(len(keys))
	case map[any]any:
		return e.anyMap(x, depth)
	case Dict:
		return e.anyMap(x, depth)
	default:
		return e.reflectValue(reflect.ValueOf(v), depth)
	}
	return nil
}

func wrapKey(err error, k any) error {
	return fmt.Errorf("key %v: %w", k, err)
}

func (e *encoder) list(l []any, depth int) error {
	e.beginList(len(l))
	for i, item := range l {
		if err := e.value(item, depth+1); err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
	}
	e.endList(len(l))
	return nil
}

func (e *encoder) anyMap(m map[any]any, depth int) error {
	keys := make([]any, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortStableFunc(keys, compareKeys)
	e.beginDict(len(keys))
	for _, k := range keys {
		if err := e.key(k, depth); err != nil {
			return err
		}
		if err := e.value(m[k], depth+1); err != nil {
			return wrapKey(err, k)
		}
	}
	e.endDict(len(keys))
	return nil
}

func (e *encoder) key(k any, depth int) error {
	switch k.(type) {
	case []any, map[any]any, Dict, map[string]any:
		return e.errf("unsupported dict key type %T", k)
	}
	if err := e.value(k, depth+1); err != nil {
		return fmt.Errorf("dict key: %w", err)
	}
	return nil
}

func (e *encoder) reflectValue(rv reflect.Value, depth int) error {
	switch rv.Kind() {
	case reflect.Invalid:
		return e.writeNil()
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return e.writeNil()
		}
		return e.value(rv.Elem().Interface(), depth+1)
	case reflect.Bool:
		e.writeBool(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.writeInt(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return e.writeUint(rv.Uint())
	case reflect.Float32:
		return e.writeFloat(rv.Float(), true)
	case reflect.Float64:
		return e.writeFloat(rv.Float(), false)
	case reflect.String:
		e.writeText(rv.String())
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			if rv.Kind() == reflect.Slice {
				e.writeBytes(rv.Bytes())
			} else {
				b := make([]byte, rv.Len())
				reflect.Copy(reflect.ValueOf(b), rv)
				e.writeBytes(b)
			}
			return nil
		}
		n := rv.Len()
		e.beginList(n)
		for i := 0; i < n; i++ {
			if err := e.value(rv.Index(i).Interface(), depth+1); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
		e.endList(n)
	case reflect.Map:
		keys := rv.MapKeys()
		ik := make([]any, len(keys))
		for i, k := range keys {
			ik[i] = k.Interface()
		}
		slices.SortStableFunc(ik, compareKeys)
		e.beginDict(len(ik))
		for _, k := range ik {
			if err := e.key(k, depth); err != nil {
				return err
			}
			if err := e.value(rv.MapIndex(reflect.ValueOf(k)).Interface(), depth+1); err != nil {
				return wrapKey(err, k)
			}
		}
		e.endDict(len(ik))
	default:
		return e.errf("unsupported Go type %s", rv.Type())
	}
	return nil
}

// keyRank orders dict keys of different types: nil, bool, integers,
// floats, strings, anything else.
func keyRank(k any) int {
	switch k.(type) {
	case nil:
		return 0
	case bool:
		return 1
	case float64, float32:
		return 3
	case string, []byte:
		return 4
	}
	if _, ok := AsInt(k); ok {
		return 2
	}
	if _, ok := k.(*big.Int); ok {
		return 2
	}
	rv := reflect.ValueOf(k)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return 2
	case reflect.String:
		return 4
	}
	return 5
}

func bigOf(k any) *big.Int {
	switch x := k.(type) {
	case *big.Int:
		if x != nil {
			return x
		}
	case uint64:
		return new(big.Int).SetUint64(x)
	case uint:
		return new(big.Int).SetUint64(uint64(x))
	}
	if n, ok := AsInt(k); ok {
		return big.NewInt(n)
	}
	rv := reflect.ValueOf(k)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return big.NewInt(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return new(big.Int).SetUint64(rv.Uint())
	}
	return new(big.Int)
}

func compareKeys(a, b any) int {
	ra, rb := keyRank(a), keyRank(b)
	if ra != rb {
		return ra - rb
	}
	switch ra {
	case 1:
		x, y := a.(bool), b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case 2:
		x, xok := a.(int64)
		y, yok := b.(int64)
		if xok && yok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
		return bigOf(a).Cmp(bigOf(b))
	case 3:
		x, y := toF64(a), toF64(b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case 4:
		x, _ := AsString(a)
		y, _ := AsString(b)
		if _, ok := a.(string); !ok {
			x = reflect.ValueOf(a).String()
			if s, ok := AsString(a); ok {
				x = s
			}
		}
		if _, ok := b.(string); !ok {
			y = reflect.ValueOf(b).String()
			if s, ok := AsString(b); ok {
				y = s
			}
		}
		return strings.Compare(x, y)
	}
	return 0
}

func toF64(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	}
	return 0
}
