package dial

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"runtime"
	"time"

	"github.com/xroam/xroam/core/sockdir"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
	"github.com/xroam/xroam/sdk/auth"
)

// RequestConn is a command-line client's connection: the request hello
// has been answered.
type RequestConn struct {
	NC     net.Conn
	R      *wire.Reader
	W      *wire.Writer
	Server wire.Dict
	// Reply is the answer of requests answered without a hello
	// (screenshot); Server is nil then.
	Reply wire.Packet
}

// Close closes the connection.
func (rc *RequestConn) Close() error { return rc.NC.Close() }

// DisconnectedError is a server's refusal or goodbye.
type DisconnectedError struct {
	Reason string
	Extra  []string
}

func (e *DisconnectedError) Error() string {
	s := "the server disconnected: " + e.Reason
	for _, x := range e.Extra {
		s += ": " + x
	}
	return s
}

// requestHello is what xroam's command-line clients send: the request
// string and xpra's legacy boolean, and nothing that would make the server
// set up a UI session.
func requestHello(kind string, extra wire.Dict) wire.Dict {
	host, _ := os.Hostname()
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	h := xpra.ProtocolCaps()
	for k, v := range map[string]any{
		"client_type":       "xroam",
		"compression_level": int64(0), // replies are small; no need to compress
		"hostname":          host,
		"username":          name,
		"platform":          runtime.GOOS,
		"uuid":              fmt.Sprintf("%x", time.Now().UnixNano()),
		"request":           kind,
		kind + "_request":   true,
		"info-namespace":    true,
		"ui_client":         false,
		"windows":           false,
		"keyboard":          false,
		"wants_aliases":     false,
		"wants_encodings":   false,
		"wants_versions":    false,
		"wants_features":    false,
		"wants_sound":       false,
		"digest":            append(auth.HMACDigests(), auth.XOR),
		"salt-digest":       auth.HMACDigests(),
	} {
		h[k] = v
	}
	if kind == "version" {
		h["full-version-request"] = true
	}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

// Request connects, sends a request hello of the given kind and reads the
// server's reply hello. Requests answered by a disconnect (detach) return
// a *DisconnectedError carrying the server's words.
func Request(ctx context.Context, p sockdir.Paths, t Target, kind string, extra wire.Dict) (*RequestConn, error) {
	return RequestWithPassword(ctx, p, t, kind, extra, nil)
}

// RequestWithPassword is Request for servers that may challenge: password
// answers the challenge (nil: a challenge is an error saying so).
func RequestWithPassword(ctx context.Context, p sockdir.Paths, t Target, kind string, extra wire.Dict, password []byte) (*RequestConn, error) {
	cc, err := NewCipher(t.Opts)
	if err != nil {
		return nil, err
	}
	if kind == "version" {
		// xpra answers version requests before any login or encryption.
		cc = nil
	}
	nc, _, err := Connect(ctx, p, t)
	if err != nil {
		return nil, err
	}
	rc := &RequestConn{NC: nc, R: wire.NewReader(nc), W: wire.NewWriter(nc)}
	// rencode is understood by every xpra from 0.14 to 5 and by xroam.
	rc.W.SetEncoding(wire.Rencode)
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	_ = nc.SetDeadline(time.Now().Add(15 * time.Second))
	hello := requestHello(kind, extra)
	if err := cc.Prepare(rc.R, hello); err != nil {
		nc.Close()
		return nil, err
	}
	if err := rc.W.WritePacket(xpra.NewHello(hello)); err != nil {
		nc.Close()
		return nil, fmt.Errorf("sending the request: %w", err)
	}
	for {
		pkt, err := rc.R.ReadPacket()
		if err != nil {
			nc.Close()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("reading the reply: %w", err)
		}
		switch pkt.Type() {
		case xpra.TypeHello:
			caps, err := xpra.ParseHello(pkt)
			if err != nil {
				nc.Close()
				return nil, err
			}
			// xpra announces its parameters only in a session's hello:
			// a request's reply has none (it came encrypted, or the
			// reader would have refused it), and what the client sends
			// next keeps the challenge's parameters.
			if _, ok, _ := wire.ParseCipherCaps(caps); ok {
				if err := cc.Accept(rc.W, caps); err != nil {
					nc.Close()
					return nil, err
				}
			}
			rc.Server = caps
			rc.W.Apply(wire.Negotiate(caps))
			_ = nc.SetDeadline(time.Time{})
			return rc, nil
		case xpra.TypeDisconnect:
			d, _ := xpra.ParseDisconnect(pkt)
			nc.Close()
			return nil, &DisconnectedError{Reason: d.Reason, Extra: d.Extra}
		case xpra.TypeScreenshot:
			rc.Reply = pkt
			_ = nc.SetDeadline(time.Time{})
			return rc, nil
		case xpra.TypeChallenge:
			if password == nil {
				nc.Close()
				return nil, errors.New("the server asks for a password: give it with --password-file")
			}
			answer, err := AnswerChallenge(pkt, password)
			if err != nil {
				nc.Close()
				return nil, err
			}
			for k, v := range answer {
				hello[k] = v
			}
			if cc != nil {
				// The challenge carries the server's parameters; the
				// new hello announces new ones of ours.
				ch, _ := xpra.ParseChallenge(pkt)
				if err := cc.Accept(rc.W, ch.CipherCaps); err != nil {
					nc.Close()
					return nil, err
				}
				if err := cc.Prepare(rc.R, hello); err != nil {
					nc.Close()
					return nil, err
				}
			}
			if err := rc.W.WritePacket(xpra.NewHello(hello)); err != nil {
				nc.Close()
				return nil, fmt.Errorf("answering the challenge: %w", err)
			}
		}
		// Anything else before the hello (e.g. startup packets) is skipped.
	}
}

// WaitDisconnect reads until the server's disconnect packet or the end of
// the connection, and returns the reason ("" when the link just closed).
func (rc *RequestConn) WaitDisconnect(timeout time.Duration) (string, error) {
	_ = rc.NC.SetReadDeadline(time.Now().Add(timeout))
	for {
		pkt, err := rc.R.ReadPacket()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return "", fmt.Errorf("no answer from the server in %s", timeout)
			}
			return "", nil
		}
		if pkt.Type() == xpra.TypeDisconnect {
			d, _ := xpra.ParseDisconnect(pkt)
			return d.Reason, nil
		}
	}
}

