package session

import (
	"context"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"time"

	"github.com/xroam/xroam/core/mmap"
	"github.com/xroam/xroam/core/wire"
)

// mmapAccept maps the area a client's hello offers, when --mmap allows
// it and the client's token is found where it says; it returns the area
// (nil: draws go on the socket) and the keys of the reply, which carry a
// token of the server's for the client to check. The client is trusted no
// more than for any other key: the file must be a regular one of at
// least mmap.MinSize whose token matches a non-zero one, so that a
// client cannot have the server write into a file it could not write
// itself without knowing its contents. Only a client on this machine
// (local is false for any other) can share a file with the server, so
// no other is trusted with naming one.
func (s *Server) mmapAccept(caps wire.Dict, local bool, log *slog.Logger) (*mmap.Area, wire.Dict) {
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
	if !local {
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
	if path != "" {
		file = path
	}
	area, err := mmap.Open(file, int(caps.Int(key("size"), 0)), mmap.MinSize)
	if err != nil {
		log.Warn("mmap: cannot use the client's area", "err", err)
		return nil, reply
	}
	want := mmap.Token(caps, key("token"))
	index := int(caps.Int(key("token_index"), mmap.DefaultTokenIndex))
	count := int(caps.Int(key("token_bytes"), mmap.DefaultTokenBytes))
	got, err := area.ReadToken(index, count)
	if err == nil && (want == nil || want.Sign() <= 0 || got.Cmp(want) != 0) {
		err = errors.New("the token is not where the client said")
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

// mmapInfo is the mmap part of info: what --mmap allows and what the
// attached clients' pipelines did with their areas.
func (s *Server) mmapInfo(ctx context.Context) map[string]any {
	on, path, _ := mmap.ParseOption(s.cfg.Mmap)
	out := map[string]any{"supported": on, "filename": path}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var enabled, bytes, full, size int64
	for _, p := range s.clientPipelines(nil) {
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
