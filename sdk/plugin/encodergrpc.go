package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

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
	// api is the version the host configured: from 2 it may lend an
	// output region.
	api atomic.Uint32
}

func (s *encoderServer) Configure(ctx context.Context, req *encoderv1.ConfigureRequest) (*encoderv1.ConfigureResponse, error) {
	if err := s.impl.configure(ctx, s.p.Describe(), req.GetApiVersion(), req.GetConfigJson(), s.p.New); err != nil {
		return nil, err
	}
	s.api.Store(req.GetApiVersion())
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
	var out []byte
	if o := req.GetOutput(); o != nil && s.api.Load() >= outputAPIVersion {
		if out, err = s.region(o); err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
	}
	resp, err := impl.Encode(ctx, &encoder.Request{Encoding: req.GetEncoding(), Frame: frame, Quality: int(req.GetQuality()),
		Speed: int(req.GetSpeed()), Options: fromStruct(req.GetOptions()), Output: out[:0:len(out)]})
	if err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	opts, err := toStruct(resp.Options)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	r := &encoderv1.EncodeResponse{Encoding: resp.Encoding, Width: uint32(resp.Width), Height: uint32(resp.Height), Options: opts}
	switch off, ok := within(out, resp.Data); {
	case ok:
		r.InOutput, r.OutputOffset, r.OutputLength = true, uint64(off), uint64(len(resp.Data))
	case out != nil && len(resp.Data) <= len(out):
		copy(out, resp.Data)
		r.InOutput, r.OutputLength = true, uint64(len(resp.Data))
	default:
		// No region, or the output outgrew it: by value, and the host
		// lends a larger region next time.
		r.Data = resp.Data
	}
	return r, nil
}

// outputAPIVersion is the first API version with output regions.
const outputAPIVersion = 2

// region maps the output region the host lent.
func (s *encoderServer) region(o *encoderv1.Region) ([]byte, error) {
	if o.GetShmId() < 0 || o.GetShmId() > math.MaxInt32 || o.GetOffset() > math.MaxInt32 || o.GetSize() > math.MaxInt32 {
		return nil, errors.New("bad output region")
	}
	seg, err := s.segs.Get(int(o.GetShmId()))
	if err != nil {
		return nil, err
	}
	b := seg.Bytes()
	off, n := int(o.GetOffset()), int(o.GetSize())
	if off+n > len(b) {
		return nil, fmt.Errorf("output region of %d bytes at %d does not fit segment of %d bytes", n, off, len(b))
	}
	// A full slice expression: the region's capacity ends where it does,
	// which is what within relies on.
	return b[off : off+n : off+n], nil
}

// within reports whether data lies in region and where: an encoder that
// built its output in Request.Output returns a slice of it, whose
// capacity runs to the region's end.
func within(region, data []byte) (int, bool) {
	if len(region) == 0 || len(data) == 0 {
		return 0, false
	}
	c := cap(data)
	if c > len(region) || &data[:c][c-1] != &region[len(region)-1] {
		return 0, false
	}
	return len(region) - c, true
}

// EncoderClient is the host's view of an encoder plugin subprocess. A
// frame that is not already in a shared segment is copied into a scratch
// segment the client owns. From API version 2 each call also lends the
// plugin an output segment from a pool, so that calls in parallel do not
// share one; only the output's offset and length come back over gRPC.
// The output is copied out of the segment, or, for a Request with Borrow,
// handed over in it until the caller's Response.Done.
type EncoderClient struct {
	c       encoderv1.EncoderClient
	api     atomic.Int32
	mu      sync.Mutex
	scratch *shm.Segment

	outMu sync.Mutex
	outs  []*shm.Segment // idle output segments
	// outSize is the size of new output segments: it grows to the
	// largest output that did not fit.
	outSize int
	closed  bool
}

// maxIdleOutputs bounds the idle output segments kept for reuse.
const maxIdleOutputs = 4

