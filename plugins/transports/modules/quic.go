package modules

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
	"github.com/xroam/xroam/sdk/transport"
	"github.com/xroam/xroam/sdk/transport/quicconn"
)

// QUICSocketType is the socket type of --bind-quic, as --quic-auth names it.
const QUICSocketType = transport.QUIC

// QUIC is the quic transport: UDP sockets whose QUIC connections carry
// xpra's protocol on their first bidirectional stream, relayed to the core.
func QUIC() plugin.Transport {
	return plugin.Transport{Name: "quic", Version: Version, Schema: commonSchema(),
		New: func(_ context.Context, cfg schema.Values) (transport.Transport, error) {
			return newQUIC(cfg)
		}}
}

type quicTransport struct {
	tls     *tls.Config
	timeout time.Duration
	log     *slog.Logger
}

func newQUIC(cfg schema.Values) (*quicTransport, error) {
	d, err := time.ParseDuration(cfg.String(AttrHandshakeTimeout))
	if err != nil || d <= 0 {
		return nil, fmt.Errorf("handshake_timeout=%q: a positive duration is required", cfg.String(AttrHandshakeTimeout))
	}
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	if tc == nil {
		return nil, errors.New("QUIC sockets need a certificate: give --ssl-cert (and --ssl-key when the key is in its own file)")
	}
	tc = tc.Clone()
	// QUIC is TLS 1.3 only, whatever --ssl-protocol says.
	tc.MinVersion = tls.VersionTLS13
	tc.NextProtos = []string{quicconn.ALPN}
	return &quicTransport{tls: tc, timeout: d, log: slog.New(slog.NewTextHandler(os.Stderr, nil)).With("transport", "quic")}, nil
}

func (q *quicTransport) Listen(ctx context.Context, req *transport.ListenRequest, h transport.Handoff) (*transport.ListenResponse, error) {
	var ls []*quic.Listener
	closeAll := func() {
		for _, l := range ls {
			l.Close()
		}
	}
	resp := &transport.ListenResponse{}
	for _, b := range req.Binds {
		if b.SocketType != QUICSocketType {
			closeAll()
			return nil, fmt.Errorf("the quic transport does not listen on %s sockets", b.SocketType)
		}
		l, err := quic.ListenAddr(b.Address, q.tls, quicconn.Config(q.timeout))
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("--bind-quic=%s: %w", b.Address, err)
		}
		ls = append(ls, l)
		resp.Addresses = append(resp.Addresses, l.Addr().String())
	}
	for _, l := range ls {
		go q.accept(ctx, l, h)
	}
	go func() {
		<-ctx.Done()
		closeAll()
	}()
	return resp, nil
}

func (q *quicTransport) accept(ctx context.Context, l *quic.Listener, h transport.Handoff) {
	for {
		c, err := l.Accept(ctx)
		if err != nil {
			if errors.Is(err, quic.ErrServerClosed) || ctx.Err() != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		go q.serve(ctx, c, h)
	}
}

// serve waits for the connection's first stream (a client opens it with
// its hello) and relays it to the core; the connection ends with it.
func (q *quicTransport) serve(ctx context.Context, c *quic.Conn, h transport.Handoff) {
	actx, cancel := context.WithTimeout(ctx, q.timeout)
	s, err := c.AcceptStream(actx)
	cancel()
	if err != nil {
		q.log.Info("no stream on the QUIC connection", "peer", c.RemoteAddr().String(), "err", err)
		_ = c.CloseWithError(0, "no stream")
		return
	}
	sc := quicconn.New(c, s, 2*time.Second)
	meta := transport.Meta{SocketType: QUICSocketType, BindType: QUICSocketType, Peer: c.RemoteAddr().String(), Local: c.LocalAddr().String()}
	r, err := h.Relay(meta)
	if err != nil {
		q.log.Warn("cannot hand the connection over", "peer", meta.Peer, "err", err)
		sc.Close()
		return
	}
	transport.Pipe(sc, r)
}
