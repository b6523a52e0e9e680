package yuv

// bgrxToI420Go is the portable converter: BT.601 limited range in
// integer arithmetic, the chroma of each 2x2 block taken from the block's
// average colour, as libyuv does. It is what builds without libyuv use,
// and the reference that libyuv's output is tested against.
func bgrxToI420Go(src []byte, srcStride, w, h int, y []byte, yStride int, u, v []byte, uvStride int) {
	for row := 0; row < h; row += 2 {
		s0 := src[row*srcStride : row*srcStride+w*4]
		s1 := src[(row+1)*srcStride : (row+1)*srcStride+w*4]
		y0 := y[row*yStride : row*yStride+w]
		y1 := y[(row+1)*yStride : (row+1)*yStride+w]
		cu := u[(row/2)*uvStride : (row/2)*uvStride+w/2]
		cv := v[(row/2)*uvStride : (row/2)*uvStride+w/2]
		for i := 0; i < w/2; i++ {
			p := i * 8
			b00, g00, r00 := int32(s0[p]), int32(s0[p+1]), int32(s0[p+2])
			b01, g01, r01 := int32(s0[p+4]), int32(s0[p+5]), int32(s0[p+6])
			b10, g10, r10 := int32(s1[p]), int32(s1[p+1]), int32(s1[p+2])
			b11, g11, r11 := int32(s1[p+4]), int32(s1[p+5]), int32(s1[p+6])
			y0[2*i] = uint8((66*r00+129*g00+25*b00+128)>>8 + 16)
			y0[2*i+1] = uint8((66*r01+129*g01+25*b01+128)>>8 + 16)
			y1[2*i] = uint8((66*r10+129*g10+25*b10+128)>>8 + 16)
			y1[2*i+1] = uint8((66*r11+129*g11+25*b11+128)>>8 + 16)
			r := (r00 + r01 + r10 + r11 + 2) >> 2
			g := (g00 + g01 + g10 + g11 + 2) >> 2
			b := (b00 + b01 + b10 + b11 + 2) >> 2
			cu[i] = uint8((-38*r-74*g+112*b+128)>>8 + 128)
			cv[i] = uint8((112*r-94*g-18*b+128)>>8 + 128)
		}
	}
}
