package encoder

import (
	"context"
	"fmt"

	"github.com/xroam/xroam/sdk/shm"
)

// Encoder is what an encoder module implements. The host returns the same
// interface for a built-in encoder and for a plugin subprocess.
type Encoder interface {
	Info(ctx context.Context) (*Info, error)
	Encode(ctx context.Context, req *Request) (*Response, error)
}

// Info lists what an encoder can do.
type Info struct {
	// Encodings are xpra encoding names ("rgb24", "rgb32", "png", ...).
	Encodings []string
	// PixelFormats the encoder accepts ("BGRX", "BGRA", ...).
	PixelFormats []string
}

// Ref locates a frame in a shared-memory segment.
type Ref struct {
	SegmentID int
	Offset    int
}

// Frame is a rectangle of pixels.
type Frame struct {
	Width, Height, Stride int
	// Format is the byte order of a pixel, e.g. "BGRX" for X11's 24-bit
	// depth on little-endian machines.
	Format string
	// Pixels holds Height rows of Stride bytes.
	Pixels []byte
	// Shm, when set, says where Pixels lie in a shared segment: a plugin
	// subprocess maps that segment instead of receiving the bytes.
	Shm *Ref
}

// FrameIn returns a frame whose pixels lie in seg at offset.
func FrameIn(seg *shm.Segment, offset, width, height, stride int, format string) (Frame, error) {
	n := stride * height
	if offset < 0 || width <= 0 || height <= 0 || stride < width || n > len(seg.Bytes())-offset {
		return Frame{}, fmt.Errorf("frame %dx%d stride %d at %d does not fit segment of %d bytes", width, height, stride, offset, len(seg.Bytes()))
	}
	return Frame{Width: width, Height: height, Stride: stride, Format: format,
		Pixels: seg.Bytes()[offset : offset+n], Shm: &Ref{SegmentID: seg.ID(), Offset: offset}}, nil
}

// BytesPerPixel returns the size of a pixel of format, or 0 if unknown.
func BytesPerPixel(format string) int {
	switch format {
	case "BGRX", "BGRA", "RGBX", "RGBA", "XRGB", "ARGB":
		return 4
	case "BGR", "RGB":
		return 3
	}
	return 0
}

// Request asks for one frame to be encoded.
type Request struct {
	Encoding string
	Frame    Frame
	// Quality and Speed are xpra's 0..100 (-1: the encoder's default).
	Quality, Speed int
	Options        map[string]any
	// Output, when not nil, is memory lent for this call's output: empty,
	// with the room available as its capacity. In a plugin subprocess it
	// is the shared segment the host reads the output from, so an encoder
	// that builds its Response.Data in Output[:n] (when n <= cap(Output))
	// saves a copy; any other Data is copied there. Output is only valid
	// until Encode returns, and an encoder may ignore it.
	Output []byte
	// Borrow lets Response.Data lie in memory the host lends rather than
	// in a copy: a plugin's output then stays in the shared segment it
	// was written to, which saves the host a frame-sized allocation and
	// copy per call. A caller that sets it must call Response.Done once
	// it no longer needs Data. Encoders themselves ignore it.
	Borrow bool
}

// Response is the encoded frame and the client options xpra's draw
// packet carries with it (e.g. {"zlib": 1, "rgb_format": "BGRX"}).
type Response struct {
	Encoding      string
	Data          []byte
	Width, Height int
	Options       map[string]any
	// Release, when not nil, gives back the memory Data lies in; it is
	// set only for a Request with Borrow. Callers use Done.
	Release func()
}

// Done ends the caller's use of Data: memory lent for a Borrow request
// goes back to the host, and Data must not be read again. It does
// nothing for a response that owns its Data, and a second call does
// nothing either.
func (r *Response) Done() {
	if r == nil || r.Release == nil {
		return
	}
	release := r.Release
	r.Release = nil
	release()
}
