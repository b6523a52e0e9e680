package dial

import (
	"errors"
	"fmt"
	"maps"

	"github.com/xroam/xroam/core/wire"
)

// Cipher is a client's side of xpra's packet encryption: each hello
// it sends announces fresh parameters for what it receives, and the
// server's hello (or challenge) those for what it sends.
type Cipher struct {
	key []byte
}

// NewCipher returns the cipher the options ask for, or nil.
func NewCipher(o Options) (*Cipher, error) {
	switch o.Encryption {
	case "":
		return nil, nil
	case wire.CipherAES:
	default:
		return nil, fmt.Errorf("encryption %q is not supported (only %s)", o.Encryption, wire.CipherAES)
	}
	if o.EncryptionKeyfile == "" {
		return nil, errors.New("encryption needs a key: give it with --encryption-keyfile")
	}
	key, err := wire.LoadKey(o.EncryptionKeyfile)
	if err != nil {
		return nil, err
	}
	return &Cipher{key: key}, nil
}

// Prepare adds the cipher keys to a hello about to be sent and makes r
// decrypt with them: the server's next packet is encrypted.
func (cc *Cipher) Prepare(r *wire.Reader, hello wire.Dict) error {
	if cc == nil {
		return nil
	}
	p, err := wire.NewCipherParams(wire.PaddingPKCS7)
	if err != nil {
		return err
	}
	d, err := wire.NewDecrypter(cc.key, p)
	if err != nil {
		return err
	}
	r.SetDecrypter(d)
	maps.Copy(hello, p.Caps())
	return nil
}

// Accept reads the server's parameters from its hello or challenge
// keys and makes w encrypt with them.
func (cc *Cipher) Accept(w *wire.Writer, caps wire.Dict) error {
	if cc == nil {
		return nil
	}
	p, ok, err := wire.ParseCipherCaps(caps)
	if err != nil {
		return fmt.Errorf("the server's encryption: %w", err)
	}
	if !ok {
		return errors.New("the server does not use encryption, which this client requires")
	}
	e, err := wire.NewEncrypter(cc.key, p)
	if err != nil {
		return err
	}
	w.SetEncrypter(e)
	return nil
}