// AnswerChallenge computes the keys a client adds to its hello to answer
// xpra's ["challenge", server_salt, cipher, digest, salt_digest, prompt].
func AnswerChallenge(pkt wire.Packet, password []byte) (wire.Dict, error) {
	chal, err := xpra.ParseChallenge(pkt)
	if err != nil {
		return nil, fmt.Errorf("malformed challenge from the server: %w", err)
	}
	serverSalt, digest, saltDigest := chal.ServerSalt, chal.Digest, chal.SaltDigest
	if len(serverSalt) < 16 || digest == "" {
		return nil, errors.New("malformed challenge from the server")
	}
	if saltDigest == "" {
		saltDigest = auth.XOR
	}
	n := 32
	if saltDigest == auth.XOR {
		n = len(serverSalt)
	}
	clientSalt := make([]byte, n)
	if _, err := rand.Read(clientSalt); err != nil {
		return nil, err
	}
	ch, err := auth.ClientResponse(digest, saltDigest, serverSalt, clientSalt, password)
	if err != nil {
		return nil, fmt.Errorf("answering the %s challenge: %w", digest, err)
	}
	return wire.Dict{"challenge_response": ch.Response, "challenge_client_salt": clientSalt}, nil
}

// ReadPasswordFile reads a password file as xpra's client does: every
// byte, a trailing newline included, so that the same file logs in to an
// xpra server too.
func ReadPasswordFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("password file %s is empty", path)
	}
	return b, nil
}
