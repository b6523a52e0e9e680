package rfb

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	"image/jpeg"

	"github.com/xroam/xroam/core/geom"
)

// Tight limits a rectangle's width and size; larger areas are split.
const (
	tightMaxWidth  = 2048
	tightMaxPixels = 65536
	zrleTile       = 64
)

// tightJPEGQuality maps Tight's quality levels 0..9 to JPEG qualities
// (the table TigerVNC's server uses, so that viewers look the same).
func tightJPEGQuality(level int) int {
	return [10]int{15, 29, 41, 42, 62, 77, 79, 86, 92, 100}[level]
}

// zstream is one persistent zlib stream of a connection: the client keeps
// one inflater per stream for the whole connection, so each chunk ends
// with a sync flush and the dictionary carries over.
type zstream struct {
	buf bytes.Buffer
	w   *zlib.Writer
}

func newZstream(level int) *zstream {
	z := &zstream{}
	z.w, _ = zlib.NewWriterLevel(&z.buf, level) // level is always valid here
	return z
}

// compress returns data compressed and flushed; the slice is valid until
// the next call.
func (z *zstream) compress(data []byte) []byte {
	z.buf.Reset()
	_, _ = z.w.Write(data) // writes to a bytes.Buffer do not fail
	_ = z.w.Flush()
	return z.buf.Bytes()
}

// Encoder encodes rectangles of a BGRX framebuffer for one connection: it
// owns the connection's zlib streams and pixel format.
type Encoder struct {
	conv    *converter
	level   int
	quality int // Tight JPEG quality level 0..9, -1 for lossless only
	zlib    *zstream
	zrle    *zstream
	tight   [4]*zstream
	scratch []byte
	pal     map[uint32]int
}

// NewEncoder returns an encoder for pixel format pf.
func NewEncoder(pf PixelFormat) *Encoder {
	return &Encoder{conv: newConverter(pf), level: 6, quality: -1, pal: map[uint32]int{}}
}

// SetPixelFormat changes the format of the next rectangles. The zlib
// streams go on: they carry bytes, whatever the format.
func (e *Encoder) SetPixelFormat(pf PixelFormat) { e.conv = newConverter(pf) }

// SetCompression sets the zlib level (0..9) for streams created later and
// the Tight JPEG quality (-1: never lossy).
func (e *Encoder) SetCompression(level, quality int) {
	e.level = min(max(level, 1), 9)
	e.quality = min(max(quality, -1), 9)
}

func appendHeader(dst []byte, r geom.Rect, enc int32) []byte {
	for _, v := range []int{r.X, r.Y, r.W, r.H} {
		dst = binary.BigEndian.AppendUint16(dst, uint16(v))
	}
	return binary.BigEndian.AppendUint32(dst, uint32(enc))
}

// AppendCopyRect appends a CopyRect rectangle: r's content is the
// client's own area at srcX, srcY.
func (e *Encoder) AppendCopyRect(dst []byte, r geom.Rect, srcX, srcY int) []byte {
	dst = appendHeader(dst, r, EncCopyRect)
	dst = binary.BigEndian.AppendUint16(dst, uint16(srcX))
	return binary.BigEndian.AppendUint16(dst, uint16(srcY))
}

// AppendRect appends area r of the BGRX image img (stride bytes a row,
// framebuffer coordinates) in encoding enc, which is one of raw, zlib,
// ZRLE or Tight (others fall back to raw). It returns the new buffer and
// the number of rectangles written (Tight splits large areas).
func (e *Encoder) AppendRect(dst []byte, enc int32, img []byte, stride int, r geom.Rect) ([]byte, int) {
	switch enc {
	case EncZlib:
		return e.appendZlib(dst, img, stride, r), 1
	case EncZRLE:
		return e.appendZRLE(dst, img, stride, r), 1
	case EncTight:
		return e.appendTight(dst, img, stride, r)
	}
	dst = appendHeader(dst, r, EncRaw)
	return e.conv.rawRect(dst, img, stride, r), 1
}

func (e *Encoder) appendZlib(dst, img []byte, stride int, r geom.Rect) []byte {
	if e.zlib == nil {
		e.zlib = newZstream(e.level)
	}
	e.scratch = e.conv.rawRect(e.scratch[:0], img, stride, r)
	z := e.zlib.compress(e.scratch)
	dst = appendHeader(dst, r, EncZlib)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(z)))
	return append(dst, z...)
}

// palette collects the client pixel values of area r, in order of first
// appearance, up to limit colours; ok is false past the limit.
func (e *Encoder) palette(img []byte, stride int, r geom.Rect, limit int) (cols []uint32, ok bool) {
	clear(e.pal)
	for y := r.Y; y < r.Y+r.H; y++ {
		row := img[y*stride+r.X*4 : y*stride+(r.X+r.W)*4]
		last, have := uint32(0), false
		for x := 0; x < len(row); x += 4 {
			v := binary.LittleEndian.Uint32(row[x:]) & 0xffffff
			if have && v == last {
				continue
			}
			last, have = v, true
			if _, seen := e.pal[v]; !seen {
				if len(cols) == limit {
					return cols, false
				}
				e.pal[v] = len(cols)
				cols = append(cols, v)
			}
		}
	}
	return cols, true
}

