package x11

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// X authority files: the format of libXau (Xauth.h), which Xvfb reads with
// -auth and every X client reads from $XAUTHORITY or ~/.Xauthority. Each
// entry is a big-endian family (u16) followed by the address, the display
// number, the protocol name and its data, each a u16 length and the bytes.

// Address families of authority entries (X11/Xauth.h).
const (
	FamilyInternet = 0
	FamilyLocal    = 256
	FamilyWild     = 65535
)

const (
	// CookieAuthName is the only protocol xgb and xroam speak.
	CookieAuthName = "MIT-MAGIC-COOKIE-1"
	// CookieLen is the size of an MIT-MAGIC-COOKIE-1, as xauth generates it.
	CookieLen = 16
	// maxAuthFile bounds what is read of an authority file: a user's has a
	// few entries of well under 100 bytes each.
	maxAuthFile = 1 << 20
	// lockStale is the age after which a lock left by a process that died
	// while holding it is broken (xauth holds its lock for milliseconds;
	// `xauth -b` breaks any lock).
	lockStale = 30 * time.Second
	// lockWait bounds the wait for another process's lock.
	lockWait = 10 * time.Second
)

// AuthEntry is one entry of an X authority file.
type AuthEntry struct {
	Family uint16
	// Address is the host name for FamilyLocal, raw address bytes for the
	// network families.
	Address []byte
	// Number is the display number in decimal; empty matches any display.
	Number string
	Name   string
	Data   []byte
}

// NewCookie returns a fresh MIT-MAGIC-COOKIE-1 from the system's
// cryptographic random source.
func NewCookie() ([]byte, error) {
	c := make([]byte, CookieLen)
	if _, err := rand.Read(c); err != nil {
		return nil, fmt.Errorf("x authority cookie: %w", err)
	}
	return c, nil
}

// CookieEntry is the entry that `xauth add :N MIT-MAGIC-COOKIE-1 …`
// writes: the local host by name, display n (none when n < 0).
func CookieEntry(n int, cookie []byte) (AuthEntry, error) {
	host, err := os.Hostname()
	if err != nil {
		return AuthEntry{}, fmt.Errorf("x authority entry: %w", err)
	}
	num := ""
	if n >= 0 {
		num = strconv.Itoa(n)
	}
	return AuthEntry{Family: FamilyLocal, Address: []byte(host), Number: num, Name: CookieAuthName, Data: slices.Clone(cookie)}, nil
}

// sameKey says whether two entries are for the same address, display and
// protocol, i.e. whether xauth would replace one by the other.
func (e AuthEntry) sameKey(o AuthEntry) bool {
	return e.Family == o.Family && bytes.Equal(e.Address, o.Address) && e.Number == o.Number && e.Name == o.Name
}

// ParseAuthority decodes an authority file. Every length is checked
// against what is left of b before anything is allocated.
func ParseAuthority(b []byte) ([]AuthEntry, error) {
	var out []AuthEntry
	for off := 0; off < len(b); {
		if len(b)-off < 2 {
			return nil, fmt.Errorf("x authority: truncated entry at byte %d", off)
		}
		e := AuthEntry{Family: binary.BigEndian.Uint16(b[off:])}
		off += 2
		var fields [4][]byte
		for i := range fields {
			if len(b)-off < 2 {
				return nil, fmt.Errorf("x authority: truncated entry at byte %d", off)
			}
			n := int(binary.BigEndian.Uint16(b[off:]))
			off += 2
			if len(b)-off < n {
				return nil, fmt.Errorf("x authority: field of %d bytes at byte %d runs past the end", n, off)
			}
			fields[i] = slices.Clone(b[off : off+n])
			off += n
		}
		e.Address, e.Number, e.Name, e.Data = fields[0], string(fields[1]), string(fields[2]), fields[3]
		out = append(out, e)
	}
	return out, nil
}

// EncodeAuthority encodes entries in the authority file format.
func EncodeAuthority(entries []AuthEntry) ([]byte, error) {
	var b []byte
	for _, e := range entries {
		b = binary.BigEndian.AppendUint16(b, e.Family)
		for _, f := range [][]byte{e.Address, []byte(e.Number), []byte(e.Name), e.Data} {
			if len(f) > 0xffff {
				return nil, fmt.Errorf("x authority: a field of %d bytes does not fit", len(f))
			}
			b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
			b = append(b, f...)
		}
	}
	return b, nil
}

