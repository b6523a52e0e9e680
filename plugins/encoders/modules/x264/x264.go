package x264

import (
	"context"
	"fmt"
	"time"
	"unsafe"

	"github.com/gen2brain/x264-go/x264c"

	"github.com/xroam/xroam/plugins/encoders/modules/stream"
	"github.com/xroam/xroam/plugins/encoders/modules/yuv"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// Version is the encoder's version.
const Version = "0.1.0"

// DefaultQuality is used when a request asks for none (quality <= 0)
// and no quality attribute is configured.
const DefaultQuality = 50

// CSC is the colourspace of the pictures, as xpra's draw option "csc"
// names it.
const CSC = "YUV420P"

// keyintInfinite is x264's X264_KEYINT_MAX_INFINITE: a stream restarts
// (with an IDR frame) only when this encoder decides to.
const keyintInfinite = 1 << 30

// encodings are what the plugin serves, as its description and Info
// list them.
func encodings() []string { return []string{"h264"} }

// Plugin returns the h264 encoder plugin.
func Plugin() plugin.Encoder {
	return plugin.Encoder{Name: "x264", Version: Version, Encodings: encodings(),
		Schema: schema.Schema{Attrs: stream.Attrs(DefaultQuality, "quality 1-100 when the request has none (mapped to a constant rate factor)")},
		New: func(_ context.Context, cfg schema.Values) (encoder.Encoder, error) {
			st, err := stream.Config("x264", cfg)
			if err != nil {
				return nil, err
			}
			e := New(st.Quality, st.Idle)
			e.convert = st.Convert
			return e, nil
		}}
}

// New returns an encoder whose default quality is quality and whose
// streams close after idle without a frame.
func New(quality int, idle time.Duration) *Encoder {
	return &Encoder{quality: quality, convert: yuv.BGRXToI420, streams: stream.NewSet[*h264Stream](idle)}
}

// Encoder is the h264 encoder; it is safe for concurrent use.
type Encoder struct {
	quality int
	convert yuv.Func // --csc-modules' choice
	streams *stream.Set[*h264Stream]
}

// h264Stream is one window's h264 stream: the libx264 handle and its
// input picture (in C memory, filled in place).
type h264Stream struct {
	h      *x264c.T
	pic    *x264c.Picture // its own allocation: cgo sees no Go pointers next to it
	w, h2  int
	frame  int64
	nals   []*x264c.Nal
	closed bool
}

// Info implements encoder.Encoder.
func (e *Encoder) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: encodings(), PixelFormats: []string{"BGRX", "BGRA"}}, nil
}

// Close releases every stream.
func (e *Encoder) Close() {
	e.streams.Close()
}

// crfFor maps xpra's 0..100 quality onto x264's constant rate factor
// (lower is better): 50 gives x264's default 23.
func crfFor(q int) int {
	return min(max(38-q*3/10, 5), 45)
}

// Encode compresses a whole window's frame into the next picture of the
// window's stream. Width and height must be even (4:2:0).
func (e *Encoder) Encode(_ context.Context, req *encoder.Request) (*encoder.Response, error) {
	f := req.Frame
	if req.Encoding != "h264" {
		return nil, fmt.Errorf("x264: encoding %q not supported", req.Encoding)
	}
	if err := stream.CheckFrame("x264", f, 0); err != nil {
		return nil, err
	}
	q := stream.Quality(req.Quality, e.quality)
	var resp *encoder.Response
	err := e.streams.Use(time.Now(), stream.Key(req.Options), stream.Shape{Encoding: "h264", Width: f.Width, Height: f.Height},
		stream.Truthy(req.Options["restart"]),
		func() (*h264Stream, error) { return open(f.Width, f.Height, crfFor(q)) },
		func(s *h264Stream) error {
			data, idr, err := s.encode(f, e.convert)
			if err != nil {
				return err
			}
			opts := map[string]any{"frame": s.frame, "csc": CSC, "quality": int64(q)}
			if idr {
				opts["type"] = "IDR"
			} else {
				opts["type"] = "P"
			}
			s.frame++
			resp = &encoder.Response{Encoding: "h264", Data: data, Width: f.Width, Height: f.Height, Options: opts}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func open(w, h, crf int) (*h264Stream, error) {
	var p x264c.Param
	// The preset only applies together with a tune.
	if x264c.ParamDefaultPreset(&p, "ultrafast", "zerolatency") < 0 {
		return nil, fmt.Errorf("x264: the ultrafast/zerolatency preset is unknown")
	}
	p.IWidth, p.IHeight = int32(w), int32(h)
	p.ICsp = x264c.CspI420
	p.IBitdepth = 8
	p.ILogLevel = -1
	p.BVfrInput = 0
	p.BRepeatHeaders = 1
	p.BAnnexb = 1
	p.IKeyintMax = keyintInfinite
	p.IFpsNum, p.IFpsDen = 30, 1
	p.Rc.IRcMethod = x264c.RcCrf
	p.Rc.FRfConstant = float32(crf)
	if x264c.ParamApplyProfile(&p, "high") < 0 {
		return nil, fmt.Errorf("x264: the high profile is unknown")
	}
	s := &h264Stream{w: w, h2: h, pic: new(x264c.Picture), nals: make([]*x264c.Nal, 1)}
	x264c.PictureInit(s.pic)
	if x264c.PictureAlloc(s.pic, x264c.CspI420, int32(w), int32(h)) < 0 {
		return nil, fmt.Errorf("x264: no memory for a %dx%d picture", w, h)
	}
	s.h = x264c.EncoderOpen(&p)
	if s.h == nil {
		x264c.PictureClean(s.pic)
		return nil, fmt.Errorf("x264: cannot open an encoder for %dx%d", w, h)
	}
	return s, nil
}

// Close frees the stream's encoder and picture; it is safe to call twice.
func (s *h264Stream) Close() {
	if s.closed {
		return
	}
	s.closed = true
	x264c.EncoderClose(s.h)
	x264c.PictureClean(s.pic)
}

// encode converts f into the stream's picture and encodes it; the first
// picture of a stream is forced to be an IDR frame.
func (s *h264Stream) encode(f encoder.Frame, convert yuv.Func) ([]byte, bool, error) {
	w, h := s.w, s.h2
	img := s.pic.Img
	y := unsafe.Slice((*byte)(img.Plane[0]), int(img.IStride[0])*h)
	u := unsafe.Slice((*byte)(img.Plane[1]), int(img.IStride[1])*h/2)
	v := unsafe.Slice((*byte)(img.Plane[2]), int(img.IStride[2])*h/2)
	convert(f.Pixels, f.Stride, w, h, y, int(img.IStride[0]), u, v, int(img.IStride[1]))
	s.pic.IPts = s.frame
	s.pic.IType = x264c.TypeAuto
	if s.frame == 0 {
		s.pic.IType = x264c.TypeIdr
	}
	var out x264c.Picture
	var n int32
	ret := x264c.EncoderEncode(s.h, s.nals, &n, s.pic, &out)
	if ret < 0 {
		return nil, false, fmt.Errorf("x264: encoding a %dx%d picture failed", w, h)
	}
	if ret == 0 || n == 0 {
		return nil, false, fmt.Errorf("x264: the encoder held the %dx%d picture back", w, h)
	}
	// The NAL units lie one after another in libx264's buffer, valid
	// until the next call.
	data := make([]byte, ret)
	copy(data, unsafe.Slice((*byte)(s.nals[0].PPayload), int(ret)))
	return data, out.BKeyframe != 0, nil
}
