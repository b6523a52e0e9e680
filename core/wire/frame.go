package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// Chunk header constants.
const (
	HeaderSize = 8
	Magic      = 'P'

	FlagRencode     = 0x01
	FlagEncrypted   = 0x02
	FlagYAML        = 0x04
	FlagFlush       = 0x08 // xpra >= 4 hint, ignored
	FlagRencodePlus = 0x10

	// DefaultMaxPacketSize is the chunk size limit before the hello
	// (xpra 3.1.3 uses the same).
	DefaultMaxPacketSize = 16 << 20
	// HardMaxPacketSize is the absolute limit: larger chunks are always
	// refused.
	HardMaxPacketSize = 256 << 20
	// MaxRawChunks is the number of raw (index > 0) chunks that may
	// precede a main packet; xpra 3.1.3 refuses a 4th.
	MaxRawChunks = 3
)

// Framing errors (wrapped by the returned errors).
var (
	ErrBadMagic            = errors.New("wire: bad magic byte (not an xpra packet)")
	ErrEncrypted           = errors.New("wire: an encrypted packet (flag 0x02), but no encryption was agreed")
	ErrUnsupportedEncoding = errors.New("wire: unsupported packet encoding")
	ErrTooManyChunks       = errors.New("wire: too many raw chunks pending")
	ErrBadChunkIndex       = errors.New("wire: raw chunk index out of range")
	ErrNotAPacket          = errors.New("wire: decoded value is not a packet list")
)

// Header is the 8-byte chunk header: magic 'P', protocol flags,
// compression level byte, chunk index, big-endian payload size.
type Header struct {
	Flags byte
	Level byte // low nibble: level; high bits: algorithm (LevelZlib, LevelLZ4 ...)
	Index uint8
	Size  uint32
}

// ParseHeader parses the first HeaderSize bytes of b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("wire: short header (%d bytes)", len(b))
	}
	if b[0] != Magic {
		return Header{}, fmt.Errorf("%w: 0x%02x", ErrBadMagic, b[0])
	}
	return Header{Flags: b[1], Level: b[2], Index: b[3], Size: binary.BigEndian.Uint32(b[4:8])}, nil
}

// Put writes the header into b[:HeaderSize].
func (h Header) Put(b []byte) {
	_ = b[HeaderSize-1]
	b[0] = Magic
	b[1] = h.Flags
	b[2] = h.Level
	b[3] = h.Index
	binary.BigEndian.PutUint32(b[4:8], h.Size)
}

// Encoding returns the packet encoding signalled by the flags.
func (h Header) Encoding() (Encoding, error) {
	switch {
	case h.Flags&FlagEncrypted != 0:
		return 0, ErrEncrypted
	case h.Flags&FlagRencodePlus != 0:
		return RencodePlus, nil
	case h.Flags&FlagRencode != 0:
		return Rencode, nil
	case h.Flags&FlagYAML != 0:
		return 0, fmt.Errorf("%w: yaml", ErrUnsupportedEncoding)
	}
	return Bencode, nil
}

// Compressor returns the compression algorithm signalled by the level byte.
func (h Header) Compressor() (Compressor, error) { return compressorOf(h.Level) }

// RawChunk marks a binary packet item for the Writer: placed at the top
// level of a packet (index >= 1) it is sent as a separate raw chunk
// before the main packet (its slot in the main packet becomes an empty
// byte string); with Compress set it is compressed with the Writer's
// compressor. Elsewhere (or beyond MaxRawChunks) it is encoded inline as
// plain bytes. Note that the xpra 3.1.3 HTML5 client rejects chunk
// indexes >= 20.
type RawChunk struct {
	Data     []byte
	Compress bool
}

// Info describes how a packet was received.
type Info struct {
	Encoding   Encoding   // encoder of the main chunk
	Compressor Compressor // compression of the main chunk
	Level      int        // compression level of the main chunk
	WireSize   int        // bytes read for the packet, all chunks and headers
	RawChunks  int        // number of raw chunks substituted
}

