package stream

import (
	"fmt"
	"sync"
	"time"
)

// Key names the window a request belongs to: the request's "stream"
// option (the core's pipeline and window), else its "wid".
func Key(opts map[string]any) string {
	if v, ok := opts["stream"]; ok {
		return fmt.Sprint(v)
	}
	if v, ok := opts["wid"]; ok {
		return fmt.Sprint(v)
	}
	return ""
}

// Truthy reads a request option as a flag: options come back from the
// wire and from gRPC's structs as bools or as numbers of several types.
func Truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case int64:
		return x != 0
	case int:
		return x != 0
	}
	return false
}

// Shape is what a stream was opened for; a frame with another shape
// needs a new stream, which starts with a key frame.
type Shape struct {
	Encoding      string
	Width, Height int
}

// Closer is a codec stream: Close frees its codec state and must be
// safe to call more than once.
type Closer interface {
	Close()
}

// Set holds one stream per window; it is safe for concurrent use, and
// serialises the calls to its streams.
type Set[S Closer] struct {
	idle time.Duration

	mu      sync.Mutex
	streams map[string]*entry[S]
}

type entry[S Closer] struct {
	s     S
	shape Shape
	last  time.Time
}

// NewSet returns a set whose streams close after idle without a frame.
func NewSet[S Closer](idle time.Duration) *Set[S] {
	return &Set[S]{idle: idle, streams: map[string]*entry[S]{}}
}

// Use calls use with key's stream at time now. It first closes the
// other windows' idle streams, then opens a new stream for key with open
// when there is none, when it was opened for another shape, when it has
// been idle or when restart is set. A stream whose use fails is closed
// and forgotten, so that the next frame starts a fresh one.
func (st *Set[S]) Use(now time.Time, key string, shape Shape, restart bool, open func() (S, error), use func(S) error) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	for k, e := range st.streams {
		if k != key && now.Sub(e.last) > st.idle {
			e.s.Close()
			delete(st.streams, k)
		}
	}
	e := st.streams[key]
	if e == nil || e.shape != shape || now.Sub(e.last) > st.idle || restart {
		if e != nil {
			e.s.Close()
			delete(st.streams, key)
		}
		s, err := open()
		if err != nil {
			return err
		}
		e = &entry[S]{s: s, shape: shape}
		st.streams[key] = e
	}
	if err := use(e.s); err != nil {
		e.s.Close()
		delete(st.streams, key)
		return err
	}
	e.last = now
	return nil
}

// Len is the number of open streams.
func (st *Set[S]) Len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.streams)
}

// Close closes every stream.
func (st *Set[S]) Close() {
	st.mu.Lock()
	defer st.mu.Unlock()
	for k, e := range st.streams {
		e.s.Close()
		delete(st.streams, k)
	}
}
