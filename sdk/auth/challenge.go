package auth

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"
)

// Challenge is the client's answer to a challenge: the digests the server
// chose, both salts and the client's response, as they came off the wire.
type Challenge struct {
	// Digest is "hmac+sha256", ..., "hmac" (MD5), "xor" or "vnc-des".
	Digest string
	// SaltDigest is the digest that combines the two salts.
	SaltDigest string
	ServerSalt []byte
	ClientSalt []byte
	// Response is the client's challenge_response: the lowercase hex
	// HMAC for hmac digests, raw bytes for xor.
	Response []byte
}

// XOR is the digest that sends the password xored with the salt, for
// modules that need the clear password (pam, exec, hashed passwords).
const XOR = "xor"

// HMACDigests are the HMAC digests supported, strongest first: the order
// in which a server prefers them.
func HMACDigests() []string {
	return []string{"hmac+sha512", "hmac+sha384", "hmac+sha256", "hmac+sha224", "hmac+sha1", "hmac+md5", "hmac"}
}

// ErrUnknownDigest is returned for a digest name this package lacks.
var ErrUnknownDigest = errors.New("unknown digest")

func hashFor(digest string) (func() hash.Hash, error) {
	name, ok := strings.CutPrefix(digest, "hmac+")
	if !ok {
		if digest == "hmac" {
			return md5.New, nil
		}
		return nil, fmt.Errorf("%w %q", ErrUnknownDigest, digest)
	}
	switch name {
	case "md5":
		return md5.New, nil
	case "sha1":
		return sha1.New, nil
	case "sha224":
		return sha256.New224, nil
	case "sha256":
		return sha256.New, nil
	case "sha384":
		return sha512.New384, nil
	case "sha512":
		return sha512.New, nil
	case "sha3_224":
		return func() hash.Hash { return sha3.New224() }, nil
	case "sha3_256":
		return func() hash.Hash { return sha3.New256() }, nil
	case "sha3_384":
		return func() hash.Hash { return sha3.New384() }, nil
	case "sha3_512":
		return func() hash.Hash { return sha3.New512() }, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownDigest, digest)
}

func hmacHex(digest string, key, msg []byte) ([]byte, error) {
	h, err := hashFor(digest)
	if err != nil {
		return nil, err
	}
	m := hmac.New(h, key)
	m.Write(msg)
	sum := m.Sum(nil)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return out, nil
}

// Salt combines the salts as xpra does: the lowercase hex of
// HMAC(key=clientSalt, msg=serverSalt) under saltDigest, as bytes.
func Salt(saltDigest string, clientSalt, serverSalt []byte) ([]byte, error) {
	if saltDigest == XOR {
		return nil, fmt.Errorf("salt digest xor is not supported: %w", ErrUnknownDigest)
	}
	return hmacHex(saltDigest, clientSalt, serverSalt)
}

// Respond computes the client's response for digest: the lowercase hex of
// HMAC(key=password, msg=salt), or for xor the password xored with the
// salt (the salt zero-padded or cut to the password's length).
func Respond(digest string, password, salt []byte) ([]byte, error) {
	if digest == XOR {
		return xorBytes(password, salt), nil
	}
	return hmacHex(digest, password, salt)
}

// xorBytes xors a with b, b zero-padded or cut to len(a).
func xorBytes(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i]
		if i < len(b) {
			out[i] ^= b[i]
		}
	}
	return out
}

// ClientResponse does the client's whole computation, for tests and for
// xroam's own client: it returns the challenge a client would send.
func ClientResponse(digest, saltDigest string, serverSalt, clientSalt, password []byte) (*Challenge, error) {
	salt, err := Salt(saltDigest, clientSalt, serverSalt)
	if err != nil {
		return nil, err
	}
	resp, err := Respond(digest, password, salt)
	if err != nil {
		return nil, err
	}
	return &Challenge{Digest: digest, SaltDigest: saltDigest, ServerSalt: serverSalt, ClientSalt: clientSalt, Response: resp}, nil
}

// Verify reports whether the client proved knowledge of password. The
// comparison is constant-time.
func (c *Challenge) Verify(password []byte) bool {
	if c == nil {
		return false
	}
	if c.Digest == VNCDES {
		return c.verifyVNC(password)
	}
	salt, err := Salt(c.SaltDigest, c.ClientSalt, c.ServerSalt)
	if err != nil {
		return false
	}
	if c.Digest == XOR {
		return Equal(xorBytes(c.Response, salt), password)
	}
	want, err := hmacHex(c.Digest, password, salt)
	if err != nil {
		return false
	}
	return Equal(want, []byte(strings.ToLower(string(c.Response))))
}

// Password recovers the clear password from an xor challenge; other
// digests do not carry it.
func (c *Challenge) Password() ([]byte, error) {
	if c == nil || c.Digest != XOR {
		return nil, errors.New("the clear password needs the xor digest")
	}
	salt, err := Salt(c.SaltDigest, c.ClientSalt, c.ServerSalt)
	if err != nil {
		return nil, err
	}
	return xorBytes(c.Response, salt), nil
}

// Equal compares two secrets in constant time, whatever their lengths:
// both are hashed first, so a length mismatch takes as long as a match.
func Equal(a, b []byte) bool {
	ha, hb := sha256.Sum256(a), sha256.Sum256(b)
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// NewServerSalt returns 64 random bytes, the size xpra's server uses.
func NewServerSalt() ([]byte, error) {
	b := make([]byte, 64)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("reading random salt: %w", err)
	}
	return b, nil
}

// ChooseDigest picks the digest to challenge with: the first of the
// server's preference order that both the module accepts and the client
// offers. It returns "" when there is none.
func ChooseDigest(module, client []string) string {
	for _, d := range append(HMACDigests(), XOR) {
		if slices.Contains(module, d) && slices.Contains(client, d) {
			return d
		}
	}
	return ""
}
