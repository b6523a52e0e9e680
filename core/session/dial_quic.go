package session

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/xroam/xroam/sdk/transport/quicconn"
)

// dialQUIC opens a QUIC connection with the TLS checks of ssl:// and
// carries xpra's protocol on its first stream.
func dialQUIC(ctx context.Context, t Target) (net.Conn, error) {
	cfg, err := clientTLSConfig(t)
	if err != nil {
		return nil, err
	}
	cfg.NextProtos = []string{quicconn.ALPN}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := quic.DialAddr(dctx, t.Address, cfg, quicconn.Config(10*time.Second))
	if err != nil {
		return nil, err
	}
	s, err := c.OpenStreamSync(dctx)
	if err != nil {
		_ = c.CloseWithError(0, "")
		return nil, fmt.Errorf("opening the QUIC stream: %w", err)
	}
	return quicconn.New(c, s, 0), nil
}
