package mmap

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Layout constants of xpra 3.1.3.
const (
	// Header is the size of the read/write positions at the start.
	Header = 8
	// DefaultTokenIndex and DefaultTokenBytes are where a token lies when
	// a hello does not say.
	DefaultTokenIndex = 512
	DefaultTokenBytes = 128
	// MinSize and MaxSize bound the area, as xpra checks them.
	MinSize = 64 << 20
	MaxSize = 4 << 30
	// DefaultSize is the client's area unless the screen needs more:
	// xpra 3.1.3 takes at least 256 MiB, or 8 full-screen BGRX frames,
	// at most 1 GiB.
	DefaultSize = 256 << 20
	maxDefault  = 1 << 30
)

// ErrFull is returned by Write when the data does not fit in the free
// part of the area: the caller sends it another way.
var ErrFull = errors.New("the mmap area is full")

// Area is a mapped mmap file.
type Area struct {
	mem  []byte
	path string
	// owned: this process created the file and removes it.
	owned bool
}

// SizeFor is the area a client creates for a screen of w x h pixels.
func SizeFor(w, h int) int {
	return min(max(DefaultSize, w*h*4*8), maxDefault)
}

// Create makes a new area file of size bytes (rounded up to whole pages,
// header included) in dir, readable and writable by its owner only, or
// uses path when it is not empty.
func Create(dir, path string, size int) (*Area, error) {
	page := max(os.Getpagesize(), 4096)
	size = (size + Header + page - 1) / page * page
	var f *os.File
	var err error
	owned := false
	switch {
	case path != "":
		// A file that exists is shared by other means (a VM's shared
		// memory device): it keeps its size and stays. One made here goes
		// with the area.
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		owned = err == nil
		if errors.Is(err, os.ErrExist) {
			f, err = os.OpenFile(path, os.O_RDWR, 0)
			if err == nil {
				var st os.FileInfo
				if st, err = f.Stat(); err == nil && st.Size() > 0 {
					size = int(st.Size())
				}
			}
		}
	default:
		f, err = os.CreateTemp(dir, "xroam.*.mmap")
		owned = true
	}
	if err != nil {
		return nil, fmt.Errorf("mmap file: %w", err)
	}
	defer f.Close()
	a := &Area{path: f.Name(), owned: owned}
	if size < MinSize || size > MaxSize {
		a.remove()
		return nil, fmt.Errorf("mmap file %s: size %d is outside %d..%d", a.path, size, MinSize, MaxSize)
	}
	if err := f.Truncate(int64(size)); err != nil {
		a.remove()
		return nil, fmt.Errorf("mmap file %s: %w", a.path, err)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		a.remove()
		return nil, fmt.Errorf("mapping %s: %w", a.path, err)
	}
	a.mem = mem
	return a, nil
}

// AnyOwner, as Open's owner, accepts a file whatever its owner: a path
// that the server's own configuration names.
const AnyOwner = -1

