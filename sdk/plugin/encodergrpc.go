package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/xroam/xroam/sdk/encoder"
	encoderv1 "github.com/xroam/xroam/sdk/proto/encoder/v1"
	"github.com/xroam/xroam/sdk/schema"
	"github.com/xroam/xroam/sdk/shm"
)

type encoderGRPC struct {
	goplugin.NetRPCUnsupportedPlugin
	p *Encoder
}

func (g *encoderGRPC) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	encoderv1.RegisterEncoderServer(s, &encoderServer{p: g.p})
	return nil
}

func (g *encoderGRPC) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &EncoderClient{c: encoderv1.NewEncoderClient(c)}, nil
}

type encoderServer struct {
	encoderv1.UnimplementedEncoderServer
	p    *Encoder
	segs shm.Cache
	impl configured[encoder.Encoder]
}

func (s *encoderServer) Configure(ctx context.Context, req *encoderv1.ConfigureRequest) (*encoderv1.ConfigureResponse, error) {
	if err := s.impl.configure(ctx, s.p.Describe(), req.GetApiVersion(), req.GetConfigJson(), s.p.New); err != nil {
		return nil, err
	}
	return &encoderv1.ConfigureResponse{}, nil
}

func (s *encoderServer) get() (encoder.Encoder, error) { return s.impl.get() }

func (s *encoderServer) Info(ctx context.Context, _ *encoderv1.InfoRequest) (*encoderv1.InfoResponse, error) {
	impl, err := s.get()
	if err != nil {
		return nil, err
	}
	info, err := impl.Info(ctx)
	if err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &encoderv1.InfoResponse{Encodings: info.Encodings, PixelFormats: info.PixelFormats}, nil
}

func (s *encoderServer) Encode(ctx context.Context, req *encoderv1.EncodeRequest) (*encoderv1.EncodeResponse, error) {
	impl, err := s.get()
	if err != nil {
		return nil, err
	}
	f := req.GetFrame()
	if f == nil {
		return nil, status.Error(codes.InvalidArgument, "no frame")
	}
	if f.GetShmId() < 0 || f.GetShmId() > math.MaxInt32 || f.GetOffset() > math.MaxInt32 {
		return nil, status.Error(codes.InvalidArgument, "bad segment reference")
	}
	seg, err := s.segs.Get(int(f.GetShmId()))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	frame, err := encoder.FrameIn(seg, int(f.GetOffset()), int(f.GetWidth()), int(f.GetHeight()), int(f.GetStride()), f.GetPixelFormat())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	resp, err := impl.Encode(ctx, &encoder.Request{Encoding: req.GetEncoding(), Frame: frame, Quality: int(req.GetQuality()),
		Speed: int(req.GetSpeed()), Options: fromStruct(req.GetOptions())})
	if err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	opts, err := toStruct(resp.Options)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &encoderv1.EncodeResponse{Encoding: resp.Encoding, Data: resp.Data, Width: uint32(resp.Width), Height: uint32(resp.Height), Options: opts}, nil
}

// EncoderClient is the host's view of an encoder plugin subprocess. A
// frame that is not already in a shared segment is copied into a scratch
// segment the client owns.
type EncoderClient struct {
	c       encoderv1.EncoderClient
	mu      sync.Mutex
	scratch *shm.Segment
}

// Configure hands the plugin its configuration and API version.
func (e *EncoderClient) Configure(ctx context.Context, apiVersion int, cfg schema.Values) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encoding configuration: %w", err)
	}
	if _, err := e.c.Configure(ctx, &encoderv1.ConfigureRequest{ApiVersion: uint32(apiVersion), ConfigJson: b}); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	return nil
}

// Info implements encoder.Encoder.
func (e *EncoderClient) Info(ctx context.Context) (*encoder.Info, error) {
	r, err := e.c.Info(ctx, &encoderv1.InfoRequest{})
	if err != nil {
		return nil, fmt.Errorf("encoder plugin info: %w", err)
	}
	return &encoder.Info{Encodings: r.GetEncodings(), PixelFormats: r.GetPixelFormats()}, nil
}

// Encode implements encoder.Encoder.
func (e *EncoderClient) Encode(ctx context.Context, req *encoder.Request) (*encoder.Response, error) {
	f := req.Frame
	ref := f.Shm
	if ref == nil {
		e.mu.Lock()
		defer e.mu.Unlock()
		seg, err := e.scratchFor(len(f.Pixels))
		if err != nil {
			return nil, err
		}
		copy(seg.Bytes(), f.Pixels)
		ref = &encoder.Ref{SegmentID: seg.ID()}
	}
	opts, err := toStruct(req.Options)
	if err != nil {
		return nil, err
	}
	r, err := e.c.Encode(ctx, &encoderv1.EncodeRequest{Encoding: req.Encoding, Quality: int32(req.Quality), Speed: int32(req.Speed), Options: opts,
		Frame: &encoderv1.Frame{ShmId: int64(ref.SegmentID), Offset: uint64(ref.Offset), Width: uint32(f.Width), Height: uint32(f.Height),
			Stride: uint32(f.Stride), PixelFormat: f.Format}})
	if err != nil {
		return nil, fmt.Errorf("encoder plugin: %w", err)
	}
	return &encoder.Response{Encoding: r.GetEncoding(), Data: r.GetData(), Width: int(r.GetWidth()), Height: int(r.GetHeight()), Options: fromStruct(r.GetOptions())}, nil
}

func (e *EncoderClient) scratchFor(n int) (*shm.Segment, error) {
	if e.scratch != nil && len(e.scratch.Bytes()) >= n {
		return e.scratch, nil
	}
	if e.scratch != nil {
		if err := e.scratch.Close(); err != nil {
			return nil, err
		}
		e.scratch = nil
	}
	seg, err := shm.Create(max(n, 1))
	if err != nil {
		return nil, err
	}
	e.scratch = seg
	return seg, nil
}

// Close releases the scratch segment.
func (e *EncoderClient) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.scratch == nil {
		return nil
	}
	err := e.scratch.Close()
	e.scratch = nil
	return err
}

// toStruct converts options to a protobuf Struct. Integers and string
// lists are widened to the types structpb accepts.
func toStruct(m map[string]any) (*structpb.Struct, error) {
	if len(m) == 0 {
		return nil, nil
	}
	norm := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case []string:
			l := make([]any, len(x))
			for i, s := range x {
				l[i] = s
			}
			norm[k] = l
		default:
			norm[k] = v
		}
	}
	s, err := structpb.NewStruct(norm)
	if err != nil {
		return nil, fmt.Errorf("encoder options: %w", err)
	}
	return s, nil
}

// fromStruct converts a Struct back, turning whole numbers into int64 as
// xpra's packets want integers.
func fromStruct(s *structpb.Struct) map[string]any {
	if s == nil {
		return nil
	}
	m := s.AsMap()
	for k, v := range m {
		if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			m[k] = int64(f)
		}
	}
	return m
}
