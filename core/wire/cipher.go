package wire

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
)

// xpra 3.1.3's optional packet encryption ("--encryption=AES"): each
// direction is one AES-256-CBC stream whose key is PBKDF2-HMAC-SHA1 of a
// shared key file with the receiver's salt. Every chunk is padded to a
// multiple of CipherBlockSize and carries FlagEncrypted; its header keeps
// the unpadded size. The receiver of a direction chooses its IV, salt,
// iteration count and padding and announces them in its hello (or
// challenge) as the "cipher.*" keys.
const (
	// CipherAES is the only cipher xpra 3.1.3 knows.
	CipherAES = "AES"
	// CipherBlockSize is both the key size and the padding unit of xpra
	// 3.1.3 (32 bytes, a multiple of AES's own 16-byte block).
	CipherBlockSize = 32
	// PaddingLegacy pads with spaces, PaddingPKCS7 with bytes holding the
	// pad length.
	PaddingLegacy = "legacy"
	PaddingPKCS7  = "PKCS#7"
	// DefaultKeyIterations is xpra's PBKDF2 iteration count.
	DefaultKeyIterations = 1000
	// xpra refuses iteration counts outside 100..10000.
	minKeyIterations = 100
	maxKeyIterations = 10000
	cipherIVSize     = 16
	cipherSaltSize   = 64
)

// ErrCipher is wrapped by decryption errors: a wrong key shows as bad
// padding.
var ErrCipher = errors.New("wire: decryption failed (wrong encryption key?)")

// PaddingOptions are the paddings xroam accepts, preferred first.
func PaddingOptions() []string { return []string{PaddingPKCS7, PaddingLegacy} }

// CipherParams are one direction's parameters, as a hello carries them.
type CipherParams struct {
	Cipher     string
	IV         []byte
	KeySalt    []byte
	Iterations int
	Padding    string
}

// NewCipherParams makes fresh parameters for the direction this side
// receives: a random IV (16 hex digits, as xpra makes them) and salt.
func NewCipherParams(padding string) (CipherParams, error) {
	iv := make([]byte, cipherIVSize/2)
	salt := make([]byte, cipherSaltSize)
	if _, err := rand.Read(iv); err != nil {
		return CipherParams{}, err
	}
	if _, err := rand.Read(salt); err != nil {
		return CipherParams{}, err
	}
	return CipherParams{Cipher: CipherAES, IV: []byte(hex.EncodeToString(iv)), KeySalt: salt,
		Iterations: DefaultKeyIterations, Padding: padding}, nil
}

// Caps are the hello keys announcing p.
func (p CipherParams) Caps() Dict {
	return Dict{
		"cipher":                        p.Cipher,
		"cipher.iv":                     string(p.IV),
		"cipher.key_salt":               p.KeySalt,
		"cipher.key_stretch_iterations": int64(p.Iterations),
		"cipher.padding":                p.Padding,
		"cipher.padding.options":        PaddingOptions(),
	}
}

// ParseCipherCaps reads the peer's "cipher.*" keys; ok is false when the
// peer asks for no encryption. A default padding of legacy and the
// checks are xpra's.
func ParseCipherCaps(d Dict) (p CipherParams, ok bool, err error) {
	p.Cipher = d.Str("cipher", "")
	p.IV = d.Bytes("cipher.iv")
	if p.Cipher == "" || len(p.IV) == 0 {
		return p, false, nil
	}
	if p.Cipher != CipherAES {
		return p, true, fmt.Errorf("unsupported cipher %q (only %s)", p.Cipher, CipherAES)
	}
	if len(p.IV) != aes.BlockSize {
		return p, true, fmt.Errorf("cipher.iv has %d bytes, want %d", len(p.IV), aes.BlockSize)
	}
	p.KeySalt = d.Bytes("cipher.key_salt")
	p.Iterations = int(d.Int("cipher.key_stretch_iterations", 0))
	if p.Iterations < minKeyIterations || p.Iterations > maxKeyIterations {
		return p, true, fmt.Errorf("cipher.key_stretch_iterations %d is outside %d..%d", p.Iterations, minKeyIterations, maxKeyIterations)
	}
	p.Padding = d.Str("cipher.padding", PaddingLegacy)
	if p.Padding != PaddingLegacy && p.Padding != PaddingPKCS7 {
		return p, true, fmt.Errorf("unsupported cipher padding %q", p.Padding)
	}
	return p, true, nil
}

