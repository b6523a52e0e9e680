package session

import (
	"cmp"
	"errors"
	"fmt"
	"maps"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
)

// encryptionPolicy is what a server asks of connections of one socket
// type: whether they must encrypt, and the key file. TCP connections use
// the tcp- options first, as in xpra.
func (s *Server) encryptionPolicy(socketType string) (cipher, keyfile string) {
	if socketType == "tcp" {
		return cmp.Or(s.cfg.TCPEncryption, s.cfg.Encryption), cmp.Or(s.cfg.TCPEncryptionKeyfile, s.cfg.EncryptionKeyfile)
	}
	return s.cfg.Encryption, s.cfg.EncryptionKeyfile
}

// checkEncryption refuses, at start-up, encryption options that no
// connection could use.
func (s *Server) checkEncryption() error {
	for _, o := range []struct{ name, cipher, keyfile string }{
		{"encryption", s.cfg.Encryption, s.cfg.EncryptionKeyfile},
		{"tcp-encryption", s.cfg.TCPEncryption, cmp.Or(s.cfg.TCPEncryptionKeyfile, s.cfg.EncryptionKeyfile)},
	} {
		if o.cipher == "" {
			continue
		}
		if o.cipher != wire.CipherAES {
			return fmt.Errorf("--%s=%s is not supported (only %s)", o.name, o.cipher, wire.CipherAES)
		}
		if o.keyfile == "" {
			return fmt.Errorf("--%s needs a key: give it with --%s-keyfile", o.name, o.name)
		}
		if _, err := wire.LoadKey(o.keyfile); err != nil {
			return err
		}
	}
	return nil
}

// setupCipher reads the cipher keys of a client's hello. With them, what
// the server sends from now on is encrypted with the client's parameters,
// and what it receives with new ones of its own, announced by the next
// challenge or hello (c.cipherCaps). Each hello starts afresh, as xpra's
// client makes new parameters for each.
func (s *Server) setupCipher(c *clientConn, caps wire.Dict) error {
	required, keyfile := s.encryptionPolicy(c.nc.LocalAddr().Network())
	p, ok, err := wire.ParseCipherCaps(caps)
	if err != nil {
		return err
	}
	if !ok {
		if required != "" {
			return errors.New("missing encryption tokens: this server requires " + required + " encryption")
		}
		return nil
	}
	if keyfile == "" {
		return errors.New("encryption key is missing: the server has no encryption-keyfile")
	}
	key, err := wire.LoadKey(keyfile)
	if err != nil {
		return err
	}
	e, err := wire.NewEncrypter(key, p)
	if err != nil {
		return err
	}
	mine, err := wire.NewCipherParams(wire.ChoosePadding(caps))
	if err != nil {
		return err
	}
	d, err := wire.NewDecrypter(key, mine)
	if err != nil {
		return err
	}
	c.w.SetEncrypter(e)
	c.r.SetDecrypter(d)
	c.cipherCaps = mine.Caps()
	return nil
}

// helloPacket is a hello to this connection, with the cipher keys when
// it is encrypted.
func (c *clientConn) helloPacket(caps wire.Dict) wire.Packet {
	if len(c.cipherCaps) == 0 {
		return xpra.NewHello(caps)
	}
	h := maps.Clone(caps)
	maps.Copy(h, c.cipherCaps)
	return xpra.NewHello(h)
}
