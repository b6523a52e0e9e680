package wire

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"unicode/utf8"
)

// Limits bound what a decoder accepts from untrusted input.
type Limits struct {
	// MaxDepth is the maximum container nesting (the top-level packet list
	// is depth 1). Zero means DefaultMaxDepth.
	MaxDepth int
	// MaxItems is the maximum total number of decoded values (scalars,
	// containers and dict keys). Zero means DefaultMaxItems.
	MaxItems int
	// CostPerByte and CostBase make the memory budget of one decoded
	// input: CostBase + CostPerByte × the input's length, in bytes of the
	// decoder's estimate of what the decoded values take in memory (a
	// value's interface slot, a container's header and table, a text
	// string's copy; byte strings alias the input and cost their header
	// only). A few wire bytes can otherwise cost a hundred times as
	// much: an empty list is one byte. Zero means DefaultCostPerByte and
	// DefaultCostBase.
	CostPerByte int
	CostBase    int
	// MaxCost caps that budget whatever the input's length (zero: no
	// cap beyond it).
	MaxCost int
}

// Default decoding limits. The budget lets through what xpra peers send
// (a 3.1.3 client's hello decodes to about 5 bytes per wire byte; the
// base covers small packets of denser shapes, such as a few thousand
// small dicts) and stops the shapes that cost most per byte (empty lists
// and dicts: 28 to 64 bytes per wire byte).
const (
	DefaultMaxDepth    = 64
	DefaultMaxItems    = 1 << 20
	DefaultCostPerByte = 24
	DefaultCostBase    = 1 << 20
)

// DefaultLimits returns the default decoding limits.
func DefaultLimits() Limits {
	return Limits{MaxDepth: DefaultMaxDepth, MaxItems: DefaultMaxItems, CostPerByte: DefaultCostPerByte, CostBase: DefaultCostBase}
}

// Limits for a peer that has not logged in yet: what it sends before is
// a hello (about 70 KB for xpra 3.1.3's, 100 000 values would be many),
// so they leave it many times that and little more.
const (
	PreAuthMaxPacketSize = 1 << 20
	PreAuthMaxDepth      = 24
	PreAuthMaxItems      = 1 << 17
	PreAuthCostPerByte   = 16
	PreAuthCostBase      = 256 << 10
	PreAuthMaxCost       = 2 << 20
)

// PreAuthLimits returns the decoding limits for a peer that has not
// logged in yet.
func PreAuthLimits() Limits {
	return Limits{MaxDepth: PreAuthMaxDepth, MaxItems: PreAuthMaxItems, CostPerByte: PreAuthCostPerByte, CostBase: PreAuthCostBase, MaxCost: PreAuthMaxCost}
}

func (l Limits) normalized() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxItems <= 0 {
		l.MaxItems = DefaultMaxItems
	}
	if l.CostPerByte <= 0 {
		l.CostPerByte = DefaultCostPerByte
	}
	if l.CostBase <= 0 {
		l.CostBase = DefaultCostBase
	}
	return l
}

// budget is the memory budget of an input of n bytes.
func (l Limits) budget(n int) int {
	b := l.CostBase
	if n > 0 && l.CostPerByte > (math.MaxInt-b)/n {
		b = math.MaxInt
	} else {
		b += l.CostPerByte * n
	}
	if l.MaxCost > 0 {
		b = min(b, l.MaxCost)
	}
	return b
}

// Decoding errors; the errors returned by the decoders wrap one of these
// (test with errors.Is) inside a *DecodeError giving the position.
var (
	ErrTruncated    = errors.New("truncated input")
	ErrTrailingData = errors.New("trailing data after value")
	ErrTooDeep      = errors.New("nesting too deep")
	ErrTooManyItems = errors.New("too many items")
	ErrTooCostly    = errors.New("decoded values too large for the input's size")
	ErrInvalid      = errors.New("invalid data")
)

