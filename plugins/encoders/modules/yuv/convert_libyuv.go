//go:build cgo && extlib

package yuv

// #cgo LDFLAGS: -lyuv
// #include <stdint.h>
// #include <libyuv/convert_from_argb.h>
import "C"

import "unsafe"

// Backend names the converter in use, for benchmarks and logs.
const Backend = "libyuv"

// libyuvConvert hands the picture to libyuv's ARGBToI420: its "ARGB" is a
// little-endian word, B G R A in memory, which is the BGRX the core
// captures. The slices are checked here because C would not check them.
func libyuvConvert(src []byte, srcStride, w, h int, y []byte, yStride int, u, v []byte, uvStride int) bool {
	if len(src) < (h-1)*srcStride+w*4 || len(y) < (h-1)*yStride+w ||
		len(u) < (h/2-1)*uvStride+w/2 || len(v) < (h/2-1)*uvStride+w/2 {
		return false
	}
	rc := C.ARGBToI420(
		(*C.uint8_t)(unsafe.Pointer(&src[0])), C.int(srcStride),
		(*C.uint8_t)(unsafe.Pointer(&y[0])), C.int(yStride),
		(*C.uint8_t)(unsafe.Pointer(&u[0])), C.int(uvStride),
		(*C.uint8_t)(unsafe.Pointer(&v[0])), C.int(uvStride),
		C.int(w), C.int(h))
	return rc == 0
}
