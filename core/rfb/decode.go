package rfb

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"

	"github.com/xroam/xroam/core/geom"
)

// This file is the client side of the encodings: the tests check the
// server's output with it, and its fuzz target makes sure hostile
// updates end in errors, not panics.

// MaxDecodePixels bounds the framebuffer a Decoder accepts.
const MaxDecodePixels = 8192 * 8192

// Decoder keeps a client's framebuffer up to date from the server's
// messages. Pix holds pixel values in PF, row after row.
type Decoder struct {
	PF   PixelFormat
	W, H int
	Pix  []uint32
	// Resized counts DesktopSize changes; Cursors counts cursor shapes.
	Resized, Cursors int
	// Rects counts the rectangles received by encoding.
	Rects map[int32]int
	Bells int
	// SizeStatus is the status of the last ExtendedDesktopSize (0: the
	// layout changed, 1: a request was prohibited...).
	SizeStatus int
	// SizeReason is its reason: 0 the server's change, 1 the answer to
	// this client's SetDesktopSize, 2 another client's.
	SizeReason int
	// MaxPixels bounds a DesktopSize change (MaxDecodePixels by default).
	MaxPixels int

	conv    *converter
	streams [6]*zreader // zlib, ZRLE, Tight 0..3
}

// NewDecoder returns a decoder for a w x h framebuffer in format pf.
func NewDecoder(pf PixelFormat, w, h int) (*Decoder, error) {
	if err := pf.Validate(); err != nil {
		return nil, err
	}
	if w < 0 || h < 0 || w*h > MaxDecodePixels {
		return nil, fmt.Errorf("framebuffer %dx%d is too large", w, h)
	}
	return &Decoder{PF: pf, W: w, H: h, Pix: make([]uint32, w*h), Rects: map[int32]int{}, conv: newConverter(pf), MaxPixels: MaxDecodePixels}, nil
}

// zreader is one of the client's persistent inflaters: the server's
// chunks are appended to src as they come.
type zreader struct {
	src bytes.Buffer
	zr  io.ReadCloser
}

func (z *zreader) feed(b []byte) { z.src.Write(b) }

func (z *zreader) Read(p []byte) (int, error) {
	if z.zr == nil {
		zr, err := zlib.NewReader(&z.src)
		if err != nil {
			return 0, fmt.Errorf("zlib stream: %w", err)
		}
		z.zr = zr
	}
	n, err := z.zr.Read(p)
	if err == io.EOF && n == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

func (d *Decoder) stream(i int) *zreader {
	if d.streams[i] == nil {
		d.streams[i] = &zreader{}
	}
	return d.streams[i]
}

// ReadMessage reads one server message and applies it. It returns the
// message type.
func (d *Decoder) ReadMessage(r io.Reader) (byte, error) {
	var t [1]byte
	if _, err := io.ReadFull(r, t[:]); err != nil {
		return 0, err
	}
	switch t[0] {
	case 0:
		return 0, d.readUpdate(r)
	case 2:
		d.Bells++
		return 2, nil
	case 3:
		var h [7]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return 3, unexpectedEOF(err)
		}
		n := int64(int32(binary.BigEndian.Uint32(h[3:])))
		if n < 0 {
			n = -n
		}
		if n > maxCutText {
			return 3, fmt.Errorf("ServerCutText of %d bytes", n)
		}
		_, err := io.CopyN(io.Discard, r, n)
		return 3, unexpectedEOF(err)
	}
	return t[0], fmt.Errorf("unexpected server message type %d", t[0])
}

// readN reads n bytes; large sizes grow the buffer as the bytes come, so
// that a lying length costs no more memory than the data sent.
func readN(r io.Reader, n int) ([]byte, error) {
	if n <= 64<<10 {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, unexpectedEOF(err)
	}
	var b bytes.Buffer
	got, err := io.CopyN(&b, r, int64(n))
	if got < int64(n) && err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return b.Bytes(), err
}

