package yuv

// BGRXToI420 converts a w x h BGRX (or BGRA; alpha is ignored) picture
// into planar 4:2:0 YCbCr, BT.601 limited range. w and h must be even and
// the planes large enough. Builds with libyuv (the extlib tag) use its
// SIMD rows, which are several times faster than the portable code.
func BGRXToI420(src []byte, srcStride, w, h int, y []byte, yStride int, u, v []byte, uvStride int) {
	if w <= 0 || h <= 0 {
		return
	}
	if !libyuvConvert(src, srcStride, w, h, y, yStride, u, v, uvStride) {
		bgrxToI420Go(src, srcStride, w, h, y, yStride, u, v, uvStride)
	}
}
