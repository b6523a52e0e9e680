package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"time"

	"github.com/xroam/xroam/core/mmap"
	"github.com/xroam/xroam/core/wire"
)

// mmapSubsystem sends a local client's draws through a file it shares
// with the server (--mmap), instead of the socket.
type mmapSubsystem struct {
	s *Server
}

func (*mmapSubsystem) Name() string { return "mmap" }

// Caps maps the area the client offers, if it may use one, and answers
// with mmap_enabled and the server's token. The area waits on the
// connection for the client's pixel pipeline (see windowsSubsystem.Attach).
func (m *mmapSubsystem) Caps(_ context.Context, a *attachment) (wire.Dict, error) {
	var reply wire.Dict
	a.c.mmap, reply = m.accept(a.c.caps, mmapPeerOf(a.c), a.log)
	return reply, nil
}

// Attach closes an area that no pipeline took (a session without
// windows); it runs after the windows' attach.
func (m *mmapSubsystem) Attach(_ context.Context, a *attachment) (func(), error) {
	if a.c.mmap != nil {
		_ = a.c.mmap.Close()
		a.c.mmap = nil
	}
	return nil, nil
}

// mmapPeer is what the server knows of a client that offers an area.
type mmapPeer struct {
	// local: on this machine (the unix socket, loopback).
	local bool
	// hasUID: uid is the peer's, from SO_PEERCRED (unix sockets).
	hasUID bool
	uid    uint32
	// proved: the client logged in with a secret (it answered a
	// password module's challenge).
	proved bool
}

// mmapPeerOf describes c for accept.
func mmapPeerOf(c *clientConn) mmapPeer {
	p := mmapPeer{local: peerIsLocal(c.nc), proved: c.who != nil && c.who.secret}
	if _, ok := c.nc.(*net.UnixConn); ok {
		if cred := peerOf(c.nc); cred.HasCreds {
			p.hasUID, p.uid = true, cred.UID
		}
	}
	return p
}

// fileOwner is the uid the file a client names must belong to, or why
// none will do. The server may run as root and writes into the file: a
// client must not make it write where the client could not. On a unix
// socket the peer's uid is known, and its own files are what it may
// offer. Elsewhere (loopback TCP, a transport plugin's connection) the
// peer is no one in particular: only a client that proved a secret may
// offer a file, and only one of the server's own user.
func (p mmapPeer) fileOwner(serverUID int) (int, error) {
	switch {
	case p.hasUID:
		return int(p.uid), nil
	case p.proved:
		return serverUID, nil
	}
	return 0, errors.New("the client's uid is unknown (not on the unix socket) and it did not log in with a password")
}

// accept maps the area a client's hello offers, when --mmap allows
// it, the file is one the client may have the server write into (see
// fileOwner; a path that --mmap names is the administrator's choice and
// belongs to anyone) and the client's full-size token is where it says;
// it returns the area (nil: draws go on the socket) and the keys of the
// reply, which carry a token of the server's for the client to check,
// at an offset the server chooses. Only a client on this machine can
// share a file with the server, so no other is trusted with naming one.
func (m *mmapSubsystem) accept(caps wire.Dict, peer mmapPeer, log *slog.Logger) (*mmap.Area, wire.Dict) {
	s := m.s
	reply := wire.Dict{"mmap_enabled": false}
	sep := "_"
	if caps.Bool("mmap.namespace", false) {
		sep = "."
	}
	key := func(k string) string { return "mmap" + sep + k }
	file := caps.Str(key("file"), "")
	if file == "" {
		return nil, reply
	}
	on, path, _ := mmap.ParseOption(s.cfg.Mmap) // checked when the server started
	if !on {
		log.Info("mmap: the client offers an area, refused (--mmap=no)")
		return nil, reply
	}
	if !peer.local {
		log.Info("mmap: the client offers an area, refused: it is not on this machine")
		return nil, reply
	}
	// An encoding asked for by name (png, h264, ...) wins: mmap replaces
	// only the raw draws of rgb and auto.
	for _, pref := range []string{s.cfg.Encoding, caps.Str("encoding", "")} {
		if !isRGB(pref) {
			log.Info("mmap: not used, the draws are "+pref, "file", file)
			return nil, reply
		}
	}
	owner := mmap.AnyOwner
	if path != "" {
		file = path
	} else {
		o, err := peer.fileOwner(os.Geteuid())
		if err != nil {
			log.Warn("mmap: the client offers an area, refused", "file", file, "reason", err.Error())
			return nil, reply
		}
		owner = o
	}
	area, err := mmap.Open(file, int(caps.Int(key("size"), 0)), mmap.MinSize, owner)
	if err != nil {
		log.Warn("mmap: cannot use the client's area", "err", err)
		return nil, reply
	}
	index := int(caps.Int(key("token_index"), mmap.DefaultTokenIndex))
	count := int(caps.Int(key("token_bytes"), mmap.DefaultTokenBytes))
	err = area.CheckToken(mmap.Token(caps, key("token")), index, count)
	if err != nil {
		err = fmt.Errorf("the token is not where the client said: %w", err)
	}
	var tok *big.Int
	if err == nil {
		tok, err = mmap.NewToken()
	}
	// xpra 3.1.3 writes its token at the end of the area for clients that
	// say where theirs is, else at the old fixed place.
	index = mmap.DefaultTokenIndex
	if caps.Int("mmap_token_index", 0) != 0 || caps.Int("mmap.token_index", 0) != 0 {
		index = area.Size() - mmap.DefaultTokenBytes
	}
	if err == nil {
		err = area.WriteToken(tok, index, mmap.DefaultTokenBytes)
	}
	if err != nil {
		log.Warn("mmap: not using the client's area", "file", file, "err", err)
		_ = area.Close()
		return nil, reply
	}
	reply["mmap_enabled"] = true
	reply[key("token")] = tok
	reply[key("token_index")] = int64(index)
	reply[key("token_bytes")] = int64(mmap.DefaultTokenBytes)
	log.Info("mmap: draws go through the client's area", "file", file, "bytes", area.Size())
	return area, reply
}

// Info is what --mmap allows and what the attached clients' pipelines
// did with their areas.
func (m *mmapSubsystem) Info(ctx context.Context) map[string]any {
	s := m.s
	on, path, _ := mmap.ParseOption(s.cfg.Mmap)
	out := map[string]any{"supported": on, "filename": path}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var enabled, bytes, full, size int64
	for _, p := range s.win.pipelines(nil) {
		if n := p.MMapSize(); n > 0 {
			enabled++
			size = int64(n)
			st := p.Stats(ctx)
			bytes += st.MMapBytes
			full += st.MMapFull
		}
	}
	out["enabled"] = enabled > 0
	out["clients"] = enabled
	out["size"] = size
	out["bytes"] = bytes
	out["full"] = full
	return out
}

// peerIsLocal says whether a connection comes from this machine: the
// session's unix socket, or a loopback address (also for the connections
// that transport plugins hand over or relay, which carry the peer's
// address).
func peerIsLocal(nc net.Conn) bool {
	if _, ok := nc.(*net.UnixConn); ok {
		return true
	}
	host, _, err := net.SplitHostPort(nc.RemoteAddr().String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