// Open maps the file a client named. size is what the client said (0:
// unknown); the file's own size is used, and must be at least minSize.
// owner is the uid the file must belong to (AnyOwner: any).
//
// The path comes from a peer, and the server may run as root: it must
// not be made to write into a file its peer could not write itself.
// Only a regular file is taken (a device's or a FIFO's opening alone may
// block or act), never through a symbolic link of the last component,
// and the checks apply to the file opened, not to what the path named
// before (fstat after the open).
func Open(path string, size, minSize, owner int) (*Area, error) {
	// Refuse a FIFO or a device before opening it; what is opened is
	// checked again below.
	if st, err := os.Lstat(path); err != nil {
		return nil, fmt.Errorf("mmap file: %w", err)
	} else if st.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("mmap file %s is a symbolic link", path)
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("mmap file %s is not a regular file", path)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("mmap file %s: %w", path, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("mmap file %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("mmap file %s is not a regular file", path)
	}
	if owner != AnyOwner && int64(st.Uid) != int64(owner) {
		return nil, fmt.Errorf("mmap file %s belongs to uid %d, not to the client's uid %d", path, st.Uid, owner)
	}
	actual := st.Size
	if size > 0 && int64(size) != actual {
		return nil, fmt.Errorf("mmap file %s has %d bytes, the client said %d", path, actual, size)
	}
	if actual < int64(max(minSize, Header+DefaultTokenIndex+DefaultTokenBytes)) || actual > MaxSize {
		return nil, fmt.Errorf("mmap file %s: size %d is outside %d..%d", path, actual, minSize, MaxSize)
	}
	mem, err := unix.Mmap(fd, 0, int(actual), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return &Area{mem: mem, path: path}, nil
}

// Path is the area's file name.
func (a *Area) Path() string { return a.path }

// Size is the area's size in bytes, header included.
func (a *Area) Size() int { return len(a.mem) }

// Unlink removes the file of an area this process created: once the
// peer has mapped it, the mapping lives on without it.
func (a *Area) Unlink() {
	a.remove()
}

func (a *Area) remove() {
	if a.owned && a.path != "" {
		_ = os.Remove(a.path)
		a.owned = false
	}
}

// Close unmaps the area and removes a file this process created.
func (a *Area) Close() error {
	a.remove()
	if a.mem == nil {
		return nil
	}
	err := unix.Munmap(a.mem)
	a.mem = nil
	if err != nil {
		return fmt.Errorf("unmapping %s: %w", a.path, err)
	}
	return nil
}

// NewToken is a random 128-bit token shaped as xpra's (the integer of a
// version 4 UUID), so that it passes CheckToken's minimum.
func NewToken() (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("mmap token: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return new(big.Int).SetBytes(b), nil
}

// MinTokenBits is the least bit length of a token CheckToken takes:
// xpra's are version 4 UUIDs, whose version bits make them at least
// 2^78. A short token would let a peer name a file it only read, by
// the few bytes it knows at some place.
const MinTokenBits = 65

// CheckToken says whether the peer's token want lies in the area at
// index, as xpra writes it: over exactly DefaultTokenBytes bytes (a
// peer's shorter count would let a few known bytes of any file pass),
// of at least MinTokenBits.
func (a *Area) CheckToken(want *big.Int, index, count int) error {
	switch {
	case want == nil:
		return errors.New("mmap token: none, or not a number")
	case count != DefaultTokenBytes:
		return fmt.Errorf("mmap token of %d bytes: want %d", count, DefaultTokenBytes)
	case want.BitLen() < MinTokenBits:
		return fmt.Errorf("mmap token of %d bits: want at least %d", want.BitLen(), MinTokenBits)
	}
	got, err := a.ReadToken(index, count)
	if err != nil {
		return err
	}
	if got.Cmp(want) != 0 {
		return fmt.Errorf("mmap token: not at %d+%d", index, count)
	}
	return nil
}

// WriteToken stores tok in count bytes at index, least significant first.
func (a *Area) WriteToken(tok *big.Int, index, count int) error {
	if tok == nil || tok.Sign() < 0 {
		return errors.New("mmap token: not a positive number")
	}
	if !inside(index, count, len(a.mem)) {
		return fmt.Errorf("mmap token at %d+%d is outside the %d-byte area", index, count, len(a.mem))
	}
	be := tok.Bytes()
	if len(be) > count {
		return fmt.Errorf("mmap token needs %d bytes, has %d", len(be), count)
	}
	dst := a.mem[index : index+count]
	clear(dst)
	for i, b := range be {
		dst[len(be)-1-i] = b
	}
	return nil
}

// ReadToken reads the token of count bytes at index.
func (a *Area) ReadToken(index, count int) (*big.Int, error) {
	if count <= 0 || !inside(index, count, len(a.mem)) {
		return nil, fmt.Errorf("mmap token at %d+%d is outside the %d-byte area", index, count, len(a.mem))
	}
	src := a.mem[index : index+count]
	be := make([]byte, count)
	for i, b := range src {
		be[count-1-i] = b
	}
	return new(big.Int).SetBytes(be), nil
}

// inside says whether off..off+n lies within size bytes.
func inside(off, n, size int) bool {
	return off >= 0 && n >= 0 && off <= size && n <= size-off
}

// word is the header position at off (0: read, 4: written), which the
// other process changes under us: accessed atomically (the mapping is
// page-aligned, so the words are aligned).
func (a *Area) word(off int) *uint32 {
	return (*uint32)(unsafe.Pointer(&a.mem[off]))
}

func (a *Area) load(off int) int { return int(atomic.LoadUint32(a.word(off))) }
func (a *Area) store(off, v int) { atomic.StoreUint32(a.word(off), uint32(v)) }
