package client

import (
	"errors"
	"fmt"

	"github.com/xroam/xroam/core/dial"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
	"github.com/xroam/xroam/sdk/auth"
)

// digests are the challenge digests offered. xor, which hands the
// password over merely masked, is offered only where the link is private
// (local sockets, TLS, ssh, AES), as xpra's client does.
func (c *client) digests() (digest, salt []string) {
	digest = auth.HMACDigests()
	if c.target.Encrypted() || c.cipher != nil {
		digest = append(digest, auth.XOR)
	}
	return digest, auth.HMACDigests()
}

// handleChallenge answers the server's challenge with a second, complete
// hello carrying the response.
func (c *client) handleChallenge(p wire.Packet) error {
	if c.cfg.Password == nil {
		return errors.New("the server asks for a password: give it with --password-file")
	}
	if c.challenged {
		return errors.New("authentication failed: the server challenged again")
	}
	c.challenged = true
	answer, err := dial.AnswerChallenge(p, c.cfg.Password)
	if err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	h := c.hello()
	for k, v := range answer {
		h[k] = v
	}
	if c.cipher != nil {
		// The challenge carries the server's parameters; the new hello
		// announces new ones of ours.
		ch, err := xpra.ParseChallenge(p)
		if err != nil {
			return err
		}
		if err := c.cipher.Accept(c.w, ch.CipherCaps); err != nil {
			return err
		}
		if err := c.cipher.Prepare(c.r, h); err != nil {
			return err
		}
	}
	return c.send(xpra.NewHello(h))
}
