package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
	"github.com/xroam/xroam/sdk/auth"
)

// authFailureDelay slows down password guessing; xpra waits about as long
// before it answers a failed attempt.
const authFailureDelay = time.Second

// authModule is one configured module of a socket type's chain.
type authModule struct {
	spec string // as logged: secrets redacted
	a    auth.Authenticator
}

// authSpecs returns the --*-auth option of a socket type.
func authSpecs(cfg *config.Config, socketType string) []string {
	switch socketType {
	case "unix":
		return cfg.Auth
	case "tcp":
		return cfg.TCPAuth
	case "ssl":
		return cfg.SSLAuth
	case "ws":
		return cfg.WSAuth
	case "wss":
		return cfg.WSSAuth
	case "vsock":
		return cfg.VsockAuth
	case "quic":
		return cfg.QUICAuth
	}
	return nil
}

// setupAuth opens every module the configuration names, so that a
// mistake in an --auth option or an auth block stops the start with a
// clear message instead of failing the first client.
func (s *Server) setupAuth(ctx context.Context) error {
	s.auth = map[string][]authModule{}
	s.limit = newAuthLimiter(defaultLimits, s.log)
	for _, st := range []string{"unix", "tcp", "ssl", "ws", "wss", "vsock", "quic"} {
		for _, spec := range authSpecs(s.cfg, st) {
			sp, err := pluginhost.AuthSpecFor(spec, s.opts.Effective)
			if err != nil {
				return fmt.Errorf("--%s: %w", authOption(st), err)
			}
			shown := config.RedactSpec(spec)
			if s.opts.Plugins == nil {
				return fmt.Errorf("--%s=%s: no plugin host", authOption(st), shown)
			}
			a, err := s.opts.Plugins.Auth(ctx, sp)
			if err != nil {
				return fmt.Errorf("--%s=%s: %w", authOption(st), shown, err)
			}
			s.auth[st] = append(s.auth[st], authModule{spec: shown, a: a})
		}
	}
	return nil
}

func authOption(socketType string) string {
	if socketType == "unix" {
		return "auth"
	}
	return socketType + "-auth"
}

// peerOf describes the connection's other end, with SO_PEERCRED on unix
// sockets.
func peerOf(nc net.Conn) auth.Peer {
	p := auth.Peer{Network: nc.LocalAddr().Network(), Addr: nc.RemoteAddr().String()}
	uc, ok := nc.(*net.UnixConn)
	if !ok {
		return p
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return p
	}
	_ = raw.Control(func(fd uintptr) {
		cred, err := syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
		if err == nil {
			p.HasCreds, p.UID, p.GID, p.PID = true, cred.Uid, cred.Gid, cred.Pid
		}
	})
	return p
}