type rawItem struct {
	index int
	data  []byte
}

// Reader reads xpra chunks from a byte stream and assembles packets.
// A Reader is not safe for concurrent use. After any error other than a
// decode error of a complete chunk the stream position is undefined; the
// connection should be closed (xpra does the same).
type Reader struct {
	br      *bufio.Reader
	maxSize int
	lim     Limits
	dc      decompressor
	raw     [MaxRawChunks]rawItem
	nraw    int
	hdr     [HeaderSize]byte
	cbuf    []byte
	wire    int
	// dec is swapped by the goroutine that sends hellos while another
	// may be blocked reading; the peer sends nothing encrypted before it.
	dec atomic.Pointer[Decrypter]
}

// SetDecrypter makes the Reader decrypt what follows (nil: nothing is
// encrypted). Once set, an unencrypted chunk is an error, as in xpra.
func (r *Reader) SetDecrypter(d *Decrypter) { r.dec.Store(d) }

// NewReader returns a Reader with DefaultMaxPacketSize and default
// decoding limits.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), maxSize: DefaultMaxPacketSize, lim: DefaultLimits()}
}

// SetMaxPacketSize sets the per-chunk limit (compressed and decompressed),
// clamped to [HeaderSize, HardMaxPacketSize]. xpra raises it after the
// hello (to max(16 MiB, desktop w*h*4, file size limit) + 4 KiB).
func (r *Reader) SetMaxPacketSize(n int) {
	r.maxSize = min(max(n, HeaderSize), HardMaxPacketSize)
}

// MaxPacketSize returns the current per-chunk limit.
func (r *Reader) MaxPacketSize() int { return r.maxSize }

// SetLimits sets the decoding limits.
func (r *Reader) SetLimits(l Limits) { r.lim = l.normalized() }

// ReadPacket reads chunks until a complete packet is assembled.
func (r *Reader) ReadPacket() (Packet, error) {
	p, _, err := r.ReadPacketInfo()
	return p, err
}

// ReadPacketInfo is ReadPacket also returning how the packet was sent.
func (r *Reader) ReadPacketInfo() (Packet, Info, error) {
	r.wire = 0
	for {
		h, payload, err := r.readChunk()
		if err != nil {
			r.nraw = 0
			return nil, Info{}, err
		}
		comp, _ := h.Compressor() // validated by readChunk
		if h.Index > 0 {
			if r.nraw >= MaxRawChunks {
				r.nraw = 0
				return nil, Info{}, fmt.Errorf("%w: more than %d before a main packet", ErrTooManyChunks, MaxRawChunks)
			}
			r.raw[r.nraw] = rawItem{index: int(h.Index), data: payload}
			r.nraw++
			continue
		}
		enc, _ := h.Encoding()
		info := Info{Encoding: enc, Compressor: comp, Level: int(h.Level & levelMask), WireSize: r.wire, RawChunks: r.nraw}
		p, err := r.decodeMain(enc, payload)
		r.raw = [MaxRawChunks]rawItem{}
		r.nraw = 0
		if err != nil {
			return nil, info, err
		}
		return p, info, nil
	}
}

func (r *Reader) decodeMain(enc Encoding, payload []byte) (Packet, error) {
	v, err := DecodeLimits(enc, payload, r.lim)
	if err != nil {
		return nil, fmt.Errorf("wire: decoding %d byte %s packet: %w", len(payload), enc, err)
	}
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return nil, fmt.Errorf("%w: got %T", ErrNotAPacket, v)
	}
	for i := 0; i < r.nraw; i++ {
		it := r.raw[i]
		if it.index >= len(l) {
			return nil, fmt.Errorf("%w: index %d, packet has %d items", ErrBadChunkIndex, it.index, len(l))
		}
		l[it.index] = it.data
	}
	return Packet(l), nil
}

