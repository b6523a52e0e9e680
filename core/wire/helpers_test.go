package wire

import (
	"bufio"
	"encoding/hex"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readTestdata returns a file from testdata (copied from
// shared/reference/xpra-3.1.3-captures so that tests are self-contained).
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("reading testdata: %v", err)
	}
	return b
}

type vector struct {
	label   string
	rencode []byte
	bencode []byte // nil when bencode cannot encode the value
}

// loadVectors parses rencode-bencode-vectors.txt, skipping comments and
// truncated entries.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "rencode-bencode-vectors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, " | ")
		if len(parts) != 3 {
			t.Fatalf("bad vector line %q", line)
		}
		r, err := hex.DecodeString(strings.TrimSpace(parts[1]))
		if err != nil {
			continue // truncated / annotated entry
		}
		v := vector{label: strings.TrimSpace(parts[0]), rencode: r}
		if bh := strings.TrimSpace(parts[2]); bh != "-" {
			b, err := hex.DecodeString(bh)
			if err != nil {
				continue
			}
			v.bencode = b
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func bigInt(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad big int " + s)
	}
	return b
}

func repeatBytes(c byte, n int) []byte {
	return []byte(strings.Repeat(string([]byte{c}), n))
}

// vectorValue maps a vector label to the Go value python encoded.
func vectorValue(label string) (any, bool) {
	ints := map[string]any{
		"int 0": int64(0), "int 43": int64(43), "int 44": int64(44), "int -1": int64(-1),
		"int -32": int64(-32), "int -33": int64(-33), "int 127": int64(127), "int -128": int64(-128),
		"int 128": int64(128), "int -129": int64(-129), "int 32767": int64(32767),
		"int 32768": int64(32768), "int -32769": int64(-32769),
		"int 2147483647": int64(2147483647), "int 2147483648": int64(2147483648),
		"int -2147483649": int64(-2147483649), "int 2**63-1": int64(9223372036854775807),
		"int -2**63":     int64(-9223372036854775808),
		"int 2**63":      bigInt("9223372036854775808"),
		"int -(2**63)-1": bigInt("-9223372036854775809"),
		"int 2**126":     bigInt("85070591730234615865843651857942052864"),
	}
	if v, ok := ints[label]; ok {
		return v, true
	}
	dictN := func(n int) map[any]any {
		m := map[any]any{}
		for i := 0; i < n; i++ {
			m[int64(i)] = int64(i)
		}
		return m
	}
	zeros := func(n int) []any {
		l := make([]any, n)
		for i := range l {
			l[i] = int64(0)
		}
		return l
	}
	switch {
	case label == "True":
		return true, true
	case label == "False":
		return false, true
	case label == "None":
		return nil, true
	case strings.HasPrefix(label, "float 1.5"):
		return 1.5, true
	case strings.HasPrefix(label, "float -0.25"):
		return -0.25, true
	case label == "bytes empty":
		return []byte{}, true
	case label == "bytes 'abc'":
		return []byte("abc"), true
	case strings.HasPrefix(label, "str 'héllo'"):
		return "héllo", true
	case label == "bytes 63x'x'":
		return repeatBytes('x', 63), true
	case label == "bytes 64x'x'":
		return repeatBytes('x', 64), true
	case label == "bytes 100x'y'":
		return repeatBytes('y', 100), true
	case label == "list []":
		return []any{}, true
	case label == "list [1,2]":
		return []any{int64(1), int64(2)}, true
	case label == "tuple (1,(2,))":
		return []any{int64(1), []any{int64(2)}}, true
	case label == "list 63 zeros":
		return zeros(63), true
	case label == "list 64 zeros":
		return zeros(64), true
	case label == "dict {}":
		return map[any]any{}, true
	case label == "dict {b'a':1}":
		return map[any]any{"a": int64(1)}, true
	case label == "dict {1: b'x'}":
		return map[any]any{int64(1): []byte("x")}, true
	case label == "dict 24 items":
		return dictN(24), true
	case label == "dict 25 items":
		return dictN(25), true
	case label == "packet ['ping', 4204591]":
		return []any{"ping", int64(4204591)}, true
	case label == "packet ['ping_echo', 4204591, 0, 0, 0, -1, b'']":
		return []any{"ping_echo", int64(4204591), int64(0), int64(0), int64(0), int64(-1), []byte{}}, true
	case strings.HasPrefix(label, "packet ['draw'"):
		return []any{"draw", int64(1), int64(0), int64(0), int64(2), int64(1), "rgb24", make([]byte, 6),
			int64(1), int64(6), map[any]any{"rgb_format": "RGB"}}, true
	}
	return nil, false
}

// benNormalize maps a value to what bencode decoding yields (bools as
// ints, text as bytes, dict keys as strings).
func benNormalize(v any) any {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case string:
		return []byte(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = benNormalize(x[i])
		}
		return out
	case map[any]any:
		out := make(map[any]any, len(x))
		for k, e := range x {
			out[k] = benNormalize(e)
		}
		return out
	}
	return v
}
