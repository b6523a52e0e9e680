package rfb

import (
	"encoding/binary"
	"fmt"

	"github.com/xroam/xroam/core/geom"
)

// PixelFormat is RFB's PIXEL_FORMAT (RFC 6143 7.4).
type PixelFormat struct {
	BPP, Depth                      uint8
	BigEndian, TrueColor            bool
	RedMax, GreenMax, BlueMax       uint16
	RedShift, GreenShift, BlueShift uint8
}

// ServerPixelFormat is the format the server announces: 32 bits per pixel,
// depth 24, little-endian 0x00RRGGBB, which is the byte order of the X
// captures (B, G, R, X), so raw updates need no conversion.
func ServerPixelFormat() PixelFormat {
	return PixelFormat{BPP: 32, Depth: 24, TrueColor: true, RedMax: 255, GreenMax: 255, BlueMax: 255, RedShift: 16, GreenShift: 8, BlueShift: 0}
}

// Marshal returns the 16 bytes of the format on the wire.
func (pf PixelFormat) Marshal() []byte {
	b := make([]byte, 16)
	b[0], b[1] = pf.BPP, pf.Depth
	if pf.BigEndian {
		b[2] = 1
	}
	if pf.TrueColor {
		b[3] = 1
	}
	binary.BigEndian.PutUint16(b[4:], pf.RedMax)
	binary.BigEndian.PutUint16(b[6:], pf.GreenMax)
	binary.BigEndian.PutUint16(b[8:], pf.BlueMax)
	b[10], b[11], b[12] = pf.RedShift, pf.GreenShift, pf.BlueShift
	return b
}

// ParsePixelFormat reads 16 wire bytes and checks that the server can
// produce the format: true colour, 8, 16 or 32 bits per pixel, each
// channel's maximum a run of ones that fits in the pixel at its shift.
func ParsePixelFormat(b []byte) (PixelFormat, error) {
	if len(b) < 16 {
		return PixelFormat{}, fmt.Errorf("pixel format: %d bytes, want 16", len(b))
	}
	pf := PixelFormat{
		BPP: b[0], Depth: b[1], BigEndian: b[2] != 0, TrueColor: b[3] != 0,
		RedMax: binary.BigEndian.Uint16(b[4:]), GreenMax: binary.BigEndian.Uint16(b[6:]), BlueMax: binary.BigEndian.Uint16(b[8:]),
		RedShift: b[10], GreenShift: b[11], BlueShift: b[12],
	}
	return pf, pf.Validate()
}

// Validate reports why the server cannot produce pf, or nil.
func (pf PixelFormat) Validate() error {
	if pf.BPP != 8 && pf.BPP != 16 && pf.BPP != 32 {
		return fmt.Errorf("pixel format: %d bits per pixel (8, 16 or 32 are possible)", pf.BPP)
	}
	if !pf.TrueColor {
		return fmt.Errorf("pixel format: colour maps are not supported, only true colour")
	}
	for _, ch := range []struct {
		name  string
		max   uint16
		shift uint8
	}{{"red", pf.RedMax, pf.RedShift}, {"green", pf.GreenMax, pf.GreenShift}, {"blue", pf.BlueMax, pf.BlueShift}} {
		if ch.max == 0 || ch.max&(ch.max+1) != 0 {
			return fmt.Errorf("pixel format: %s maximum %d is not 2^n-1", ch.name, ch.max)
		}
		if int(ch.shift)+bitLen(ch.max) > int(pf.BPP) {
			return fmt.Errorf("pixel format: %s (max %d, shift %d) does not fit in %d bits", ch.name, ch.max, ch.shift, pf.BPP)
		}
	}
	return nil
}

func bitLen(v uint16) int {
	n := 0
	for ; v != 0; v >>= 1 {
		n++
	}
	return n
}

// Bytes is the size of one pixel.
func (pf PixelFormat) Bytes() int { return int(pf.BPP) / 8 }