// readChunk reads one chunk and returns its (decompressed) payload.
func (r *Reader) readChunk() (Header, []byte, error) {
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Header{}, nil, fmt.Errorf("wire: reading chunk header: %w", err)
		}
		return Header{}, nil, err // io.EOF on a clean close between chunks
	}
	h, err := ParseHeader(r.hdr[:])
	if err != nil {
		return h, nil, err
	}
	dec := r.dec.Load()
	encrypted := h.Flags&FlagEncrypted != 0
	switch {
	case encrypted && dec == nil:
		return h, nil, ErrEncrypted
	case !encrypted && dec != nil:
		return h, nil, fmt.Errorf("%w: an unencrypted chunk on an encrypted connection", ErrCipher)
	}
	h.Flags &^= FlagEncrypted
	if h.Index == 0 {
		if _, err := h.Encoding(); err != nil {
			return h, nil, err
		}
	}
	comp, err := h.Compressor()
	if err != nil {
		return h, nil, err
	}
	if int64(h.Size) > int64(r.maxSize) {
		return h, nil, fmt.Errorf("%w: chunk of %d bytes exceeds limit %d", ErrTooLarge, h.Size, r.maxSize)
	}
	size := int(h.Size)
	if encrypted {
		return r.readSealed(h, comp, dec, size)
	}
	r.wire += HeaderSize + size
	if comp == NoCompression {
		buf := make([]byte, size)
		if _, err := io.ReadFull(r.br, buf); err != nil {
			return h, nil, fmt.Errorf("wire: reading %d byte chunk: %w", size, noEOF(err))
		}
		return h, buf, nil
	}
	if cap(r.cbuf) < size {
		r.cbuf = make([]byte, size)
	}
	cbuf := r.cbuf[:size]
	if _, err := io.ReadFull(r.br, cbuf); err != nil {
		return h, nil, fmt.Errorf("wire: reading %d byte chunk: %w", size, noEOF(err))
	}
	out, err := r.dc.decompress(comp, cbuf, r.maxSize)
	if cap(r.cbuf) > 4<<20 {
		r.cbuf = nil // do not pin large buffers
	}
	if err != nil {
		return h, nil, fmt.Errorf("wire: chunk %d: %w", h.Index, err)
	}
	return h, out, nil
}

// readSealed reads an encrypted chunk: size payload bytes and their
// padding.
func (r *Reader) readSealed(h Header, comp Compressor, dec *Decrypter, size int) (Header, []byte, error) {
	buf := make([]byte, size+padLen(size))
	r.wire += HeaderSize + len(buf)
	if _, err := io.ReadFull(r.br, buf); err != nil {
		return h, nil, fmt.Errorf("wire: reading %d byte chunk: %w", len(buf), noEOF(err))
	}
	payload, err := dec.open(buf, size)
	if err != nil {
		return h, nil, err
	}
	if comp == NoCompression {
		return h, payload, nil
	}
	out, err := r.dc.decompress(comp, payload, r.maxSize)
	if err != nil {
		return h, nil, fmt.Errorf("wire: chunk %d: %w", h.Index, err)
	}
	return h, out, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Writer encodes packets and writes them as xpra chunks. It is safe for
// concurrent use: each packet (raw chunks and main chunk) is written
// atomically with respect to other WritePacket calls.
type Writer struct {
	mu        sync.Mutex
	w         io.Writer
	enc       Encoding
	comp      Compressor
	level     int
	threshold int
	buf       []byte
	cbuf      []byte
	rbuf      []byte // raw chunk staging (main may live in cbuf)
	cs        compressorState
	hdrs      [MaxRawChunks][HeaderSize]byte
	vec       [2][]byte
	items     []any
	encr      *Encrypter
}

// SetEncrypter makes the Writer encrypt what follows (nil: stop).
func (w *Writer) SetEncrypter(e *Encrypter) {
	w.mu.Lock()
	w.encr = e
	w.mu.Unlock()
}

// NewWriter returns a Writer using rencode without compression (what a
// 3.1.3 peer accepts before negotiation).
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, enc: Rencode}
}

// SetEncoding selects the packet encoder.
func (w *Writer) SetEncoding(e Encoding) {
	w.mu.Lock()
	w.enc = e
	w.mu.Unlock()
}

