//go:build !cgo || !extlib

package yuv

// Backend names the converter in use, for benchmarks and logs.
const Backend = "go"

func libyuvConvert(src []byte, srcStride, w, h int, y []byte, yStride int, u, v []byte, uvStride int) bool {
	return false
}