// ChoosePadding picks the first of the peer's padding options that xroam
// knows ("cipher.padding.options"; none given: legacy, as xpra assumes).
func ChoosePadding(d Dict) string {
	for _, o := range d.Strings("cipher.padding.options") {
		if slices.Contains(PaddingOptions(), o) {
			return o
		}
	}
	return PaddingLegacy
}

func (p CipherParams) block(key []byte) (cipher.Block, error) {
	if len(key) == 0 {
		return nil, errors.New("wire: empty encryption key")
	}
	k, err := pbkdf2.Key(sha1.New, string(key), p.KeySalt, p.Iterations, CipherBlockSize)
	if err != nil {
		return nil, fmt.Errorf("wire: deriving the key: %w", err)
	}
	return aes.NewCipher(k)
}

// Encrypter encrypts the chunks of one direction.
type Encrypter struct {
	cbc     cipher.BlockMode
	padding string
	buf     []byte
}

// NewEncrypter returns the encrypter for parameters the peer announced.
func NewEncrypter(key []byte, p CipherParams) (*Encrypter, error) {
	b, err := p.block(key)
	if err != nil {
		return nil, err
	}
	return &Encrypter{cbc: cipher.NewCBCEncrypter(b, p.IV), padding: p.Padding}, nil
}

// padLen is how many pad bytes follow n payload bytes: 1 to 32, never 0.
func padLen(n int) int { return CipherBlockSize - n%CipherBlockSize }

func padByte(padding string, n int) byte {
	if padding == PaddingPKCS7 {
		return byte(n)
	}
	return ' '
}

// seal returns payload padded and encrypted; the result is only valid
// until the next call.
func (e *Encrypter) seal(payload []byte) []byte {
	n := padLen(len(payload))
	e.buf = append(append(e.buf[:0], payload...), bytes.Repeat([]byte{padByte(e.padding, n)}, n)...)
	e.cbc.CryptBlocks(e.buf, e.buf)
	return e.buf
}

// Decrypter decrypts the chunks of one direction.
type Decrypter struct {
	cbc     cipher.BlockMode
	padding string
}

// NewDecrypter returns the decrypter for parameters this side announced.
func NewDecrypter(key []byte, p CipherParams) (*Decrypter, error) {
	b, err := p.block(key)
	if err != nil {
		return nil, err
	}
	return &Decrypter{cbc: cipher.NewCBCDecrypter(b, p.IV), padding: p.Padding}, nil
}

// open decrypts buf (size payload bytes plus their padding) in place
// and returns the payload.
func (d *Decrypter) open(buf []byte, size int) ([]byte, error) {
	n := padLen(size)
	if len(buf) != size+n {
		return nil, fmt.Errorf("%w: %d bytes for a %d byte payload", ErrCipher, len(buf), size)
	}
	d.cbc.CryptBlocks(buf, buf)
	want := padByte(d.padding, n)
	for _, b := range buf[size:] {
		if b != want {
			return nil, fmt.Errorf("%w: bad %s padding", ErrCipher, d.padding)
		}
	}
	return buf[:size], nil
}

// LoadKey reads a key file as xpra does: every byte but the line ends
// around it.
func LoadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("encryption key file: %w", err)
	}
	b = bytes.Trim(b, "\r\n")
	if len(b) == 0 {
		return nil, fmt.Errorf("encryption key file %s is empty", path)
	}
	return b, nil
}