func (d *Decoder) readUpdate(r io.Reader) error {
	h, err := readN(r, 3)
	if err != nil {
		return err
	}
	n := int(binary.BigEndian.Uint16(h[1:]))
	for range n {
		rh, err := readN(r, 12)
		if err != nil {
			return err
		}
		rect := geom.Rect{X: int(binary.BigEndian.Uint16(rh)), Y: int(binary.BigEndian.Uint16(rh[2:])), W: int(binary.BigEndian.Uint16(rh[4:])), H: int(binary.BigEndian.Uint16(rh[6:]))}
		enc := int32(binary.BigEndian.Uint32(rh[8:]))
		d.Rects[enc]++
		if enc == EncLastRect {
			return nil
		}
		if err := d.readRect(r, rect, enc); err != nil {
			return fmt.Errorf("rectangle %v, encoding %d: %w", rect, enc, err)
		}
	}
	return nil
}

func (d *Decoder) readRect(r io.Reader, rect geom.Rect, enc int32) error {
	switch enc {
	case EncDesktopSize:
		if rect.W*rect.H > d.MaxPixels {
			return fmt.Errorf("desktop size %dx%d is too large", rect.W, rect.H)
		}
		d.W, d.H, d.Pix = rect.W, rect.H, make([]uint32, rect.W*rect.H)
		d.Resized++
		return nil
	case EncExtendedDesktopSize:
		b, err := readN(r, 4)
		if err != nil {
			return err
		}
		if _, err := readN(r, 16*int(b[0])); err != nil {
			return err
		}
		d.SizeReason, d.SizeStatus = rect.X, rect.Y
		if rect.Y != 0 || (rect.W == d.W && rect.H == d.H) {
			return nil
		}
		if rect.W*rect.H > d.MaxPixels {
			return fmt.Errorf("desktop size %dx%d is too large", rect.W, rect.H)
		}
		d.W, d.H, d.Pix = rect.W, rect.H, make([]uint32, rect.W*rect.H)
		d.Resized++
		return nil
	case EncCursor:
		if rect.W > 1024 || rect.H > 1024 {
			return fmt.Errorf("cursor of %dx%d", rect.W, rect.H)
		}
		_, err := readN(r, rect.W*rect.H*d.PF.Bytes()+(rect.W+7)/8*rect.H)
		d.Cursors++
		return err
	}
	if rect.X+rect.W > d.W || rect.Y+rect.H > d.H {
		return fmt.Errorf("outside the %dx%d framebuffer", d.W, d.H)
	}
	switch enc {
	case EncRaw:
		return d.readPixels(r, rect)
	case EncCopyRect:
		b, err := readN(r, 4)
		if err != nil {
			return err
		}
		sx, sy := int(binary.BigEndian.Uint16(b)), int(binary.BigEndian.Uint16(b[2:]))
		if sx+rect.W > d.W || sy+rect.H > d.H {
			return fmt.Errorf("copy source %d,%d outside the framebuffer", sx, sy)
		}
		tmp := make([]uint32, rect.W*rect.H)
		for y := range rect.H {
			copy(tmp[y*rect.W:(y+1)*rect.W], d.Pix[(sy+y)*d.W+sx:])
		}
		for y := range rect.H {
			copy(d.Pix[(rect.Y+y)*d.W+rect.X:], tmp[y*rect.W:(y+1)*rect.W])
		}
		return nil
	case EncZlib:
		z, err := d.chunk(r, 0)
		if err != nil {
			return err
		}
		return d.readPixels(z, rect)
	case EncZRLE:
		z, err := d.chunk(r, 1)
		if err != nil {
			return err
		}
		return d.readZRLE(z, rect)
	case EncTight:
		return d.readTight(r, rect)
	}
	return fmt.Errorf("unknown encoding")
}

