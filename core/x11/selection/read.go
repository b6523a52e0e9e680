package selection

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/jezek/xgb/xproto"
)

// Read asks the local owner of selection for its contents as target and
// waits for them, INCR transfers included, at most Timeout between two
// pieces of progress (or until ctx ends). TARGETS comes back as Atoms.
func (s *Conn) Read(ctx context.Context, selection, target string) (*Data, error) {
	sel, err := s.atom(selection)
	if err != nil {
		return nil, err
	}
	tgt, err := s.atom(target)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.owned[sel] != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("read %s: %w", selection, ErrOwned)
	}
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	var prop xproto.Atom
	if n := len(s.freeProp); n > 0 {
		prop, s.freeProp = s.freeProp[n-1], s.freeProp[:n-1]
	} else {
		s.propSeq++
		seq := s.propSeq
		s.mu.Unlock()
		if prop, err = s.atom("XROAM_SELECTION_" + strconv.Itoa(seq)); err != nil {
			return nil, err
		}
		s.mu.Lock()
	}
	r := &selRead{selection: sel, target: tgt, progress: make(chan struct{}, 1), done: make(chan selResult, 1)}
	s.reads[prop] = r
	s.mu.Unlock()

	xproto.ConvertSelection(s.c, s.win, sel, tgt, prop, xproto.TimeCurrentTime)
	t := time.NewTimer(s.cfg.Timeout)
	defer t.Stop()
	var res selResult
wait:
	for {
		select {
		case res = <-r.done:
			break wait
		case <-r.progress:
			t.Reset(s.cfg.Timeout)
		case <-t.C:
			res.err = fmt.Errorf("read %s as %s: %w", selection, target, ErrTimeout)
			break wait
		case <-ctx.Done():
			res.err = fmt.Errorf("read %s as %s: %w", selection, target, ctx.Err())
			break wait
		}
	}
	s.mu.Lock()
	delete(s.reads, prop)
	// A property whose transfer was cut short may still receive late
	// chunks from the owner: only a clean one is used again.
	if res.err == nil && !s.closed {
		s.freeProp = append(s.freeProp, prop)
	}
	s.mu.Unlock()
	if res.err != nil {
		xproto.DeleteProperty(s.c, s.win, prop)
		return nil, res.err
	}
	return res.data, nil
}

// onConverted handles the owner's answer to our ConvertSelection.
func (s *Conn) onConverted(e xproto.SelectionNotifyEvent) {
	s.mu.Lock()
	var r *selRead
	prop := e.Property
	if prop != 0 {
		r = s.reads[prop]
	} else {
		for p, x := range s.reads {
			if x.selection == e.Selection && x.target == e.Target && !x.incr {
				r, prop = x, p
				break
			}
		}
	}
	s.mu.Unlock()
	if r == nil {
		return
	}
	if e.Property == 0 {
		r.finish(nil, ErrRefused)
		return
	}
	// Delete on read: for INCR that is the owner's cue to send.
	rep, err := xproto.GetProperty(s.c, true, s.win, prop, xproto.GetPropertyTypeAny, 0, uint32(s.cfg.MaxBytes/4+1)).Reply()
	if err != nil {
		r.finish(nil, fmt.Errorf("reading the converted selection: %w", err))
		return
	}
	if rep.Type == s.atomIncr {
		s.mu.Lock()
		r.incr = true
		s.mu.Unlock()
		if rep.Format == 32 && len(rep.Value) >= 4 {
			if n := int(binary.LittleEndian.Uint32(rep.Value)); n > s.cfg.MaxBytes {
				r.finish(nil, fmt.Errorf("%w: the owner announces %d bytes (limit %d)", ErrTooBig, n, s.cfg.MaxBytes))
			}
		}
		return
	}
	if rep.BytesAfter > 0 {
		r.finish(nil, fmt.Errorf("%w (limit %d bytes)", ErrTooBig, s.cfg.MaxBytes))
		return
	}
	if rep.Type == 0 {
		r.finish(nil, ErrRefused)
		return
	}
	r.finish(s.decode(rep.Type, rep.Format, rep.Value), nil)
}

func (s *Conn) decode(typ xproto.Atom, format byte, v []byte) *Data {
	d := &Data{Type: s.atomName(typ), Format: int(format), Data: v}
	if typ == xproto.AtomAtom && format == 32 {
		d.Atoms = make([]string, 0, len(v)/4)
		for i := 0; i+4 <= len(v); i += 4 {
			if a := xproto.Atom(binary.LittleEndian.Uint32(v[i:])); a != 0 {
				d.Atoms = append(d.Atoms, s.atomName(a))
			}
		}
		d.Data = nil
	}
	return d
}

// onIncrChunk collects one INCR chunk; an empty one completes the read.
func (s *Conn) onIncrChunk(prop xproto.Atom) {
	s.mu.Lock()
	r := s.reads[prop]
	ok := r != nil && r.incr
	s.mu.Unlock()
	if !ok {
		return
	}
	rep, err := xproto.GetProperty(s.c, true, s.win, prop, xproto.GetPropertyTypeAny, 0, uint32(s.cfg.MaxBytes/4+1)).Reply()
	if err != nil {
		r.finish(nil, fmt.Errorf("reading an incremental chunk: %w", err))
		return
	}
	if rep.Type == 0 {
		// Our own deletion's echo, or a property already gone.
		return
	}
	if len(rep.Value) == 0 {
		typ, format := rep.Type, rep.Format
		if r.typ != 0 {
			typ, format = r.typ, r.format
		}
		r.finish(s.decode(typ, format, r.buf), nil)
		return
	}
	if len(r.buf)+len(rep.Value) > s.cfg.MaxBytes || rep.BytesAfter > 0 {
		s.mu.Lock()
		r.incr = false
		s.mu.Unlock()
		r.finish(nil, fmt.Errorf("%w (limit %d bytes)", ErrTooBig, s.cfg.MaxBytes))
		return
	}
	if r.typ == 0 {
		r.typ, r.format = rep.Type, rep.Format
	}
	r.buf = append(r.buf, rep.Value...)
	select {
	case r.progress <- struct{}{}:
	default:
	}
}