// Configure hands the plugin its configuration and API version.
func (e *EncoderClient) Configure(ctx context.Context, apiVersion int, cfg schema.Values) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encoding configuration: %w", err)
	}
	if _, err := e.c.Configure(ctx, &encoderv1.ConfigureRequest{ApiVersion: uint32(apiVersion), ConfigJson: b}); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	e.api.Store(int32(apiVersion))
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
	pb := &encoderv1.EncodeRequest{Encoding: req.Encoding, Quality: int32(req.Quality), Speed: int32(req.Speed), Options: opts,
		Frame: &encoderv1.Frame{ShmId: int64(ref.SegmentID), Offset: uint64(ref.Offset), Width: uint32(f.Width), Height: uint32(f.Height),
			Stride: uint32(f.Stride), PixelFormat: f.Format}}
	var out *shm.Segment
	if e.api.Load() >= outputAPIVersion {
		// Without a segment the output still comes back, by value.
		if out, err = e.takeOutput(f.Stride * f.Height); err == nil {
			pb.Output = &encoderv1.Region{ShmId: int64(out.ID()), Size: uint64(len(out.Bytes()))}
		}
	}
	r, err := e.c.Encode(ctx, pb)
	if err != nil {
		// The plugin may still be writing into the segment: never lend
		// it again.
		_ = out.Close()
		return nil, fmt.Errorf("encoder plugin: %w", err)
	}
	resp := &encoder.Response{Encoding: r.GetEncoding(), Data: r.GetData(), Width: int(r.GetWidth()), Height: int(r.GetHeight()),
		Options: fromStruct(r.GetOptions())}
	if !r.GetInOutput() {
		e.giveOutput(out, len(r.GetData()))
		return resp, nil
	}
	data, err := outputOf(out, r.GetOutputOffset(), r.GetOutputLength())
	if err != nil {
		_ = out.Close()
		return nil, err
	}
	if req.Borrow {
		// The segment stays out of the pool until the caller is done
		// with the data that lies in it.
		resp.Data = data
		resp.Release = func() { e.giveOutput(out, 0) }
		return resp, nil
	}
	// A copy: the segment goes back to the pool, where the next call
	// overwrites it.
	resp.Data = bytes.Clone(data)
	e.giveOutput(out, 0)
	return resp, nil
}

// outputOf is the output in the segment, checked against its bounds.
func outputOf(seg *shm.Segment, off, n uint64) ([]byte, error) {
	if seg == nil {
		return nil, errors.New("encoder plugin: output in shared memory, but no region was lent")
	}
	b := seg.Bytes()
	if off > uint64(len(b)) || n > uint64(len(b))-off {
		return nil, fmt.Errorf("encoder plugin: output of %d bytes at %d is outside the %d-byte region", n, off, len(b))
	}
	return b[off : off+n : off+n], nil
}

// takeOutput lends an idle output segment of at least the frame's size
// (plus room for an incompressible output's framing), or makes one.
func (e *EncoderClient) takeOutput(frameBytes int) (*shm.Segment, error) {
	want := frameBytes + frameBytes/255 + 64<<10
	e.outMu.Lock()
	if e.closed {
		e.outMu.Unlock()
		return nil, errors.New("encoder client closed")
	}
	want = max(want, e.outSize)
	for len(e.outs) > 0 {
		s := e.outs[len(e.outs)-1]
		e.outs = e.outs[:len(e.outs)-1]
		if len(s.Bytes()) >= want {
			e.outMu.Unlock()
			return s, nil
		}
		_ = s.Close() // too small: replaced below
	}
	e.outMu.Unlock()
	// Whole MiBs, so that slightly larger frames reuse the segment.
	return shm.Create((want + 1<<20 - 1) &^ (1<<20 - 1))
}

// giveOutput returns a lent segment to the pool; byValue is the size of
// an output that came back by value because it did not fit.
func (e *EncoderClient) giveOutput(s *shm.Segment, byValue int) {
	if s == nil {
		return
	}
	e.outMu.Lock()
	defer e.outMu.Unlock()
	if byValue > len(s.Bytes()) {
		e.outSize = max(e.outSize, byValue+byValue/8)
	}
	if e.closed || len(e.outs) >= maxIdleOutputs || len(s.Bytes()) < e.outSize {
		_ = s.Close()
		return
	}
	e.outs = append(e.outs, s)
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

// Close releases the scratch and output segments.
func (e *EncoderClient) Close() error {
	e.outMu.Lock()
	errs := make([]error, 0, len(e.outs)+1)
	for _, s := range e.outs {
		errs = append(errs, s.Close())
	}
	e.outs, e.closed = nil, true
	e.outMu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	errs = append(errs, e.scratch.Close())
	e.scratch = nil
	return errors.Join(errs...)
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