// ReadAuthFile reads and decodes an authority file; a file that does not
// exist has no entries.
func ReadAuthFile(path string) ([]AuthEntry, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("x authority: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAuthFile+1))
	if err != nil {
		return nil, fmt.Errorf("x authority %s: %w", path, err)
	}
	if len(b) > maxAuthFile {
		return nil, fmt.Errorf("x authority %s: larger than %d bytes", path, maxAuthFile)
	}
	entries, err := ParseAuthority(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// WriteAuthFile writes entries to path, replacing it, as a file only its
// owner can read (0600 whatever the umask): the cookies are what lets a
// client in. It writes path+"-n" and renames it over path, as xauth does,
// so that a reader never sees half a file.
func WriteAuthFile(path string, entries []AuthEntry) error {
	b, err := EncodeAuthority(entries)
	if err != nil {
		return err
	}
	tmp := path + "-n"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("x authority: %w", err)
	}
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(b)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("x authority %s: %w", path, err)
	}
	return nil
}

// UserAuthority is the authority file X clients of this user read:
// $XAUTHORITY, else ~/.Xauthority; empty when neither is set.
func UserAuthority(getenv func(string) string) string {
	if p := getenv("XAUTHORITY"); p != "" {
		return p
	}
	if h := getenv("HOME"); h != "" {
		return strings.TrimRight(h, "/") + "/.Xauthority"
	}
	return ""
}

// AddAuthority puts e into the authority file at path, replacing an entry
// for the same address, display and protocol, under the lock that xauth
// and libXau use, so that concurrent xauth runs and sessions lose nothing.
func AddAuthority(ctx context.Context, path string, e AuthEntry) error {
	return editAuthority(ctx, path, func(entries []AuthEntry) ([]AuthEntry, bool) {
		for i, o := range entries {
			if o.sameKey(e) {
				if bytes.Equal(o.Data, e.Data) {
					return entries, false
				}
				entries[i] = e
				return entries, true
			}
		}
		return append(entries, e), true
	})
}

// RemoveAuthority removes e from the authority file at path, but only
// while its data is still e's: a newer session on the same display has
// replaced it otherwise, and its entry stays. It reports whether it
// removed anything.
func RemoveAuthority(ctx context.Context, path string, e AuthEntry) (bool, error) {
	removed := false
	err := editAuthority(ctx, path, func(entries []AuthEntry) ([]AuthEntry, bool) {
		out := entries[:0]
		for _, o := range entries {
			if o.sameKey(e) && bytes.Equal(o.Data, e.Data) {
				removed = true
				continue
			}
			out = append(out, o)
		}
		return out, removed
	})
	return removed, err
}

// editAuthority rewrites the file at path with edit's result while
// holding its lock; edit reports whether anything changed.
func editAuthority(ctx context.Context, path string, edit func([]AuthEntry) ([]AuthEntry, bool)) error {
	unlock, err := lockAuthority(ctx, path)
	if err != nil {
		return err
	}
	defer unlock()
	entries, err := ReadAuthFile(path)
	if err != nil {
		return err
	}
	entries, changed := edit(entries)
	if !changed {
		return nil
	}
	return WriteAuthFile(path, entries)
}

// lockAuthority takes libXau's lock on an authority file (XauLockAuth):
// path+"-c" is created exclusively, then hard-linked to path+"-l"; the
// link is the lock, and it is atomic even on NFS. A lock older than
// lockStale was left by a process that died holding it and is broken.
func lockAuthority(ctx context.Context, path string) (func(), error) {
	creat, link := path+"-c", path+"-l"
	for _, p := range []string{creat, link} {
		if fi, err := os.Lstat(p); err == nil && time.Since(fi.ModTime()) > lockStale {
			os.Remove(creat)
			os.Remove(link)
			break
		}
	}
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	created := false
	for {
		if !created {
			f, err := os.OpenFile(creat, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			switch {
			case err == nil:
				f.Close()
				created = true
			case errors.Is(err, fs.ErrExist):
				// Another process holds or is taking the lock.
			default:
				return nil, fmt.Errorf("locking x authority %s: %w", path, err)
			}
		}
		if created {
			err := os.Link(creat, link)
			switch {
			case err == nil:
				return func() { os.Remove(creat); os.Remove(link) }, nil
			case errors.Is(err, fs.ErrNotExist):
				created = false // broken by someone else: create it again
			case !errors.Is(err, fs.ErrExist):
				os.Remove(creat)
				return nil, fmt.Errorf("locking x authority %s: %w", path, err)
			}
		}
		select {
		case <-ctx.Done():
			if created {
				os.Remove(creat)
			}
			return nil, fmt.Errorf("locking x authority %s: %s-c or -l stays (remove them, or run xauth -b): %w", path, path, context.Cause(ctx))
		case <-tick.C:
		}
	}
}
