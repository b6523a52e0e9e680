package selection

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/jezek/xgb/xproto"
)

// textTargets are the targets that all mean "the text", so that a request
// for one can be served by a peer that offered another.
var textTargets = []string{"UTF8_STRING", "text/plain;charset=utf-8", "TEXT", "STRING", "text/plain", "COMPOUND_TEXT"}

// IsTextTarget reports whether target names a plain-text form.
func IsTextTarget(target string) bool { return slices.Contains(textTargets, target) }

// onRequest answers a local application that asks for a selection this
// connection owns: TARGETS and TIMESTAMP here, anything else through a
// Wanted event.
func (s *Conn) onRequest(e xproto.SelectionRequestEvent) {
	prop := e.Property
	if prop == 0 {
		// ICCCM: an obsolete requestor; use the target as the property.
		prop = e.Target
	}
	s.mu.Lock()
	cl := s.owned[e.Selection]
	s.mu.Unlock()
	if cl == nil || e.Target == s.atomMultiple {
		s.notify(e.Requestor, e.Selection, e.Target, 0, e.Time)
		return
	}
	switch e.Target {
	case s.atomTargets:
		if len(cl.targets) > 0 {
			all := append(slices.Clone(cl.targets), "TARGETS", "TIMESTAMP")
			s.reply(e.Requestor, e.Selection, e.Target, prop, e.Time, &Data{Type: "ATOM", Format: 32, Atoms: all})
			return
		}
	case s.atomTimestamp:
		b := binary.LittleEndian.AppendUint32(nil, uint32(cl.time))
		s.reply(e.Requestor, e.Selection, e.Target, prop, e.Time, &Data{Type: "INTEGER", Format: 32, Data: b})
		return
	}
	target := s.atomName(e.Target)
	if len(cl.targets) > 0 && e.Target != s.atomTargets && !slices.Contains(cl.targets, target) {
		// Another name for the text the peer offers is as good.
		alt := ""
		if IsTextTarget(target) {
			for _, t := range cl.targets {
				if IsTextTarget(t) {
					alt = t
					break
				}
			}
		}
		if alt == "" {
			s.notify(e.Requestor, e.Selection, e.Target, 0, e.Time)
			return
		}
		target = alt
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.nextID++
	id := s.nextID
	w := &selWanted{requestor: e.Requestor, selection: e.Selection, target: e.Target, property: prop, time: e.Time,
		selName: s.atomName(e.Selection), targetLabel: target}
	w.timer = time.AfterFunc(s.cfg.Timeout, func() { s.expire(id) })
	s.wanted[id] = w
	s.mu.Unlock()
	if !s.emit(Event{Kind: Wanted, Selection: w.selName, Target: target, ID: id}) {
		s.expire(id)
	}
}

// expire refuses a request nobody answered in time.
func (s *Conn) expire(id uint64) {
	s.mu.Lock()
	w := s.wanted[id]
	delete(s.wanted, id)
	s.mu.Unlock()
	if w != nil {
		w.timer.Stop()
		s.log.Debug("selection request not answered in time", "selection", w.selName, "target", w.targetLabel)
		s.notify(w.requestor, w.selection, w.target, 0, w.time)
	}
}

// Answer gives the contents for the Wanted event id; nil
// refuses. An id that timed out is an error.
func (s *Conn) Answer(id uint64, d *Data) error {
	s.mu.Lock()
	w := s.wanted[id]
	delete(s.wanted, id)
	s.mu.Unlock()
	if w == nil {
		return fmt.Errorf("selection request %d: unknown or timed out", id)
	}
	w.timer.Stop()
	if d != nil && len(d.Data) > s.cfg.MaxBytes {
		s.notify(w.requestor, w.selection, w.target, 0, w.time)
		return fmt.Errorf("selection request %d: %w (%d bytes)", id, ErrTooBig, len(d.Data))
	}
	s.reply(w.requestor, w.selection, w.target, w.property, w.time, d)
	return nil
}

func (s *Conn) notify(requestor xproto.Window, sel, target, prop xproto.Atom, t xproto.Timestamp) {
	ev := xproto.SelectionNotifyEvent{Time: t, Requestor: requestor, Selection: sel, Target: target, Property: prop}
	xproto.SendEvent(s.c, false, requestor, xproto.EventMaskNoEvent, string(ev.Bytes()))
}

// encode turns d into the property type, format and bytes.
func (s *Conn) encode(d *Data) (xproto.Atom, byte, []byte, error) {
	typ, err := s.atom(d.Type)
	if err != nil {
		return 0, 0, nil, err
	}
	if d.Type == "ATOM" && d.Atoms != nil {
		b := make([]byte, 0, 4*len(d.Atoms))
		for _, n := range d.Atoms {
			a, err := s.atom(n)
			if err != nil {
				return 0, 0, nil, err
			}
			b = binary.LittleEndian.AppendUint32(b, uint32(a))
		}
		return typ, 32, b, nil
	}
	f := d.Format
	if f != 16 && f != 32 {
		f = 8
	}
	if n := len(d.Data) % (f / 8); n != 0 {
		return 0, 0, nil, fmt.Errorf("%d bytes of data is not a whole number of %d-bit items", len(d.Data), f)
	}
	return typ, byte(f), d.Data, nil
}

// reply writes d into the requestor's property and tells it, switching to
// INCR for data larger than one request can carry.
func (s *Conn) reply(requestor xproto.Window, sel, target, prop xproto.Atom, t xproto.Timestamp, d *Data) {
	if d == nil {
		s.notify(requestor, sel, target, 0, t)
		return
	}
	typ, format, b, err := s.encode(d)
	if err != nil {
		s.log.Warn("selection answer dropped", "err", err)
		s.notify(requestor, sel, target, 0, t)
		return
	}
	unit := int(format) / 8
	if len(b) <= s.maxChunk {
		xproto.ChangeProperty(s.c, xproto.PropModeReplace, requestor, prop, typ, format, uint32(len(b)/unit), b)
		s.notify(requestor, sel, target, prop, t)
		return
	}
	key := selSendKey{requestor, prop}
	sd := &selSend{typ: typ, format: format, data: b}
	s.mu.Lock()
	if old := s.sends[key]; old != nil {
		old.timer.Stop()
	}
	sd.timer = time.AfterFunc(s.cfg.Timeout, func() { s.dropSend(key, sd) })
	s.sends[key] = sd
	s.mu.Unlock()
	// Our own event mask on the requestor's window: its deletions of the
	// property pace the chunks.
	xproto.ChangeWindowAttributes(s.c, requestor, xproto.CwEventMask, []uint32{xproto.EventMaskPropertyChange})
	size := binary.LittleEndian.AppendUint32(nil, uint32(len(b)))
	xproto.ChangeProperty(s.c, xproto.PropModeReplace, requestor, prop, s.atomIncr, 32, 1, size)
	s.notify(requestor, sel, target, prop, t)
}

func (s *Conn) dropSend(key selSendKey, sd *selSend) {
	s.mu.Lock()
	cur := s.sends[key]
	if cur == sd {
		delete(s.sends, key)
	}
	s.mu.Unlock()
	if cur == sd {
		s.log.Warn("incremental selection transfer abandoned: the requestor stopped reading",
			"window", key.win, "sent", sd.off, "size", len(sd.data))
		xproto.ChangeWindowAttributes(s.c, key.win, xproto.CwEventMask, []uint32{xproto.EventMaskNoEvent})
	}
}

// onSendNext writes the next INCR chunk once the requestor deleted the
// previous one; an empty chunk ends the transfer.
func (s *Conn) onSendNext(key selSendKey) {
	s.mu.Lock()
	sd := s.sends[key]
	if sd == nil {
		s.mu.Unlock()
		return
	}
	sd.timer.Reset(s.cfg.Timeout)
	chunk := sd.data[sd.off:min(sd.off+s.maxChunk, len(sd.data))]
	sd.off += len(chunk)
	last := len(chunk) == 0
	if last {
		sd.timer.Stop()
		delete(s.sends, key)
	}
	s.mu.Unlock()
	unit := int(sd.format) / 8
	xproto.ChangeProperty(s.c, xproto.PropModeReplace, key.win, key.prop, sd.typ, sd.format, uint32(len(chunk)/unit), chunk)
	if last {
		xproto.ChangeWindowAttributes(s.c, key.win, xproto.CwEventMask, []uint32{xproto.EventMaskNoEvent})
	}
}
