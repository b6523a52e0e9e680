package client

/*
#cgo pkg-config: libturbojpeg
#include <turbojpeg.h>
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"unsafe"
)

// errJPEGSize says a jpeg's own size is not the draw's: decodeJPEG then
// takes the portable path, which pads a smaller one and refuses a larger.
var errJPEGSize = errors.New("jpeg: picture size differs from the draw")

// decodeJPEG decodes a jpeg draw into width x height BGRX. libjpeg-turbo
// writes BGRX directly, with SIMD, where Go's image/jpeg builds a YCbCr
// picture that is then converted pixel by pixel: about four times the
// client's CPU at 30 frames a second of 720p.
func decodeJPEG(data []byte, width, height int) ([]byte, error) {
	pix, err := decodeJPEGTurbo(data, width, height)
	if err == nil {
		return pix, nil
	}
	if !errors.Is(err, errJPEGSize) {
		return nil, err
	}
	if err := fits(jpeg.DecodeConfig, data, width, height); err != nil {
		return nil, fmt.Errorf("jpeg: %w", err)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("jpeg: %w", err)
	}
	return toBGRX(img, width, height), nil
}

func decodeJPEGTurbo(data []byte, width, height int) ([]byte, error) {
	if len(data) == 0 {
		return nil, errors.New("jpeg: no data")
	}
	h := C.tjInitDecompress()
	if h == nil {
		return nil, errors.New("jpeg: tjInitDecompress failed")
	}
	defer C.tjDestroy(h)
	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	var w, hh, subsamp, cs C.int
	if C.tjDecompressHeader3(h, src, C.ulong(len(data)), &w, &hh, &subsamp, &cs) != 0 {
		return nil, fmt.Errorf("jpeg: %s", C.GoString(C.tjGetErrorStr2(h)))
	}
	if int(w) != width || int(hh) != height {
		return nil, errJPEGSize
	}
	out := make([]byte, width*height*4)
	// BGRA: libjpeg-turbo fills the fourth byte with 0xff.
	if C.tjDecompress2(h, src, C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&out[0])), w, C.int(width*4), hh, C.TJPF_BGRA, 0) != 0 {
		return nil, fmt.Errorf("jpeg: %s", C.GoString(C.tjGetErrorStr2(h)))
	}
	return out, nil
}