// chunk reads a u32-length zlib chunk into stream i.
func (d *Decoder) chunk(r io.Reader, i int) (io.Reader, error) {
	b, err := readN(r, 4)
	if err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(b)
	if n > 64<<20 {
		return nil, fmt.Errorf("zlib chunk of %d bytes", n)
	}
	data, err := readN(r, int(n))
	if err != nil {
		return nil, err
	}
	z := d.stream(i)
	z.feed(data)
	return z, nil
}

func (d *Decoder) pixelAt(b []byte) uint32 {
	switch d.PF.BPP {
	case 8:
		return uint32(b[0])
	case 16:
		if d.PF.BigEndian {
			return uint32(binary.BigEndian.Uint16(b))
		}
		return uint32(binary.LittleEndian.Uint16(b))
	}
	if d.PF.BigEndian {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *Decoder) readPixels(r io.Reader, rect geom.Rect) error {
	bp := d.PF.Bytes()
	row := make([]byte, rect.W*bp)
	for y := range rect.H {
		if _, err := io.ReadFull(r, row); err != nil {
			return unexpectedEOF(err)
		}
		for x := range rect.W {
			d.Pix[(rect.Y+y)*d.W+rect.X+x] = d.pixelAt(row[x*bp:])
		}
	}
	return nil
}

// readC reads a ZRLE CPIXEL.
func (d *Decoder) readC(r io.Reader) (uint32, error) {
	c := d.conv
	var b [4]byte
	if c.cdrop < 0 {
		if _, err := io.ReadFull(r, b[:c.cbytes]); err != nil {
			return 0, unexpectedEOF(err)
		}
		return d.pixelAt(b[:]), nil
	}
	var t [3]byte
	if _, err := io.ReadFull(r, t[:]); err != nil {
		return 0, unexpectedEOF(err)
	}
	j := 0
	for i := range 4 {
		if i != c.cdrop {
			b[i] = t[j]
			j++
		}
	}
	return d.pixelAt(b[:]), nil
}

func (d *Decoder) set(x, y int, v uint32) { d.Pix[y*d.W+x] = v }

func readByte(r io.Reader) (byte, error) {
	var b [1]byte
	_, err := io.ReadFull(r, b[:])
	return b[0], unexpectedEOF(err)
}

func readRunLength(r io.Reader) (int, error) {
	n := 1
	for {
		b, err := readByte(r)
		if err != nil {
			return 0, err
		}
		n += int(b)
		if n > zrleTile*zrleTile {
			return 0, errors.New("run longer than a tile")
		}
		if b != 255 {
			return n, nil
		}
	}
}

func (d *Decoder) readZRLE(r io.Reader, rect geom.Rect) error {
	for ty := rect.Y; ty < rect.Y+rect.H; ty += zrleTile {
		for tx := rect.X; tx < rect.X+rect.W; tx += zrleTile {
			t := geom.Rect{X: tx, Y: ty, W: min(zrleTile, rect.X+rect.W-tx), H: min(zrleTile, rect.Y+rect.H-ty)}
			if err := d.zrleTile(r, t); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Decoder) zrleTile(r io.Reader, t geom.Rect) error {
	sub, err := readByte(r)
	if err != nil {
		return err
	}
	if sub >= 17 && sub <= 127 || sub == 129 {
		return fmt.Errorf("ZRLE subencoding %d", sub)
	}
	var pal []uint32
	n := int(sub)
	if sub > 128 {
		n = int(sub) - 128
	}
	if sub == 128 {
		n = 0
	}
	for range n {
		v, err := d.readC(r)
		if err != nil {
			return err
		}
		pal = append(pal, v)
	}
	switch {
	case sub == 0:
		for y := t.Y; y < t.Y+t.H; y++ {
			for x := t.X; x < t.X+t.W; x++ {
				v, err := d.readC(r)
				if err != nil {
					return err
				}
				d.set(x, y, v)
			}
		}
	case sub == 1:
		for y := t.Y; y < t.Y+t.H; y++ {
			for x := t.X; x < t.X+t.W; x++ {
				d.set(x, y, pal[0])
			}
		}
	case sub <= 16:
		bits := 4
		if sub == 2 {
			bits = 1
		} else if sub <= 4 {
			bits = 2
		}
		row := make([]byte, (t.W*bits+7)/8)
		for y := t.Y; y < t.Y+t.H; y++ {
			if _, err := io.ReadFull(r, row); err != nil {
				return unexpectedEOF(err)
			}
			for i := range t.W {
				bit := i * bits
				idx := int(row[bit/8]>>(8-bits-bit%8)) & (1<<bits - 1)
				if idx >= len(pal) {
					return fmt.Errorf("palette index %d of %d", idx, len(pal))
				}
				d.set(t.X+i, y, pal[idx])
			}
		}
	default: // RLE, plain (128) or with a palette
		for p := 0; p < t.W*t.H; {
			var v uint32
			run := 1
			if sub == 128 {
				if v, err = d.readC(r); err != nil {
					return err
				}
				if run, err = readRunLength(r); err != nil {
					return err
				}
			} else {
				idx, err := readByte(r)
				if err != nil {
					return err
				}
				if idx&0x80 != 0 {
					if run, err = readRunLength(r); err != nil {
						return err
					}
				}
				if int(idx&0x7f) >= len(pal) {
					return fmt.Errorf("palette index %d of %d", idx&0x7f, len(pal))
				}
				v = pal[idx&0x7f]
			}
			if p+run > t.W*t.H {
				return errors.New("run past the tile's end")
			}
			for range run {
				d.set(t.X+p%t.W, t.Y+p/t.W, v)
				p++
			}
		}
	}
	return nil
}

// readT reads Tight's TPIXEL.
func (d *Decoder) readT(r io.Reader) (uint32, error) {
	if !d.conv.tight24 {
		b := make([]byte, d.PF.Bytes())
		if _, err := io.ReadFull(r, b); err != nil {
			return 0, unexpectedEOF(err)
		}
		return d.pixelAt(b), nil
	}
	var b [3]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, unexpectedEOF(err)
	}
	return d.rgb(b[0], b[1], b[2]), nil
}

func (d *Decoder) rgb(r, g, b byte) uint32 { return d.conv.pixel([]byte{b, g, r, 0}) }

func readCompactLen(r io.Reader) (int, error) {
	n := 0
	for i := range 3 {
		b, err := readByte(r)
		if err != nil {
			return 0, err
		}
		if i == 2 {
			return n | int(b)<<14, nil
		}
		n |= int(b&0x7f) << (7 * i)
		if b&0x80 == 0 {
			return n, nil
		}
	}
	return n, nil
}

// tightData reads n bytes of Tight data: plain below 12, else through
// stream s.
func (d *Decoder) tightData(r io.Reader, s, n int) ([]byte, error) {
	if n < 12 {
		return readN(r, n)
	}
	clen, err := readCompactLen(r)
	if err != nil {
		return nil, err
	}
	data, err := readN(r, clen)
	if err != nil {
		return nil, err
	}
	z := d.stream(2 + s)
	z.feed(data)
	return readN(z, n)
}

func (d *Decoder) readTight(r io.Reader, rect geom.Rect) error {
	ctl, err := readByte(r)
	if err != nil {
		return err
	}
	for i := range 4 {
		if ctl&(1<<i) != 0 {
			d.streams[2+i] = nil
		}
	}
	ctl >>= 4
	switch {
	case ctl == 8: // fill
		v, err := d.readT(r)
		if err != nil {
			return err
		}
		for y := rect.Y; y < rect.Y+rect.H; y++ {
			for x := rect.X; x < rect.X+rect.W; x++ {
				d.set(x, y, v)
			}
		}
		return nil
	case ctl == 9: // JPEG
		n, err := readCompactLen(r)
		if err != nil {
			return err
		}
		data, err := readN(r, n)
		if err != nil {
			return err
		}
		// Check the size before decoding: a JPEG header can claim a
		// huge image.
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("tight jpeg: %w", err)
		}
		if cfg.Width != rect.W || cfg.Height != rect.H {
			return fmt.Errorf("tight jpeg of %dx%d for %dx%d", cfg.Width, cfg.Height, rect.W, rect.H)
		}
		m, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("tight jpeg: %w", err)
		}
		if m.Bounds().Dx() != rect.W || m.Bounds().Dy() != rect.H {
			return fmt.Errorf("tight jpeg of %v for %dx%d", m.Bounds(), rect.W, rect.H)
		}
		for y := range rect.H {
			for x := range rect.W {
				cr, cg, cb, _ := m.At(m.Bounds().Min.X+x, m.Bounds().Min.Y+y).RGBA()
				d.set(rect.X+x, rect.Y+y, d.rgb(byte(cr>>8), byte(cg>>8), byte(cb>>8)))
			}
		}
		return nil
	case ctl > 7:
		return fmt.Errorf("tight compression control %#x", ctl)
	}
	if rect.W > tightMaxWidth {
		return fmt.Errorf("tight rectangle %d wide", rect.W)
	}
	stream := int(ctl & 3)
	filter := byte(0)
	if ctl&4 != 0 {
		if filter, err = readByte(r); err != nil {
			return err
		}
	}
	tb := d.conv.tbytes()
	switch filter {
	case 0:
		data, err := d.tightData(r, stream, rect.W*rect.H*tb)
		if err != nil {
			return err
		}
		br := bytes.NewReader(data)
		for y := rect.Y; y < rect.Y+rect.H; y++ {
			for x := rect.X; x < rect.X+rect.W; x++ {
				v, err := d.readT(br)
				if err != nil {
					return err
				}
				d.set(x, y, v)
			}
		}
		return nil
	case 1:
		nc, err := readByte(r)
		if err != nil {
			return err
		}
		pal := make([]uint32, int(nc)+1)
		for i := range pal {
			if pal[i], err = d.readT(r); err != nil {
				return err
			}
		}
		bits, rowBytes := 8, rect.W
		if len(pal) == 2 {
			bits, rowBytes = 1, (rect.W+7)/8
		}
		data, err := d.tightData(r, stream, rowBytes*rect.H)
		if err != nil {
			return err
		}
		for y := range rect.H {
			row := data[y*rowBytes:]
			for x := range rect.W {
				var idx int
				if bits == 1 {
					idx = int(row[x/8]>>(7-x%8)) & 1
				} else {
					idx = int(row[x])
				}
				if idx >= len(pal) {
					return fmt.Errorf("palette index %d of %d", idx, len(pal))
				}
				d.set(rect.X+x, rect.Y+y, pal[idx])
			}
		}
		return nil
	}
	return fmt.Errorf("tight filter %d", filter)
}

// Image returns the framebuffer as an RGBA image, for comparisons.
func (d *Decoder) Image() *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, d.W, d.H))
	for i, v := range d.Pix {
		r, g, b := d.PF.RGB(v)
		m.Pix[i*4], m.Pix[i*4+1], m.Pix[i*4+2], m.Pix[i*4+3] = r, g, b, 255
	}
	return m
}

// RGB scales a pixel value of the format back to 8-bit channels.
func (pf PixelFormat) RGB(v uint32) (r, g, b byte) {
	ch := func(max uint16, shift uint8) byte {
		return byte((int(v>>shift&uint32(max))*255 + int(max)/2) / int(max))
	}
	return ch(pf.RedMax, pf.RedShift), ch(pf.GreenMax, pf.GreenShift), ch(pf.BlueMax, pf.BlueShift)
}