// DecodeError describes a decoding failure.
type DecodeError struct {
	Encoding Encoding
	Offset   int // byte offset in the input where the problem was found
	Err      error
	Detail   string
}

func (e *DecodeError) Error() string {
	s := fmt.Sprintf("wire: %s decode at offset %d: %v", e.Encoding, e.Offset, e.Err)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Decode parses data with the given decoder and default limits.
//
// The whole input must be consumed. Decoded []byte values alias data (they
// are capacity-limited sub-slices; do not modify data afterwards).
func Decode(enc Encoding, data []byte) (any, error) {
	return DecodeLimits(enc, data, Limits{})
}

// DecodeLimits is Decode with explicit limits.
func DecodeLimits(enc Encoding, data []byte, lim Limits) (any, error) {
	lim = lim.normalized()
	d := decoder{data: data, enc: enc, lim: lim, budget: lim.budget(len(data))}
	var v any
	var err error
	switch enc {
	case Rencode, RencodePlus:
		v, err = d.rencode(0)
	case Bencode:
		v, err = d.bencode(0)
	default:
		return nil, fmt.Errorf("wire: unknown encoding %d", enc)
	}
	if err != nil {
		return nil, err
	}
	if d.pos != len(data) {
		return nil, d.fail(ErrTrailingData, "%d bytes left", len(data)-d.pos)
	}
	return v, nil
}

// DecodeRencode is Decode(Rencode, data).
func DecodeRencode(data []byte) (any, error) { return Decode(Rencode, data) }

// DecodeRencodePlus is Decode(RencodePlus, data).
func DecodeRencodePlus(data []byte) (any, error) { return Decode(RencodePlus, data) }

// DecodeBencode is Decode(Bencode, data).
func DecodeBencode(data []byte) (any, error) { return Decode(Bencode, data) }

type decoder struct {
	data  []byte
	pos   int
	items int
	enc   Encoding
	lim   Limits
	// budget is what is left of the memory budget, in bytes.
	budget int
}

func (d *decoder) fail(err error, format string, args ...any) error {
	return &DecodeError{Encoding: d.enc, Offset: d.pos, Err: err, Detail: fmt.Sprintf(format, args...)}
}

func (d *decoder) truncated(what string) error {
	return d.fail(ErrTruncated, "%s", what)
}

// Estimated memory of decoded values, in bytes (Go 1.26, 64-bit). The
// estimates are upper bounds: TestDecodeCostBound checks them against
// what decoding allocates.
const (
	// costSlot is a value's interface in its list or dict.
	costSlot = 16
	// costBoxed is a scalar boxed in an interface (int64 outside 0..255,
	// float64).
	costBoxed = 8
	// costSliceHeader is a list's or byte string's boxed header.
	costSliceHeader = 24
	// costGrowth is what appending one more item to a list of unknown
	// length may leave unused or garbage (see chargeAppend).
	costGrowth = 3 * costSlot
	// costMap is a dict's header; costMapGroup its first table (eight
	// slots of a key and a value); costMapEntry what each entry adds
	// beyond, with the tables' spare slots and growth.
	costMap      = 48
	costMapGroup = 8 + 8*2*costSlot
	costMapEntry = 80
	// costString is a text string's boxed header (its bytes are copied).
	costString = 16
	// costBigInt is a big.Int's struct and its words' slice header;
	// parsing takes costBigIntDigit a digit more (a copy and the words
	// as they grow).
	costBigInt      = 64
	costBigIntDigit = 4
)

// count accounts for one more value.
func (d *decoder) count() error {
	d.items++
	if d.items > d.lim.MaxItems {
		return d.fail(ErrTooManyItems, "more than %d values", d.lim.MaxItems)
	}
	return d.charge(costSlot)
}

// charge takes n bytes from the memory budget.
func (d *decoder) charge(n int) error {
	d.budget -= n
	if d.budget < 0 {
		return d.fail(ErrTooCostly, "more than %d bytes of values from %d bytes of input", d.lim.budget(len(d.data)), len(d.data))
	}
	return nil
}

// chargeInt accounts for an integer's box (0..255 share the runtime's).
func (d *decoder) chargeInt(v int64) error {
	if v >= 0 && v < 256 {
		return nil
	}
	return d.charge(costBoxed)
}

func (d *decoder) need(n int, what string) error {
	if n < 0 || len(d.data)-d.pos < n {
		return d.truncated(what)
	}
	return nil
}

// take returns the next n bytes as a capacity-limited slice of the input.
func (d *decoder) take(n int) []byte {
	b := d.data[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return b
}

// hashableKey converts a decoded value to a valid Go map key.
func (d *decoder) hashableKey(k any) (any, error) {
	switch x := k.(type) {
	case []byte:
		return string(x), d.charge(costString + len(x))
	case string, int64, bool, nil:
		return x, nil
	case float64:
		if math.IsNaN(x) {
			return nil, d.fail(ErrInvalid, "NaN dict key")
		}
		return x, nil
	case *big.Int:
		return nil, d.fail(ErrInvalid, "big integer dict key not supported")
	}
	return nil, d.fail(ErrInvalid, "unhashable dict key of type %T", k)
}

// ---- rencode / rencodeplus ----

func (d *decoder) rencode(depth int) (any, error) {
	if err := d.count(); err != nil {
		return nil, err
	}
	if d.pos >= len(d.data) {
		return nil, d.truncated("expected a value")
	}
	tc := d.data[d.pos]
	switch {
	case tc < rcIntPosMax:
		d.pos++
		return int64(tc), nil
	case tc >= rcIntNegBase && tc < rcIntNegBase+rcIntNegCnt:
		d.pos++
		return int64(rcIntNegBase-1) - int64(tc), d.charge(costBoxed)
	case tc >= rcStrFixed && tc < rcStrFixed+rcStrCnt:
		n := int(tc - rcStrFixed)
		d.pos++
		if err := d.need(n, "fixed string"); err != nil {
			return nil, err
		}
		return d.stringValue(d.take(n), d.enc == RencodePlus)
	case tc >= '0' && tc <= '9':
		return d.rencodeLongString()
	case tc >= rcListFixed:
		n := int(tc - rcListFixed)
		d.pos++
		if depth+1 > d.lim.MaxDepth {
			return nil, d.fail(ErrTooDeep, "limit %d", d.lim.MaxDepth)
		}
		if err := d.charge(costSliceHeader); err != nil {
			return nil, err
		}
		l := make([]any, 0, min(n, len(d.data)-d.pos))
		for i := 0; i < n; i++ {
			v, err := d.rencode(depth + 1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case tc >= rcDictFixed && tc < rcDictFixed+rcDictCnt:
		n := int(tc - rcDictFixed)
		d.pos++
		if depth+1 > d.lim.MaxDepth {
			return nil, d.fail(ErrTooDeep, "limit %d", d.lim.MaxDepth)
		}
		if err := d.charge(costMap); err != nil {
			return nil, err
		}
		m := make(map[any]any, n)
		for i := 0; i < n; i++ {
			if err := d.chargeEntry(len(m)); err != nil {
				return nil, err
			}
			if err := d.rencodeDictEntry(m, depth); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	switch tc {
	case rcList:
		d.pos++
		if depth+1 > d.lim.MaxDepth {
			return nil, d.fail(ErrTooDeep, "limit %d", d.lim.MaxDepth)
		}
		if err := d.charge(costSliceHeader); err != nil {
			return nil, err
		}
		// Empty lists (many packets carry some) take no array.
		l := make([]any, 0)
		for {
			if d.pos >= len(d.data) {
				return nil, d.truncated("unterminated list")
			}
			if d.data[d.pos] == rcTerm {
				d.pos++
				return l, nil
			}
			if err := d.chargeAppend(len(l)); err != nil {
				return nil, err
			}
			v, err := d.rencode(depth + 1)
			if err != nil {
				return nil, err
			}
			l = appendItem(l, v)
		}
	case rcDict:
		d.pos++
		if depth+1 > d.lim.MaxDepth {
			return nil, d.fail(ErrTooDeep, "limit %d", d.lim.MaxDepth)
		}
		if err := d.charge(costMap); err != nil {
			return nil, err
		}
		m := make(map[any]any)
		for {
			if d.pos >= len(d.data) {
				return nil, d.truncated("unterminated dict")
			}
			if d.data[d.pos] == rcTerm {
				d.pos++
				return m, nil
			}
			if err := d.chargeEntry(len(m)); err != nil {
				return nil, err
			}
			if err := d.rencodeDictEntry(m, depth); err != nil {
				return nil, err
			}
		}
	case rcInt:
		return d.rencodeBigInt()
	case rcInt1:
		if err := d.need(2, "int8"); err != nil {
			return nil, err
		}
		b := d.take(2)
		v := int64(int8(b[1]))
		return v, d.chargeInt(v)
	case rcInt2:
		if err := d.need(3, "int16"); err != nil {
			return nil, err
		}
		b := d.take(3)
		v := int64(int16(uint16(b[1])<<8 | uint16(b[2])))
		return v, d.chargeInt(v)
	case rcInt4:
		if err := d.need(5, "int32"); err != nil {
			return nil, err
		}
		b := d.take(5)
		v := int64(int32(be32(b[1:])))
		return v, d.chargeInt(v)
	case rcInt8:
		if err := d.need(9, "int64"); err != nil {
			return nil, err
		}
		b := d.take(9)
		v := int64(be64(b[1:]))
		return v, d.chargeInt(v)
	case rcFloat32:
		if err := d.need(5, "float32"); err != nil {
			return nil, err
		}
		b := d.take(5)
		return float64(math.Float32frombits(be32(b[1:]))), d.charge(costBoxed)
	case rcFloat64:
		if err := d.need(9, "float64"); err != nil {
			return nil, err
		}
		b := d.take(9)
		return math.Float64frombits(be64(b[1:])), d.charge(costBoxed)
	case rcTrue:
		d.pos++
		return true, nil
	case rcFalse:
		d.pos++
		return false, nil
	case rcNone:
		d.pos++
		return nil, nil
	}
	return nil, d.fail(ErrInvalid, "unknown type code 0x%02x", tc)
}

func (d *decoder) rencodeDictEntry(m map[any]any, depth int) error {
	kpos := d.pos
	k, err := d.rencode(depth + 1)
	if err != nil {
		return err
	}
	hk, err := d.hashableKey(k)
	if err != nil {
		d.pos = kpos
		return err
	}
	v, err := d.rencode(depth + 1)
	if err != nil {
		return err
	}
	m[hk] = v
	return nil
}

func (d *decoder) stringValue(b []byte, text bool) (any, error) {
	if !text {
		return b, d.charge(costSliceHeader)
	}
	if err := d.charge(costString + len(b)); err != nil {
		return nil, err
	}
	if !utf8.Valid(b) {
		d.pos -= len(b)
		return nil, d.fail(ErrInvalid, "text string is not valid UTF-8")
	}
	return string(b), nil
}

// chargeAppend accounts for the item a list of unknown length is about
// to take: the first one gets the array of 8 that appendItem makes, and
// each later one its share of the arrays that doubling leaves behind (at
// most 4 slots an item, the final array's spare slots included).
func (d *decoder) chargeAppend(n int) error {
	if n == 0 {
		return d.charge(7 * costSlot)
	}
	return d.charge(costGrowth)
}

// appendItem appends v to a list of unknown length, doubling its array
// when full: append's gentler growth of large slices would leave up to
// five times the final array's size behind as garbage.
func appendItem(l []any, v any) []any {
	if len(l) == cap(l) {
		nl := make([]any, len(l), max(8, 2*cap(l)))
		copy(nl, l)
		l = nl
	}
	return append(l, v)
}

// chargeEntry accounts for a dict's entry, given the entries it has.
func (d *decoder) chargeEntry(n int) error {
	switch {
	case n == 0:
		return d.charge(costMapGroup)
	case n >= 8:
		return d.charge(costMapEntry)
	}
	return nil
}

// chargeNumber accounts for a decoded integer of the given digits.
func (d *decoder) chargeNumber(v any, digits int) error {
	if n, ok := v.(int64); ok {
		return d.chargeInt(n)
	}
	return d.charge(costBigInt + costBigIntDigit*digits)
}

// maxLenDigits bounds the decimal length prefix of strings (< 10^10).
const maxLenDigits = 10

func (d *decoder) rencodeLongString() (any, error) {
	start := d.pos
	n := 0
	i := d.pos
	for ; i < len(d.data); i++ {
		c := d.data[i]
		if c < '0' || c > '9' {
			break
		}
		if i-start >= maxLenDigits {
			return nil, d.fail(ErrInvalid, "string length prefix too long")
		}
		n = n*10 + int(c-'0')
	}
	if i >= len(d.data) {
		return nil, d.truncated("string length prefix")
	}
	sep := d.data[i]
	text := true
	switch {
	case sep == ':':
		text = d.enc == RencodePlus
	case sep == '/' && d.enc == RencodePlus:
		text = false
	default:
		d.pos = i
		return nil, d.fail(ErrInvalid, "bad string length separator 0x%02x", sep)
	}
	d.pos = i + 1
	if err := d.need(n, "string body"); err != nil {
		return nil, err
	}
	return d.stringValue(d.take(n), text)
}

func (d *decoder) rencodeBigInt() (any, error) {
	d.pos++
	start := d.pos
	end := -1
	for i := start; i < len(d.data) && i-start < rcMaxIntLen; i++ {
		if d.data[i] == rcTerm {
			end = i
			break
		}
	}
	if end < 0 {
		if len(d.data)-start >= rcMaxIntLen {
			return nil, d.fail(ErrInvalid, "big integer longer than %d characters", rcMaxIntLen-1)
		}
		return nil, d.truncated("unterminated big integer")
	}
	v, err := parseDecimal(d.data[start:end], true)
	if err != nil {
		return nil, d.fail(ErrInvalid, "big integer: %v", err)
	}
	d.pos = end + 1
	return v, d.chargeNumber(v, end-start)
}

// parseDecimal parses an optionally signed decimal integer, returning int64
// when it fits and *big.Int otherwise. With lenient=false, leading zeros
// and "-0" are rejected (bencode rules).
func parseDecimal(s []byte, lenient bool) (any, error) {
	digits := s
	neg := false
	if len(digits) > 0 && digits[0] == '-' {
		neg = true
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return nil, errors.New("no digits")
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("bad digit %q", c)
		}
	}
	if !lenient && digits[0] == '0' && (len(digits) > 1 || neg) {
		return nil, errors.New("leading zero")
	}
	if len(digits) <= 18 {
		var n int64
		for _, c := range digits {
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return n, nil
	}
	b, ok := new(big.Int).SetString(string(s), 10)
	if !ok {
		return nil, errors.New("bad integer")
	}
	if b.IsInt64() {
		return b.Int64(), nil
	}
	return b, nil
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func be64(b []byte) uint64 {
	return uint64(be32(b))<<32 | uint64(be32(b[4:]))
}

// ---- bencode ----

// maxBencodeIntLen bounds the digits of a bencode integer.
const maxBencodeIntLen = 256

func (d *decoder) bencode(depth int) (any, error) {
	if err := d.count(); err != nil {
		return nil, err
	}
	if d.pos >= len(d.data) {
		return nil, d.truncated("expected a value")
	}
	tc := d.data[d.pos]
	switch {
	case tc >= '0' && tc <= '9':
		b, err := d.bencodeString()
		if err != nil {
			return nil, err
		}
		return b, d.charge(costSliceHeader)
	case tc == 'u':
		d.pos++
		if d.pos >= len(d.data) || d.data[d.pos] < '0' || d.data[d.pos] > '9' {
			return nil, d.fail(ErrInvalid, "bad unicode string")
		}
		b, err := d.bencodeString()
		if err != nil {
			return nil, err
		}
		return d.stringValue(b, true)
	case tc == 'i':
		d.pos++
		start := d.pos
		end := -1
		for i := start; i < len(d.data) && i-start <= maxBencodeIntLen; i++ {
			if d.data[i] == 'e' {
				end = i
				break
			}
		}
		if end < 0 {
			if len(d.data)-start > maxBencodeIntLen {
				return nil, d.fail(ErrInvalid, "integer too long")
			}
			return nil, d.truncated("unterminated integer")
		}
		v, err := parseDecimal(d.data[start:end], false)
		if err != nil {
			return nil, d.fail(ErrInvalid, "integer: %v", err)
		}
		d.pos = end + 1
		return v, d.chargeNumber(v, end-start)
	case tc == 'l':
		d.pos++
		if depth+1 > d.lim.MaxDepth {
			return nil, d.fail(ErrTooDeep, "limit %d", d.lim.MaxDepth)
		}
		if err := d.charge(costSliceHeader); err != nil {
			return nil, err
		}
		// Empty lists (many packets carry some) take no array.
		l := make([]any, 0)
		for {
			if d.pos >= len(d.data) {
				return nil, d.truncated("unterminated list")
			}
			if d.data[d.pos] == 'e' {
				d.pos++
				return l, nil
			}
			if err := d.chargeAppend(len(l)); err != nil {
				return nil, err
			}
			v, err := d.bencode(depth + 1)
			if err != nil {
				return nil, err
			}
			l = appendItem(l, v)
		}
	case tc == 'd':
		d.pos++
		if depth+1 > d.lim.MaxDepth {
			return nil, d.fail(ErrTooDeep, "limit %d", d.lim.MaxDepth)
		}
		if err := d.charge(costMap); err != nil {
			return nil, err
		}
		m := make(map[any]any)
		for {
			if d.pos >= len(d.data) {
				return nil, d.truncated("unterminated dict")
			}
			if d.data[d.pos] == 'e' {
				d.pos++
				return m, nil
			}
			if err := d.chargeEntry(len(m)); err != nil {
				return nil, err
			}
			kpos := d.pos
			k, err := d.bencode(depth + 1)
			if err != nil {
				return nil, err
			}
			hk, err := d.hashableKey(k)
			if err != nil {
				d.pos = kpos
				return nil, err
			}
			v, err := d.bencode(depth + 1)
			if err != nil {
				return nil, err
			}
			m[hk] = v
		}
	}
	return nil, d.fail(ErrInvalid, "unknown type byte 0x%02x", tc)
}

func (d *decoder) bencodeString() ([]byte, error) {
	start := d.pos
	n := 0
	i := d.pos
	for ; i < len(d.data); i++ {
		c := d.data[i]
		if c < '0' || c > '9' {
			break
		}
		if i-start >= maxLenDigits {
			return nil, d.fail(ErrInvalid, "string length prefix too long")
		}
		n = n*10 + int(c-'0')
	}
	if i >= len(d.data) {
		return nil, d.truncated("string length prefix")
	}
	if d.data[i] != ':' {
		d.pos = i
		return nil, d.fail(ErrInvalid, "expected ':' after string length")
	}
	if d.data[start] == '0' && i != start+1 {
		return nil, d.fail(ErrInvalid, "string length with leading zero")
	}
	d.pos = i + 1
	if err := d.need(n, "string body"); err != nil {
		return nil, err
	}
	return d.take(n), nil
}