// authenticate runs the socket type's modules in order. A module that
// holds a password sends xpra's challenge and reads the client's next,
// complete hello. It returns the hello to go on with, or false after
// refusing the client (which has then been told "authentication failed").
func (s *Server) authenticate(ctx context.Context, c *clientConn, caps wire.Dict, log *slog.Logger) (wire.Dict, bool) {
	st, mods := s.authChain(c.nc)
	if requestKind(caps) == "version" {
		return caps, true
	}
	if len(mods) == 0 {
		if !ownerOnlyTypes[st] {
			return caps, true
		}
		uid, err := ownerOnly(c.nc)
		if err != nil {
			log.Warn("connection refused: the socket has no authentication", "socket-type", st, "peer-uid", uid, "reason", err.Error())
			c.disconnect(reasonAuthRequired, fmt.Sprintf("this %s socket has no --%s: only the session's owner may connect", st, authOption(st)))
			return nil, false
		}
		return caps, true
	}
	peer := peerOf(c.nc)
	display := fmt.Sprintf(":%d", s.display)
	deny := func(module, reason string) (wire.Dict, bool) {
		log.Warn("authentication failed", "module", module, "username", caps.Str("username", ""), "reason", reason)
		_ = auth.FailureDelay(ctx, authFailureDelay)
		c.disconnect(xpra.ReasonAuthenticationFailed)
		return nil, false
	}
	// refuse turns away a user who proved who they are but may not have
	// this session as they asked: they are told why.
	refuse := func(module string, err error) (wire.Dict, bool) {
		log.Warn("login refused", "module", module, "username", caps.Str("username", ""), "reason", err.Error())
		c.disconnect(xpra.ReasonAuthenticationFailed, err.Error())
		return nil, false
	}
	// throttle refuses, unchecked, a login that the limiter holds back
	// (it logs when it engages).
	throttle := func(module string, err error) (wire.Dict, bool) {
		log.Debug("login throttled", "module", module, "reason", err.Error())
		c.disconnect(xpra.ReasonAuthenticationFailed, err.Error())
		return nil, false
	}
	limitPeer := peerKey(peer)
	if err := s.limit.check(limitPeer, time.Now()); err != nil {
		return throttle("", err)
	}
	who := &authResult{}
	for _, m := range mods {
		username := caps.Str("username", "")
		if err := auth.CheckUsername(username); err != nil {
			return deny(m.spec, err.Error())
		}
		prep, err := m.a.Prepare(ctx, &auth.PrepareRequest{Username: username, Peer: peer, Display: display, ClientDigests: caps.Strings("digest")})
		if err != nil {
			return deny(m.spec, err.Error())
		}
		req := &auth.Request{Username: username, Peer: peer, Display: display, SocketType: st}
		if prep.Challenge {
			digest := auth.ChooseDigest(prep.Digests, caps.Strings("digest"))
			if digest == "" {
				return deny(m.spec, fmt.Sprintf("no digest in common: the module takes %v, the client offers %v", prep.Digests, caps.Strings("digest")))
			}
			saltDigest := auth.ChooseDigest(auth.HMACDigests(), caps.Strings("salt-digest"))
			if saltDigest == "" {
				return deny(m.spec, "the client offers no HMAC salt digest")
			}
			salt, err := auth.NewServerSalt()
			if err != nil {
				return deny(m.spec, err.Error())
			}
			prompt := prep.Prompt
			if prompt == "" {
				prompt = "password"
			}
			ch := xpra.Challenge{ServerSalt: salt, CipherCaps: c.cipherCaps, Digest: digest, SaltDigest: saltDigest, Prompt: prompt}
			if err := c.w.WritePacket(ch.Packet()); err != nil {
				return nil, false
			}
			next, err := c.readHello()
			if err != nil {
				return deny(m.spec, "no answer to the challenge: "+err.Error())
			}
			caps = next
			if err := s.setupCipher(c, caps); err != nil {
				return deny(m.spec, err.Error())
			}
			req.Challenge = &auth.Challenge{
				Digest:     digest,
				SaltDigest: saltDigest,
				ServerSalt: salt,
				ClientSalt: caps.Bytes("challenge_client_salt"),
				Response:   caps.Bytes("challenge_response"),
			}
			req.Username = caps.Str("username", username)
			if err := auth.CheckUsername(req.Username); err != nil {
				return deny(m.spec, err.Error())
			}
		}
		var endCheck func(bool, time.Time)
		if prep.Challenge {
			if endCheck, err = s.limit.begin(limitPeer, socketKey(st, c.nc), time.Now()); err != nil {
				return throttle(m.spec, err)
			}
		}
		resp, err := m.a.Authenticate(ctx, req)
		if endCheck != nil {
			endCheck(auth.Allowed(resp, err), time.Now())
		}
		if !auth.Allowed(resp, err) {
			reason := "denied"
			if err != nil {
				reason = err.Error()
			} else if resp != nil && resp.Reason != "" {
				reason = resp.Reason
			}
			return deny(m.spec, reason)
		}
		user := cmp.Or(resp.Username, req.Username)
		if !mayReach(resp.Displays, display) {
			return refuse(m.spec, fmt.Errorf("user %q may not access display %s (allowed: %s)", user, display, strings.Join(resp.Displays, ", ")))
		}
		if err := who.add(user, resp.HasIDs, resp.UID, resp.GID, resp.Env, resp.SessionOptions); err != nil {
			return refuse(m.spec, err)
		}
		who.secret = who.secret || req.Challenge != nil
		log.Info("authenticated", "module", m.spec, "username", req.Username)
	}
	if err := who.check(currentIDs()); err != nil {
		return refuse("", err)
	}
	c.who = who
	return caps, true
}

// readHello reads the client's answer to a challenge, within the login
// timeout.
func (c *clientConn) readHello() (wire.Dict, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(loginTimeout))
	defer c.nc.SetReadDeadline(time.Time{})
	pkt, err := c.r.ReadPacket()
	if err != nil {
		return nil, err
	}
	if pkt.Type() == xpra.TypeDisconnect {
		d, _ := xpra.ParseDisconnect(pkt)
		return nil, errors.New("the client gave up: " + d.Reason)
	}
	return xpra.ParseHello(pkt)
}
