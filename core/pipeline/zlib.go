package pipeline

import (
	"bytes"
	"compress/zlib"

	"github.com/xroam/xroam/core/wire"
)

// A paced window (see pace.go) sends a picture at most every
// FloodInterval, so its draws can afford a slower, tighter compressor:
// a terminal full of text is about three times smaller with zlib at
// level 6 than with lz4 (3.5 against 11.4 KB for an 80x24 xterm), for
// about 6 ms instead of 0.4. Larger pictures get level 1, so that a
// flooded full-screen window costs at most a few tens of milliseconds a
// draw.

const (
	zlibTight     = 6
	zlibFast      = 1
	zlibTightUpTo = 1 << 20 // bytes of pixels
)

// zlibEncoder keeps one zlib writer per level, reset for each draw.
type zlibEncoder struct {
	buf         bytes.Buffer
	tight, fast *zlib.Writer
}

// encode compresses src and says at which level; the result is valid
// until the next call.
func (z *zlibEncoder) encode(src []byte) ([]byte, int, error) {
	z.buf.Reset()
	w, level := &z.tight, zlibTight
	if len(src) > zlibTightUpTo {
		w, level = &z.fast, zlibFast
	}
	if *w == nil {
		zw, err := zlib.NewWriterLevel(&z.buf, level)
		if err != nil {
			return nil, 0, err
		}
		*w = zw
	} else {
		(*w).Reset(&z.buf)
	}
	if _, err := (*w).Write(src); err != nil {
		return nil, 0, err
	}
	if err := (*w).Close(); err != nil {
		return nil, 0, err
	}
	return z.buf.Bytes(), level, nil
}

// zlibDraw is an rgb32 draw compressed with zlib (nil if that failed,
// which the caller answers with lz4).
func (p *Pipeline) zlibDraw(wid int64, r Rect, pix []byte, seq int64) (wire.Packet, int) {
	data, level, err := p.z.encode(p.rgb(pix))
	if err != nil {
		p.cfg.Log.Debug("zlib failed", "wid", wid, "err", err)
		return nil, 0
	}
	return rgbPacket(wid, r, data, seq, p.rgbFormat(), "zlib", level), len(data)
}