// srcPix is a source colour 0x00RRGGBB as BGRX bytes.
func srcPix(v uint32) []byte {
	return []byte{byte(v), byte(v >> 8), byte(v >> 16), 0}
}

func (e *Encoder) appendZRLE(dst, img []byte, stride int, r geom.Rect) []byte {
	if e.zrle == nil {
		e.zrle = newZstream(e.level)
	}
	out := e.scratch[:0]
	for ty := r.Y; ty < r.Y+r.H; ty += zrleTile {
		for tx := r.X; tx < r.X+r.W; tx += zrleTile {
			t := geom.Rect{X: tx, Y: ty, W: min(zrleTile, r.X+r.W-tx), H: min(zrleTile, r.Y+r.H-ty)}
			out = e.zrleTile(out, img, stride, t)
		}
	}
	e.scratch = out
	z := e.zrle.compress(out)
	dst = appendHeader(dst, r, EncZRLE)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(z)))
	return append(dst, z...)
}

// zrleTile appends one tile: solid, packed palette, palette RLE, plain
// RLE or raw, whichever is smallest by a quick estimate.
func (e *Encoder) zrleTile(out, img []byte, stride int, t geom.Rect) []byte {
	c := e.conv
	cols, small := e.palette(img, stride, t, 127)
	if small && len(cols) == 1 {
		out = append(out, 1)
		return c.putC(out, c.pixel(srcPix(cols[0])))
	}
	// Count runs for the RLE estimates.
	runs := 0
	var last uint32
	for y := t.Y; y < t.Y+t.H; y++ {
		for x := t.X; x < t.X+t.W; x++ {
			v := binary.LittleEndian.Uint32(img[y*stride+x*4:]) & 0xffffff
			if (y == t.Y && x == t.X) || v != last {
				runs++
				last = v
			}
		}
	}
	n := t.W * t.H
	cb := c.cbytes
	rawSize := n * cb
	rleSize := runs * (cb + 1)
	best, kind := rawSize, 0
	if rleSize < best {
		best, kind = rleSize, 128
	}
	if small {
		bits := 8
		switch {
		case len(cols) <= 2:
			bits = 1
		case len(cols) <= 4:
			bits = 2
		case len(cols) <= 16:
			bits = 4
		}
		if bits < 8 {
			if s := len(cols)*cb + (t.W*bits+7)/8*t.H; s < best {
				best, kind = s, len(cols)
			}
		}
		if s := len(cols)*cb + runs*2; s < best {
			kind = 128 + len(cols)
		}
	}
	switch {
	case kind == 0:
		out = append(out, 0)
		for y := t.Y; y < t.Y+t.H; y++ {
			for x := t.X; x < t.X+t.W; x++ {
				out = c.putC(out, c.pixel(img[y*stride+x*4:]))
			}
		}
	case kind == 128:
		out = append(out, 128)
		out = e.zrleRuns(out, img, stride, t, func(out []byte, v uint32, run int) []byte {
			out = c.putC(out, c.pixel(srcPix(v)))
			return appendRunLength(out, run)
		})
	case kind > 128:
		out = append(out, byte(kind))
		for _, v := range cols {
			out = c.putC(out, c.pixel(srcPix(v)))
		}
		out = e.zrleRuns(out, img, stride, t, func(out []byte, v uint32, run int) []byte {
			i := byte(e.pal[v])
			if run == 1 {
				return append(out, i)
			}
			return appendRunLength(append(out, i|0x80), run)
		})
	default: // packed palette
		out = append(out, byte(kind))
		for _, v := range cols {
			out = c.putC(out, c.pixel(srcPix(v)))
		}
		bits := 4
		if kind <= 2 {
			bits = 1
		} else if kind <= 4 {
			bits = 2
		}
		out = packIndexes(out, img, stride, t, bits, e.pal)
	}
	return out
}

// packIndexes appends the palette index of each pixel, bits each, most
// significant first, each row padded to a byte.
func packIndexes(out, img []byte, stride int, t geom.Rect, bits int, pal map[uint32]int) []byte {
	for y := t.Y; y < t.Y+t.H; y++ {
		var acc byte
		nb := 0
		for x := t.X; x < t.X+t.W; x++ {
			v := binary.LittleEndian.Uint32(img[y*stride+x*4:]) & 0xffffff
			acc = acc<<bits | byte(pal[v])
			nb += bits
			if nb == 8 {
				out = append(out, acc)
				acc, nb = 0, 0
			}
		}
		if nb > 0 {
			out = append(out, acc<<(8-nb))
		}
	}
	return out
}

