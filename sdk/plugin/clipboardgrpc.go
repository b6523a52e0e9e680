package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/xroam/xroam/sdk/clipboard"
	clipboardv1 "github.com/xroam/xroam/sdk/proto/clipboard/v1"
	"github.com/xroam/xroam/sdk/schema"
)

type clipboardGRPC struct {
	goplugin.NetRPCUnsupportedPlugin
	p *Clipboard
}

func (g *clipboardGRPC) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	clipboardv1.RegisterClipboardServer(s, &clipboardServer{p: g.p})
	return nil
}

func (g *clipboardGRPC) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &ClipboardClient{c: clipboardv1.NewClipboardClient(c)}, nil
}

// clipboardServer serves one Backend made by Configure.
type clipboardServer struct {
	clipboardv1.UnimplementedClipboardServer
	p    *Clipboard
	impl configured[clipboard.Backend]
}

func (s *clipboardServer) Configure(ctx context.Context, req *clipboardv1.ConfigureRequest) (*clipboardv1.ConfigureResponse, error) {
	if err := s.impl.configure(ctx, s.p.Describe(), req.GetApiVersion(), req.GetConfigJson(), s.p.New); err != nil {
		return nil, err
	}
	return &clipboardv1.ConfigureResponse{}, nil
}

func (s *clipboardServer) Watch(_ *clipboardv1.WatchRequest, stream grpc.ServerStreamingServer[clipboardv1.Event]) error {
	impl, err := s.impl.get()
	if err != nil {
		return err
	}
	evs, err := impl.Watch(stream.Context())
	if err != nil {
		return status.Error(codes.Unknown, err.Error())
	}
	for ev := range evs {
		if err := stream.Send(&clipboardv1.Event{Kind: string(ev.Kind), Selection: ev.Selection, Target: ev.Target, Id: ev.ID}); err != nil {
			return err
		}
	}
	if err := stream.Context().Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	return status.Error(codes.Unavailable, "clipboard backend ended")
}

func (s *clipboardServer) Claim(ctx context.Context, req *clipboardv1.ClaimRequest) (*clipboardv1.ClaimResponse, error) {
	impl, err := s.impl.get()
	if err != nil {
		return nil, err
	}
	if err := impl.Claim(ctx, &clipboard.ClaimRequest{Selection: req.GetSelection(), Targets: req.GetTargets()}); err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &clipboardv1.ClaimResponse{}, nil
}

func (s *clipboardServer) Release(ctx context.Context, req *clipboardv1.ReleaseRequest) (*clipboardv1.ReleaseResponse, error) {
	impl, err := s.impl.get()
	if err != nil {
		return nil, err
	}
	if err := impl.Release(ctx, req.GetSelection()); err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &clipboardv1.ReleaseResponse{}, nil
}

func (s *clipboardServer) Read(ctx context.Context, req *clipboardv1.ReadRequest) (*clipboardv1.ReadResponse, error) {
	impl, err := s.impl.get()
	if err != nil {
		return nil, err
	}
	d, err := impl.Read(ctx, &clipboard.ReadRequest{Selection: req.GetSelection(), Target: req.GetTarget()})
	if err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &clipboardv1.ReadResponse{Data: dataToProto(d)}, nil
}

func (s *clipboardServer) Answer(ctx context.Context, req *clipboardv1.AnswerRequest) (*clipboardv1.AnswerResponse, error) {
	impl, err := s.impl.get()
	if err != nil {
		return nil, err
	}
	if err := impl.Answer(ctx, &clipboard.AnswerRequest{ID: req.GetId(), Data: dataFromProto(req.GetData())}); err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &clipboardv1.AnswerResponse{}, nil
}

func dataToProto(d *clipboard.Data) *clipboardv1.Data {
	if d == nil {
		return nil
	}
	return &clipboardv1.Data{Type: d.Type, Format: uint32(d.Format), Bytes: d.Bytes, Targets: d.Targets}
}

func dataFromProto(d *clipboardv1.Data) *clipboard.Data {
	if d == nil {
		return nil
	}
	return &clipboard.Data{Type: d.GetType(), Format: int(d.GetFormat()), Bytes: d.GetBytes(), Targets: d.GetTargets()}
}

// ClipboardClient is the host's view of a clipboard plugin subprocess.
type ClipboardClient struct {
	c clipboardv1.ClipboardClient
}

var _ clipboard.Backend = (*ClipboardClient)(nil)

// Configure hands the plugin its configuration and the negotiated API
// version.
func (c *ClipboardClient) Configure(ctx context.Context, apiVersion int, cfg schema.Values) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encoding configuration: %w", err)
	}
	if _, err := c.c.Configure(ctx, &clipboardv1.ConfigureRequest{ApiVersion: uint32(apiVersion), ConfigJson: b}); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	return nil
}

// Watch implements clipboard.Backend: the events of one server stream,
// closed when the stream ends (ctx, or the plugin going away).
func (c *ClipboardClient) Watch(ctx context.Context) (<-chan clipboard.Event, error) {
	stream, err := c.c.Watch(ctx, &clipboardv1.WatchRequest{})
	if err != nil {
		return nil, fmt.Errorf("clipboard plugin watch: %w", err)
	}
	out := make(chan clipboard.Event, 64)
	go func() {
		defer close(out)
		for {
			ev, err := stream.Recv()
			if err != nil {
				// The caller sees the channel close; the host's
				// supervisor finds out why.
				return
			}
			select {
			case out <- clipboard.Event{Kind: clipboard.EventKind(ev.GetKind()), Selection: ev.GetSelection(), Target: ev.GetTarget(), ID: ev.GetId()}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// Claim implements clipboard.Backend.
func (c *ClipboardClient) Claim(ctx context.Context, req *clipboard.ClaimRequest) error {
	if _, err := c.c.Claim(ctx, &clipboardv1.ClaimRequest{Selection: req.Selection, Targets: req.Targets}); err != nil {
		return fmt.Errorf("clipboard plugin claim: %w", err)
	}
	return nil
}

// Release implements clipboard.Backend.
func (c *ClipboardClient) Release(ctx context.Context, selection string) error {
	if _, err := c.c.Release(ctx, &clipboardv1.ReleaseRequest{Selection: selection}); err != nil {
		return fmt.Errorf("clipboard plugin release: %w", err)
	}
	return nil
}

// Read implements clipboard.Backend.
func (c *ClipboardClient) Read(ctx context.Context, req *clipboard.ReadRequest) (*clipboard.Data, error) {
	resp, err := c.c.Read(ctx, &clipboardv1.ReadRequest{Selection: req.Selection, Target: req.Target})
	if err != nil {
		return nil, fmt.Errorf("clipboard plugin read: %w", err)
	}
	d := dataFromProto(resp.GetData())
	if d == nil {
		return nil, errors.New("clipboard plugin read: no data")
	}
	return d, nil
}

// Answer implements clipboard.Backend.
func (c *ClipboardClient) Answer(ctx context.Context, req *clipboard.AnswerRequest) error {
	if _, err := c.c.Answer(ctx, &clipboardv1.AnswerRequest{Id: req.ID, Data: dataToProto(req.Data)}); err != nil {
		return fmt.Errorf("clipboard plugin answer: %w", err)
	}
	return nil
}