// Encoding returns the packet encoder in use.
func (w *Writer) Encoding() Encoding {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.enc
}

// SetCompression selects the compressor and level (0 disables; levels are
// clamped to 0..9).
func (w *Writer) SetCompression(c Compressor, level int) {
	w.mu.Lock()
	w.comp, w.level = c, min(max(level, 0), 9)
	w.mu.Unlock()
}

// SetLevel changes only the compression level (for set_deflate).
func (w *Writer) SetLevel(level int) {
	w.mu.Lock()
	w.level = min(max(level, 0), 9)
	w.mu.Unlock()
}

// Compression returns the compressor and level in use.
func (w *Writer) Compression() (Compressor, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.comp, w.level
}

// SetChunkThreshold makes top-level []byte items of at least n bytes go out
// as raw chunks (uncompressed) instead of being inlined; n <= 0 disables
// it (the default). RawChunk items are always chunked.
func (w *Writer) SetChunkThreshold(n int) {
	w.mu.Lock()
	w.threshold = n
	w.mu.Unlock()
}

// Apply configures encoder and compression from a negotiation result.
func (w *Writer) Apply(n Negotiated) {
	w.mu.Lock()
	w.enc, w.comp, w.level = n.Encoding, n.Compressor, min(max(n.Level, 0), 9)
	w.mu.Unlock()
}

// WritePacket encodes p and writes it (raw chunks first, then the main
// chunk).
func (w *Writer) WritePacket(p Packet) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(p) == 0 {
		return errors.New("wire: empty packet")
	}

	// Pull raw chunks out of the top level.
	var raws [MaxRawChunks]rawItem
	var compress [MaxRawChunks]bool
	nraw := 0
	items := []any(p)
	for i := 1; i < len(p) && nraw < MaxRawChunks && i < 256; i++ {
		var data []byte
		comp := false
		switch x := p[i].(type) {
		case RawChunk:
			data, comp = x.Data, x.Compress
		case []byte:
			if w.threshold <= 0 || len(x) < w.threshold {
				continue
			}
			data = x
		default:
			continue
		}
		if nraw == 0 {
			w.items = append(w.items[:0], p...)
			items = w.items
		}
		items[i] = []byte{}
		raws[nraw] = rawItem{index: i, data: data}
		compress[nraw] = comp
		nraw++
	}
	defer func() {
		if nraw > 0 {
			clear(w.items)
		}
	}()

	// Encode the main packet first so that an encoding error leaves the
	// stream untouched.
	var err error
	w.buf, err = AppendEncode(w.enc, grow(w.buf[:0], HeaderSize), items)
	if err != nil {
		return fmt.Errorf("wire: encoding %s packet: %w", packetName(p), err)
	}
	main := w.buf
	level := byte(0)
	if w.comp != NoCompression && w.level > 0 && len(main)-HeaderSize > MinCompressSize {
		w.cbuf, err = w.cs.appendCompressed(grow(w.cbuf[:0], HeaderSize), w.comp, w.level, main[HeaderSize:])
		if err != nil {
			return err
		}
		main = w.cbuf
		level = levelByte(w.comp, w.level)
	}
	if len(main)-HeaderSize > HardMaxPacketSize {
		return fmt.Errorf("%w: %s packet of %d bytes", ErrTooLarge, packetName(p), len(main)-HeaderSize)
	}
	Header{Flags: w.enc.Flag(), Level: level, Size: uint32(len(main) - HeaderSize)}.Put(main)

	if w.encr != nil {
		return w.writeEncrypted(raws[:nraw], compress[:nraw], Header{Flags: w.enc.Flag(), Level: level}, main[HeaderSize:], packetName(p))
	}
	for i := 0; i < nraw; i++ {
		if err := w.writeRaw(raws[i], compress[i], &w.hdrs[i]); err != nil {
			return err
		}
	}
	if _, err := w.w.Write(main); err != nil {
		return fmt.Errorf("wire: writing %s packet: %w", packetName(p), err)
	}
	if cap(w.buf) > 4<<20 {
		w.buf = nil
	}
	if cap(w.cbuf) > 4<<20 {
		w.cbuf = nil
	}
	if cap(w.rbuf) > 4<<20 {
		w.rbuf = nil
	}
	return nil
}

