package mmap

import (
	"math/big"

	"github.com/xroam/xroam/core/wire"
)

// Token reads an mmap token from a hello, the server's or the client's:
// 3.1.3 sends a 128-bit integer (rencode's decimal form), small ones come
// as plain integers, and a decimal string is read too.
func Token(caps wire.Dict, key string) *big.Int {
	v, ok := caps.Get(key)
	if !ok {
		return nil
	}
	if t, ok := v.(*big.Int); ok {
		return t
	}
	if n, ok := wire.AsInt(v); ok {
		return big.NewInt(n)
	}
	if s, ok := wire.AsString(v); ok {
		if n, ok := new(big.Int).SetString(s, 10); ok {
			return n
		}
	}
	return nil
}
