package jpeg

/*
#cgo pkg-config: libturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>

static int xroam_tj_compress(tjhandle h, const unsigned char *src, int w, int pitch, int hgt, int pf,
                             unsigned char **out, unsigned long *outSize, int subsamp, int quality, int flags) {
	return tjCompress2(h, src, w, pitch, hgt, pf, out, outSize, subsamp, quality, flags);
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// Version is the encoder's version.
const Version = "0.1.0"

// DefaultQuality is used when a request asks for none (quality <= 0)
// and no quality attribute is configured.
const DefaultQuality = 80

// encodings are what the plugin serves, as its description and Info
// list them.
func encodings() []string { return []string{"jpeg"} }

// Plugin returns the jpeg encoder plugin.
func Plugin() plugin.Encoder {
	return plugin.Encoder{Name: "jpeg", Version: Version, Encodings: encodings(),
		Schema: schema.Schema{Attrs: []schema.Attr{
			{Name: "quality", Type: schema.Int, Default: DefaultQuality, Help: "quality 1-100 when the request has none"},
			{Name: "fast_dct", Type: schema.Bool, Default: true, Help: "use the fast (less accurate) DCT"},
		}},
		New: func(_ context.Context, cfg schema.Values) (encoder.Encoder, error) {
			q := int(cfg.Int("quality"))
			if q < 1 || q > 100 {
				return nil, fmt.Errorf("jpeg: quality %d is not in 1..100", q)
			}
			return &jpegEncoder{quality: q, fastDCT: cfg.Bool("fast_dct")}, nil
		}}
}

type jpegEncoder struct {
	quality int
	fastDCT bool

	mu sync.Mutex
	h  C.tjhandle
}

func (e *jpegEncoder) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: encodings(), PixelFormats: []string{"BGRX", "BGRA"}}, nil
}

// Encode compresses the frame. The handle is made on first use and kept:
// a plugin process lives as long as its session.
func (e *jpegEncoder) Encode(_ context.Context, req *encoder.Request) (*encoder.Response, error) {
	f := req.Frame
	if req.Encoding != "jpeg" {
		return nil, fmt.Errorf("jpeg: encoding %q not supported", req.Encoding)
	}
	var pf C.int
	switch f.Format {
	case "BGRX":
		pf = C.TJPF_BGRX
	case "BGRA":
		pf = C.TJPF_BGRA
	default:
		return nil, fmt.Errorf("jpeg: pixel format %q not supported", f.Format)
	}
	if f.Width <= 0 || f.Height <= 0 || f.Stride < f.Width*4 || len(f.Pixels) < f.Stride*(f.Height-1)+f.Width*4 {
		return nil, fmt.Errorf("jpeg: frame %dx%d stride %d does not fit %d bytes", f.Width, f.Height, f.Stride, len(f.Pixels))
	}
	// xpra's quality 0 is never asked for in practice, and a request
	// that leaves Quality at its zero value means "the default".
	q := req.Quality
	if q <= 0 {
		q = e.quality
	}
	q = min(max(q, 1), 100)
	subsamp := C.int(C.TJSAMP_420)
	if q >= 90 {
		subsamp = C.TJSAMP_444
	}
	flags := C.int(0)
	if e.fastDCT {
		flags |= C.TJFLAG_FASTDCT
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.h == nil {
		e.h = C.tjInitCompress()
		if e.h == nil {
			return nil, errors.New("jpeg: tjInitCompress failed: " + C.GoString(C.tjGetErrorStr2(nil)))
		}
	}
	var out *C.uchar
	var size C.ulong
	// The pixels may lie in a shared segment that cgo's pointer checks do
	// not know: they are plain bytes with no Go pointers in them.
	src := (*C.uchar)(unsafe.Pointer(&f.Pixels[0]))
	if rc := C.xroam_tj_compress(e.h, src, C.int(f.Width), C.int(f.Stride), C.int(f.Height), pf, &out, &size, subsamp, C.int(q), flags); rc != 0 {
		msg := C.GoString(C.tjGetErrorStr2(e.h))
		if out != nil {
			C.tjFree(out)
		}
		return nil, fmt.Errorf("jpeg: tjCompress2: %s", msg)
	}
	data := C.GoBytes(unsafe.Pointer(out), C.int(size))
	C.tjFree(out)
	return &encoder.Response{Encoding: "jpeg", Data: data, Width: f.Width, Height: f.Height,
		Options: map[string]any{"quality": int64(q)}}, nil
}
