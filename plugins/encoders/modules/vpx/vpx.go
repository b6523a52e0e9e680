package vpx

import (
	"context"
	"fmt"
	"runtime"
	"time"

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

// encodings are what the plugin serves, as its description and Info
// list them.
func encodings() []string { return []string{"vp8", "vp9"} }

// Plugin returns the vp8/vp9 encoder plugin.
func Plugin() plugin.Encoder {
	return plugin.Encoder{Name: "vpx", Version: Version, Encodings: encodings(),
		Schema: schema.Schema{Attrs: stream.Attrs(DefaultQuality, "quality 1-100 when the request has none (mapped to libvpx's quantizer range)")},
		New: func(_ context.Context, cfg schema.Values) (encoder.Encoder, error) {
			st, err := stream.Config("vpx", cfg)
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
	return &Encoder{quality: quality, convert: yuv.BGRXToI420, streams: stream.NewSet[*vpxStream](idle)}
}

// Encoder is the vp8 and vp9 encoder; it is safe for concurrent use.
type Encoder struct {
	quality int
	convert yuv.Func // --csc-modules' choice
	streams *stream.Set[*vpxStream]
}

// Info implements encoder.Encoder.
func (e *Encoder) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: encodings(), PixelFormats: []string{"BGRX", "BGRA"}}, nil
}

// Close releases every stream.
func (e *Encoder) Close() {
	e.streams.Close()
}

// quantizers maps xpra's 1..100 quality onto libvpx's 0..63 quantizer
// range (lower is better); 50 gives about 20..36.
func quantizers(q int) (minq, maxq int) {
	maxq = min(max(63-q*55/100, 4), 63)
	minq = max(maxq-16, 0)
	return minq, maxq
}

// cpuUsed maps xpra's 0..100 speed onto libvpx's real-time cpu-used: the
// fastest settings measured here (DESIGN.md: vp8 -12..-16, vp9 9) by
// default and for high speeds, slower ones for low speeds.
func cpuUsed(vp9 bool, speed int) int {
	if speed <= 0 {
		speed = 80
	}
	if vp9 {
		return min(max(5+speed*4/100, 5), 9)
	}
	return -min(max(6+speed*10/100, 6), 16)
}

// threads is libvpx's thread count for a w x h stream: more for big vp9
// pictures, never more than the machine has. vp8 stays on one thread:
// its worker threads wait by spinning, which on a busy machine made it
// 3 to 10 times slower (BenchmarkVPXPlugin) than one thread.
func threads(vp9 bool, w, h int) int {
	if !vp9 {
		return 1
	}
	n := 1
	switch {
	case w*h >= 1920*1080:
		n = 4
	case w*h >= 1280*720:
		n = 2
	}
	return max(min(n, runtime.NumCPU()), 1)
}

// Encode compresses a whole window's frame into the next picture of the
// window's stream. Width and height must be even (4:2:0).
func (e *Encoder) Encode(_ context.Context, req *encoder.Request) (*encoder.Response, error) {
	f := req.Frame
	if req.Encoding != "vp8" && req.Encoding != "vp9" {
		return nil, fmt.Errorf("vpx: encoding %q not supported", req.Encoding)
	}
	if err := stream.CheckFrame("vpx", f, 16384); err != nil {
		return nil, err
	}
	q := stream.Quality(req.Quality, e.quality)
	var resp *encoder.Response
	err := e.streams.Use(time.Now(), stream.Key(req.Options), stream.Shape{Encoding: req.Encoding, Width: f.Width, Height: f.Height},
		stream.Truthy(req.Options["restart"]),
		func() (*vpxStream, error) { return open(req.Encoding == "vp9", f.Width, f.Height, q, req.Speed) },
		func(s *vpxStream) error {
			data, keyFrame, err := s.encode(f, e.convert)
			if err != nil {
				return err
			}
			opts := map[string]any{"frame": s.frame, "csc": CSC, "quality": int64(q)}
			if keyFrame {
				opts["type"] = "IDR"
			}
			s.frame++
			resp = &encoder.Response{Encoding: req.Encoding, Data: data, Width: f.Width, Height: f.Height, Options: opts}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
