package mmap

import (
	"math/big"
	"testing"

	"github.com/xroam/xroam/core/wire"
)

// TestToken reads the forms a hello's token comes in: a big integer, a
// plain one, a decimal string; anything else is no token.
func TestToken(t *testing.T) {
	huge, _ := new(big.Int).SetString("340282366920938463463374607431768211455", 10)
	caps := wire.Dict{"big": huge, "small": int64(42), "text": "340282366920938463463374607431768211455",
		"junk": "not a number", "list": []any{int64(1)}}
	for key, want := range map[string]*big.Int{"big": huge, "small": big.NewInt(42), "text": huge, "junk": nil, "list": nil, "missing": nil} {
		got := Token(caps, key)
		if (got == nil) != (want == nil) || (got != nil && got.Cmp(want) != 0) {
			t.Errorf("%s: %v, want %v", key, got, want)
		}
	}
}
