package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	transportv1 "github.com/xroam/xroam/sdk/proto/transport/v1"
	"github.com/xroam/xroam/sdk/schema"
	"github.com/xroam/xroam/sdk/transport"
)

// Transport is a transport plugin.
type Transport struct {
	Name, Version string
	Schema        schema.Schema
	APIVersions   []int
	New           func(ctx context.Context, cfg schema.Values) (transport.Transport, error)
}

// Describe returns the plugin's description.
func (p Transport) Describe() Description {
	return Description{Kind: KindTransport, Name: p.Name, Version: p.Version, APIVersions: apiVersions(p.APIVersions), Schema: p.Schema}
}

func (p Transport) grpcPlugin() goplugin.Plugin { return &transportGRPC{p: &p} }

// TransportPluginSet is PluginSet for a transport whose handoff socket is
// h rather than the one named by the environment, for in-process
// harnesses (see sdk/plugintest).
func TransportPluginSet(p Transport, h transport.Handoff) goplugin.PluginSet {
	return goplugin.PluginSet{KindTransport: &transportGRPC{p: &p, handoff: h}}
}

type transportGRPC struct {
	goplugin.NetRPCUnsupportedPlugin
	p       *Transport
	handoff transport.Handoff
}

func (g *transportGRPC) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	transportv1.RegisterTransportServer(s, &transportServer{p: g.p, handoff: g.handoff})
	return nil
}

func (g *transportGRPC) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &TransportClient{c: transportv1.NewTransportClient(c)}, nil
}

// transportServer serves one Transport made by Configure. Its listeners
// live as long as the process: the host stops a transport by ending it.
type transportServer struct {
	transportv1.UnimplementedTransportServer
	p    *Transport
	impl configured[transport.Transport]

	mu      sync.Mutex
	handoff transport.Handoff
}

func (s *transportServer) Configure(ctx context.Context, req *transportv1.ConfigureRequest) (*transportv1.ConfigureResponse, error) {
	if err := s.impl.configure(ctx, s.p.Describe(), req.GetApiVersion(), req.GetConfigJson(), s.p.New); err != nil {
		return nil, err
	}
	return &transportv1.ConfigureResponse{}, nil
}

func (s *transportServer) sender() (transport.Handoff, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handoff == nil {
		snd, err := transport.SenderFromEnv()
		if err != nil {
			return nil, err
		}
		s.handoff = snd
	}
	return s.handoff, nil
}

func (s *transportServer) Listen(_ context.Context, req *transportv1.ListenRequest) (*transportv1.ListenResponse, error) {
	impl, err := s.impl.get()
	if err != nil {
		return nil, err
	}
	h, err := s.sender()
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	lr := &transport.ListenRequest{}
	for _, b := range req.GetBinds() {
		lr.Binds = append(lr.Binds, transport.Bind{SocketType: b.GetSocketType(), Address: b.GetAddress()})
	}
	// The call's context ends with the call; the listeners must not.
	resp, err := impl.Listen(context.Background(), lr, h)
	if err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &transportv1.ListenResponse{Addresses: resp.Addresses}, nil
}

// TransportClient is the host's view of a transport plugin subprocess.
type TransportClient struct {
	c transportv1.TransportClient
}

// Configure hands the plugin its configuration and the negotiated API
// version.
func (t *TransportClient) Configure(ctx context.Context, apiVersion int, cfg schema.Values) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encoding configuration: %w", err)
	}
	if _, err := t.c.Configure(ctx, &transportv1.ConfigureRequest{ApiVersion: uint32(apiVersion), ConfigJson: b}); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	return nil
}

// Listen asks the plugin to bind; connections arrive on the handoff
// socket the host gave the process.
func (t *TransportClient) Listen(ctx context.Context, req *transport.ListenRequest) (*transport.ListenResponse, error) {
	pr := &transportv1.ListenRequest{}
	for _, b := range req.Binds {
		pr.Binds = append(pr.Binds, &transportv1.Bind{SocketType: b.SocketType, Address: b.Address})
	}
	resp, err := t.c.Listen(ctx, pr)
	if err != nil {
		return nil, fmt.Errorf("transport plugin listen: %w", err)
	}
	return &transport.ListenResponse{Addresses: resp.GetAddresses()}, nil
}
