package auth

import (
	"crypto/des"
	"crypto/rand"
	"errors"
	"fmt"
)

// VNCDES is the digest of RFB's VNC Authentication (RFC 6143 7.2.2): the
// server's 16-byte challenge (ServerSalt) DES-encrypted by the client
// with the first 8 bytes of the password as key (Response).
const VNCDES = "vnc-des"

// VNCChallengeSize is the size of the VNC Authentication challenge.
const VNCChallengeSize = 16

// NewVNCChallenge returns a random VNC Authentication challenge.
func NewVNCChallenge() ([]byte, error) {
	b := make([]byte, VNCChallengeSize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("reading random challenge: %w", err)
	}
	return b, nil
}

// VNCResponse is what a VNC client answers to challenge with password:
// each 8-byte block DES-encrypted under the password cut or zero-padded
// to 8 bytes, with the bits of each key byte reversed (a quirk of the
// original VNC implementation that every client keeps).
func VNCResponse(password, challenge []byte) ([]byte, error) {
	if len(challenge) == 0 || len(challenge)%des.BlockSize != 0 {
		return nil, errors.New("vnc challenge: not a whole number of DES blocks")
	}
	var key [8]byte
	copy(key[:], password)
	for i, b := range key {
		var r byte
		for j := range 8 {
			if b&(1<<j) != 0 {
				r |= 0x80 >> j
			}
		}
		key[i] = r
	}
	c, err := des.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("vnc challenge: %w", err)
	}
	out := make([]byte, len(challenge))
	for i := 0; i < len(challenge); i += des.BlockSize {
		c.Encrypt(out[i:], challenge[i:i+des.BlockSize])
	}
	return out, nil
}

// verifyVNC checks a VNC Authentication response against password.
func (c *Challenge) verifyVNC(password []byte) bool {
	if len(c.ServerSalt) != VNCChallengeSize {
		return false
	}
	want, err := VNCResponse(password, c.ServerSalt)
	if err != nil {
		return false
	}
	return Equal(want, c.Response)
}