func (e *Encoder) zrleRuns(out, img []byte, stride int, t geom.Rect, emit func([]byte, uint32, int) []byte) []byte {
	var cur uint32
	run := 0
	for y := t.Y; y < t.Y+t.H; y++ {
		for x := t.X; x < t.X+t.W; x++ {
			v := binary.LittleEndian.Uint32(img[y*stride+x*4:]) & 0xffffff
			if run > 0 && v == cur {
				run++
				continue
			}
			if run > 0 {
				out = emit(out, cur, run)
			}
			cur, run = v, 1
		}
	}
	return emit(out, cur, run)
}

// appendRunLength writes ZRLE's run length: run-1 as 255s and a last
// byte below 255.
func appendRunLength(out []byte, run int) []byte {
	run--
	for run >= 255 {
		out = append(out, 255)
		run -= 255
	}
	return append(out, byte(run))
}

// appendTight splits r into pieces Tight allows and encodes each.
func (e *Encoder) appendTight(dst, img []byte, stride int, r geom.Rect) ([]byte, int) {
	n := 0
	for x := r.X; x < r.X+r.W; x += tightMaxWidth {
		w := min(tightMaxWidth, r.X+r.W-x)
		rows := max(1, tightMaxPixels/w)
		for y := r.Y; y < r.Y+r.H; y += rows {
			dst = e.tightRect(dst, img, stride, geom.Rect{X: x, Y: y, W: w, H: min(rows, r.Y+r.H-y)})
			n++
		}
	}
	return dst, n
}

func appendCompactLen(dst []byte, n int) []byte {
	b := byte(n & 0x7f)
	if n <= 0x7f {
		return append(dst, b)
	}
	dst = append(dst, b|0x80)
	b = byte(n >> 7 & 0x7f)
	if n <= 0x3fff {
		return append(dst, b)
	}
	return append(dst, b|0x80, byte(n>>14))
}

// tightData appends Tight's pixel data: plain below 12 bytes, otherwise
// its compressed length and the stream's output.
func (e *Encoder) tightData(dst []byte, stream int, data []byte) []byte {
	if len(data) < 12 {
		return append(dst, data...)
	}
	if e.tight[stream] == nil {
		e.tight[stream] = newZstream(e.level)
	}
	z := e.tight[stream].compress(data)
	dst = appendCompactLen(dst, len(z))
	return append(dst, z...)
}

func (e *Encoder) tightRect(dst, img []byte, stride int, r geom.Rect) []byte {
	c := e.conv
	dst = appendHeader(dst, r, EncTight)
	cols, small := e.palette(img, stride, r, 256)
	if small && len(cols) == 1 {
		dst = append(dst, 0x80)
		return c.putT(dst, srcPix(cols[0]))
	}
	if small && len(cols) <= 16 || small && r.W*r.H >= 4*len(cols) && e.quality < 0 {
		// Palette filter on stream 1: one bit a pixel for two colours,
		// else one byte.
		dst = append(dst, 0x40|1<<4, 1, byte(len(cols)-1))
		for _, v := range cols {
			dst = c.putT(dst, srcPix(v))
		}
		data := e.scratch[:0]
		if len(cols) == 2 {
			data = packIndexes(data, img, stride, r, 1, e.pal)
		} else {
			for y := r.Y; y < r.Y+r.H; y++ {
				for x := r.X; x < r.X+r.W; x++ {
					data = append(data, byte(e.pal[binary.LittleEndian.Uint32(img[y*stride+x*4:])&0xffffff]))
				}
			}
		}
		e.scratch = data
		return e.tightData(dst, 1, data)
	}
	if e.quality >= 0 && c.pf.BPP == 32 && r.W >= 8 && r.H >= 8 {
		if j := e.jpeg(img, stride, r); j != nil {
			dst = append(dst, 0x90)
			dst = appendCompactLen(dst, len(j))
			return append(dst, j...)
		}
	}
	// Copy filter on stream 0, filter byte omitted.
	dst = append(dst, 0x00)
	data := e.scratch[:0]
	for y := r.Y; y < r.Y+r.H; y++ {
		for x := r.X; x < r.X+r.W; x++ {
			data = c.putT(data, img[y*stride+x*4:])
		}
	}
	e.scratch = data
	return e.tightData(dst, 0, data)
}

func (e *Encoder) jpeg(img []byte, stride int, r geom.Rect) []byte {
	m := image.NewRGBA(image.Rect(0, 0, r.W, r.H))
	for y := range r.H {
		src := img[(r.Y+y)*stride+r.X*4:]
		row := m.Pix[y*m.Stride:]
		for x := range r.W {
			row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = src[x*4+2], src[x*4+1], src[x*4], 255
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: tightJPEGQuality(e.quality)}); err != nil {
		return nil
	}
	return b.Bytes()
}