// converter turns BGRX source pixels into a client format.
type converter struct {
	pf         PixelFormat
	r, g, b    [256]uint32
	identity   bool // the client format is the source's
	cbytes     int  // ZRLE's CPIXEL size
	cdrop      int  // the byte of a 4-byte pixel that CPIXEL leaves out (-1 none)
	tight24    bool // Tight's TPIXEL is R, G, B
	maskRGBMax uint32
}

func newConverter(pf PixelFormat) *converter {
	c := &converter{pf: pf, cbytes: pf.Bytes(), cdrop: -1}
	for i := range 256 {
		c.r[i] = uint32((i*int(pf.RedMax)+127)/255) << pf.RedShift
		c.g[i] = uint32((i*int(pf.GreenMax)+127)/255) << pf.GreenShift
		c.b[i] = uint32((i*int(pf.BlueMax)+127)/255) << pf.BlueShift
	}
	c.identity = pf == ServerPixelFormat()
	mask := uint32(pf.RedMax)<<pf.RedShift | uint32(pf.GreenMax)<<pf.GreenShift | uint32(pf.BlueMax)<<pf.BlueShift
	c.maskRGBMax = mask
	if pf.BPP == 32 && pf.Depth <= 24 {
		switch {
		case mask&0xff000000 == 0: // fits in the low three bytes
			c.cbytes = 3
			c.cdrop = 3 // the most significant byte
		case mask&0x000000ff == 0:
			c.cbytes = 3
			c.cdrop = 0
		}
		if c.cdrop >= 0 && pf.BigEndian {
			c.cdrop = 3 - c.cdrop // its position in big-endian order
		}
	}
	c.tight24 = pf.BPP == 32 && pf.Depth == 24 && pf.RedMax == 255 && pf.GreenMax == 255 && pf.BlueMax == 255
	return c
}

// pixel converts one BGRX source pixel to the client's value.
func (c *converter) pixel(p []byte) uint32 {
	return c.r[p[2]] | c.g[p[1]] | c.b[p[0]]
}

// put writes value v as a PIXEL.
func (c *converter) put(dst []byte, v uint32) []byte {
	switch c.pf.BPP {
	case 8:
		return append(dst, byte(v))
	case 16:
		if c.pf.BigEndian {
			return binary.BigEndian.AppendUint16(dst, uint16(v))
		}
		return binary.LittleEndian.AppendUint16(dst, uint16(v))
	}
	if c.pf.BigEndian {
		return binary.BigEndian.AppendUint32(dst, v)
	}
	return binary.LittleEndian.AppendUint32(dst, v)
}

// putC writes v as ZRLE's CPIXEL.
func (c *converter) putC(dst []byte, v uint32) []byte {
	if c.cdrop < 0 {
		return c.put(dst, v)
	}
	var b [4]byte
	if c.pf.BigEndian {
		binary.BigEndian.PutUint32(b[:], v)
	} else {
		binary.LittleEndian.PutUint32(b[:], v)
	}
	for i := range 4 {
		if i != c.cdrop {
			dst = append(dst, b[i])
		}
	}
	return dst
}

// putT writes source pixel p as Tight's TPIXEL.
func (c *converter) putT(dst []byte, p []byte) []byte {
	if c.tight24 {
		return append(dst, p[2], p[1], p[0])
	}
	return c.put(dst, c.pixel(p))
}

// tbytes is the size of a TPIXEL.
func (c *converter) tbytes() int {
	if c.tight24 {
		return 3
	}
	return c.pf.Bytes()
}

// rawRect appends the pixels of area r of the BGRX image src (stride
// bytes a row) in the client's format.
func (c *converter) rawRect(dst, src []byte, stride int, r geom.Rect) []byte {
	for y := r.Y; y < r.Y+r.H; y++ {
		row := src[y*stride+r.X*4 : y*stride+(r.X+r.W)*4]
		if c.identity {
			dst = append(dst, row...)
			continue
		}
		for x := 0; x < len(row); x += 4 {
			dst = c.put(dst, c.pixel(row[x:]))
		}
	}
	return dst
}