// writeEncrypted writes the raw chunks and then the main one, each padded
// and encrypted (in that order: the CBC stream runs across chunks).
func (w *Writer) writeEncrypted(raws []rawItem, compress []bool, mainHdr Header, main []byte, name string) error {
	for i, it := range raws {
		if len(it.data) > HardMaxPacketSize {
			return fmt.Errorf("%w: raw chunk of %d bytes", ErrTooLarge, len(it.data))
		}
		h := Header{Index: uint8(it.index)}
		data := it.data
		if compress[i] && w.comp != NoCompression && w.level > 0 && len(it.data) > MinCompressSize {
			var err error
			w.rbuf, err = w.cs.appendCompressed(w.rbuf[:0], w.comp, w.level, it.data)
			if err != nil {
				return err
			}
			data, h.Level = w.rbuf, levelByte(w.comp, w.level)
		}
		if err := w.writeSealed(h, data); err != nil {
			return fmt.Errorf("wire: writing raw chunk %d: %w", it.index, err)
		}
	}
	if err := w.writeSealed(mainHdr, main); err != nil {
		return fmt.Errorf("wire: writing %s packet: %w", name, err)
	}
	if cap(w.encr.buf) > 4<<20 {
		w.encr.buf = nil
	}
	return nil
}

// writeSealed writes one chunk encrypted; the header keeps the payload's
// unpadded size.
func (w *Writer) writeSealed(h Header, payload []byte) error {
	var hdr [HeaderSize]byte
	h.Flags |= FlagEncrypted
	h.Size = uint32(len(payload))
	h.Put(hdr[:])
	w.vec[0], w.vec[1] = hdr[:], w.encr.seal(payload)
	bufs := net.Buffers(w.vec[:])
	_, err := bufs.WriteTo(w.w)
	w.vec[1] = nil
	return err
}

// smallChunk is the size up to which raw chunk data is copied next to its
// header rather than written with a vectored write.
const smallChunk = 32 << 10

func (w *Writer) writeRaw(it rawItem, compress bool, hdr *[HeaderSize]byte) error {
	if len(it.data) > HardMaxPacketSize {
		return fmt.Errorf("%w: raw chunk of %d bytes", ErrTooLarge, len(it.data))
	}
	if compress && w.comp != NoCompression && w.level > 0 && len(it.data) > MinCompressSize {
		var err error
		w.rbuf, err = w.cs.appendCompressed(grow(w.rbuf[:0], HeaderSize), w.comp, w.level, it.data)
		if err != nil {
			return err
		}
		Header{Level: levelByte(w.comp, w.level), Index: uint8(it.index), Size: uint32(len(w.rbuf) - HeaderSize)}.Put(w.rbuf)
		if _, err := w.w.Write(w.rbuf); err != nil {
			return fmt.Errorf("wire: writing raw chunk %d: %w", it.index, err)
		}
		return nil
	}
	h := Header{Index: uint8(it.index), Size: uint32(len(it.data))}
	if len(it.data) <= smallChunk {
		// Small: one contiguous write through the reused buffer.
		w.rbuf = append(grow(w.rbuf[:0], HeaderSize), it.data...)
		h.Put(w.rbuf)
		if _, err := w.w.Write(w.rbuf); err != nil {
			return fmt.Errorf("wire: writing raw chunk %d: %w", it.index, err)
		}
		return nil
	}
	// Large: header and data in one vectored write (writev on a net.Conn),
	// without copying the data.
	h.Put(hdr[:])
	w.vec[0], w.vec[1] = hdr[:], it.data
	bufs := net.Buffers(w.vec[:])
	_, err := bufs.WriteTo(w.w)
	w.vec[1] = nil
	if err != nil {
		return fmt.Errorf("wire: writing raw chunk %d: %w", it.index, err)
	}
	return nil
}
