package plugintest_test

import (
	"bytes"
	"context"
	"net"
	"testing"

	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/plugintest"
	"github.com/xroam/xroam/sdk/schema"
	"github.com/xroam/xroam/sdk/shm"
	"github.com/xroam/xroam/sdk/transport"
)

type pw struct{ secret []byte }

func (p pw) Prepare(context.Context, *auth.PrepareRequest) (*auth.PrepareResponse, error) {
	return auth.PasswordDigests(), nil
}

func (p pw) Authenticate(_ context.Context, req *auth.Request) (*auth.Response, error) {
	if !auth.CheckPassword(req, p.secret) {
		return auth.Deny("wrong"), nil
	}
	return &auth.Response{Allowed: true, Username: req.Username, Env: map[string]string{"K": "V"}}, nil
}

func pwPlugin() plugin.Auth {
	return plugin.Auth{Name: "pw", Version: "1",
		Schema: schema.Schema{Attrs: []schema.Attr{{Name: "secret", Type: schema.String, Default: "s"}}},
		New: func(_ context.Context, cfg schema.Values) (auth.Authenticator, error) {
			return pw{secret: []byte(cfg.String("secret"))}, nil
		}}
}

func TestHarness(t *testing.T) {
	plugintest.AuthConformance(t, pwPlugin(), map[string]any{"secret": "x"},
		plugintest.Credentials{Username: "u", Password: "x"}, plugintest.Credentials{Username: "u", Password: "y"})
	a := plugintest.Auth(t, pwPlugin(), nil)
	r, err := plugintest.Login(context.Background(), a, plugintest.Credentials{Username: "u", Password: "s"})
	if !auth.Allowed(r, err) || r.Env["K"] != "V" || r.Username != "u" {
		t.Fatalf("default secret: %+v %v", r, err)
	}
}

type sum struct{}

func (sum) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: []string{"sum"}}, nil
}

func (sum) Encode(_ context.Context, req *encoder.Request) (*encoder.Response, error) {
	var s byte
	for _, b := range req.Frame.Pixels {
		s += b
	}
	return &encoder.Response{Encoding: "sum", Data: []byte{s}, Options: map[string]any{"n": len(req.Frame.Pixels), "l": []string{"a"}}}, nil
}

func TestEncoderHarness(t *testing.T) {
	e := plugintest.Encoder(t, plugin.Encoder{Name: "sum", Version: "1", New: func(context.Context, schema.Values) (encoder.Encoder, error) {
		return sum{}, nil
	}}, nil)
	seg, err := shm.Create(1 << 16)
	if err != nil {
		t.Skipf("no shared memory: %v", err)
	}
	defer seg.Close()
	copy(seg.Bytes()[100:], bytes.Repeat([]byte{1}, 400))
	f, err := encoder.FrameIn(seg, 100, 10, 10, 40, "BGRX")
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Encode(context.Background(), &encoder.Request{Encoding: "sum", Frame: f})
	if err != nil {
		t.Fatal(err)
	}
	if r.Data[0] != byte(400%256) || r.Options["n"] != int64(400) {
		t.Fatalf("got %v %v", r.Data, r.Options)
	}
	if _, err := encoder.FrameIn(seg, 1<<16-10, 10, 10, 40, "BGRX"); err == nil {
		t.Fatal("frame past the segment accepted")
	}
}

// plainTCP is the smallest transport: every connection handed over as is.
type plainTCP struct{}

func (plainTCP) Listen(ctx context.Context, req *transport.ListenRequest, h transport.Handoff) (*transport.ListenResponse, error) {
	l, err := net.Listen("tcp", req.Binds[0].Address)
	if err != nil {
		return nil, err
	}
	go func() { <-ctx.Done(); l.Close() }()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f, err := c.(*net.TCPConn).File()
			if err == nil {
				_ = h.Pass(transport.Meta{SocketType: "tcp", Peer: c.RemoteAddr().String(), Local: c.LocalAddr().String()}, f)
				f.Close()
			}
			c.Close()
		}
	}()
	return &transport.ListenResponse{Addresses: []string{l.Addr().String()}}, nil
}

func TestTransportConformance(t *testing.T) {
	p := plugin.Transport{Name: "plain", Version: "1", New: func(context.Context, schema.Values) (transport.Transport, error) {
		return plainTCP{}, nil
	}}
	var d net.Dialer
	plugintest.TransportConformance(t, p, nil, transport.Bind{SocketType: "tcp", Address: "127.0.0.1:0"},
		func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) })
}
