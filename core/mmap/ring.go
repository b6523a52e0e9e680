package mmap

import (
	"errors"
	"fmt"

	"github.com/xroam/xroam/core/wire"
)

// Chunk is a part of the area holding data: what a "mmap" draw carries.
type Chunk struct {
	Offset, Length int
}

// maxChunks bounds a chunk list from a peer: xpra writes one or two.
const maxChunks = 16

// Write copies data into the free part of the ring (the server's side)
// and returns where it lies and the free bytes left, or ErrFull.
func (a *Area) Write(data []byte) ([]Chunk, int, error) {
	size := len(a.mem)
	if size <= Header {
		return nil, 0, errors.New("the mmap area is closed")
	}
	// The read position comes from the client: keep it inside the area.
	start := min(max(Header, a.load(0)), size)
	end := min(max(Header, a.load(4)), size)
	n := len(data)
	var chunk, free int
	if end < start {
		// Written up to the end and wrapped; the client has not yet: only
		// the gap up to its read position is free.
		chunk = start - end
		free = chunk
	} else {
		// Free: from our position to the end, and from the start of the
		// data up to the client's read position.
		chunk = size - end
		free = chunk + start - Header
	}
	left := free - n
	if n > size-Header || left <= 0 {
		return nil, left, ErrFull
	}
	var out []Chunk
	switch {
	case n < chunk:
		copy(a.mem[end:], data)
		out = []Chunk{{end, n}}
		a.store(4, end+n)
	case chunk == 0 || free >= size/2 && free >= 3*n && n < start-Header:
		// At the very end, or much room: start again at the beginning
		// rather than split.
		copy(a.mem[Header:], data)
		out = []Chunk{{Header, n}}
		a.store(4, Header+n)
	default:
		copy(a.mem[end:], data[:chunk])
		copy(a.mem[Header:], data[chunk:])
		out = []Chunk{{end, chunk}, {Header, n - chunk}}
		a.store(4, Header+n-chunk)
	}
	return out, left, nil
}

// Read returns the data of chunks (the client's side): a view of the area
// for one chunk, a copy for several. Call Release once it is used.
func (a *Area) Read(chunks []Chunk) ([]byte, error) {
	if err := a.check(chunks); err != nil {
		return nil, err
	}
	if len(chunks) == 1 {
		c := chunks[0]
		return a.mem[c.Offset : c.Offset+c.Length : c.Offset+c.Length], nil
	}
	total := 0
	for _, c := range chunks {
		total += c.Length
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		out = append(out, a.mem[c.Offset:c.Offset+c.Length]...)
	}
	return out, nil
}

// Release tells the server the chunks are read, freeing their space.
// Draws are released in the order they came, so the last chunk's end is
// the new read position.
func (a *Area) Release(chunks []Chunk) {
	if len(chunks) == 0 || a.check(chunks) != nil {
		return
	}
	last := chunks[len(chunks)-1]
	a.store(0, last.Offset+last.Length)
}

func (a *Area) check(chunks []Chunk) error {
	if len(chunks) == 0 || len(chunks) > maxChunks {
		return fmt.Errorf("mmap draw with %d chunks", len(chunks))
	}
	for _, c := range chunks {
		if c.Offset < Header || c.Length <= 0 || !inside(c.Offset, c.Length, len(a.mem)) {
			return fmt.Errorf("mmap chunk %d+%d is outside the %d-byte area", c.Offset, c.Length, len(a.mem))
		}
	}
	return nil
}

// ParseChunks reads the data of a "mmap" draw: a list of (offset,
// length) pairs, as decoded from the wire. It checks the shape only;
// Read checks the chunks against the area.
func ParseChunks(v any) ([]Chunk, error) {
	list, ok := wire.AsList(v)
	if !ok {
		return nil, fmt.Errorf("mmap draw data is a %T, not a list", v)
	}
	if len(list) == 0 || len(list) > maxChunks {
		return nil, fmt.Errorf("mmap draw with %d chunks", len(list))
	}
	out := make([]Chunk, 0, len(list))
	for _, item := range list {
		pair, ok := wire.AsList(item)
		if !ok || len(pair) != 2 {
			return nil, fmt.Errorf("mmap chunk %v is not an (offset, length) pair", item)
		}
		off, ok1 := wire.AsInt(pair[0])
		n, ok2 := wire.AsInt(pair[1])
		if !ok1 || !ok2 || off < Header || n <= 0 || off > MaxSize || n > MaxSize {
			return nil, fmt.Errorf("mmap chunk (%v, %v) is not valid", pair[0], pair[1])
		}
		out = append(out, Chunk{int(off), int(n)})
	}
	return out, nil
}

// WireChunks is the draw data for chunks.
func WireChunks(chunks []Chunk) []any {
	out := make([]any, len(chunks))
	for i, c := range chunks {
		out[i] = []any{int64(c.Offset), int64(c.Length)}
	}
	return out
}
