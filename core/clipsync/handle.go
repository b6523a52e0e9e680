package clipsync

import (
	"context"
	"slices"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
	"github.com/xroam/xroam/sdk/clipboard"
)

// HandleEvent acts on one event of the local backend. It does not block.
func (s *Sync) HandleEvent(ev clipboard.Event) {
	switch ev.Kind {
	case clipboard.OwnerChanged:
		s.localOwner(ev.Selection)
	case clipboard.Wanted:
		s.localWants(ev)
	}
}

// localOwner tells the peer that a local application owns sel now.
func (s *Sync) localOwner(sel string) {
	s.mu.Lock()
	ok := s.peerOn && !s.closed && s.dir.Send && s.selected(sel)
	want := s.wantTargets || s.greedy
	greedy, preferred := s.greedy, s.preferred
	delete(s.inline, sel)
	s.mu.Unlock()
	if !ok {
		return
	}
	if !want {
		s.send(xpra.ClipboardToken{Selection: sel, Claim: true}.Packet())
		return
	}
	go func() {
		t := &xpra.ClipboardToken{Selection: sel, Claim: true}
		var d *clipboard.Data
		err := s.call(func(ctx context.Context) (err error) {
			d, err = s.cfg.Backend.Read(ctx, &clipboard.ReadRequest{Selection: sel, Target: "TARGETS"})
			return err
		})
		if err == nil && d != nil {
			t.Targets = slices.DeleteFunc(slices.Clone(d.Targets), discarded)
			t.HasTargets = true
		} else {
			s.log.Debug("clipboard: no targets for the token", "selection", sel, "err", err)
		}
		if greedy && t.HasTargets {
			s.inlineData(t, preferred)
		}
		s.send(t.Packet())
	}()
}

// inlineData adds the contents of the best target to a token for a
// greedy peer (HTML5), which pastes without asking.
func (s *Sync) inlineData(t *xpra.ClipboardToken, preferred []string) {
	target := ""
	if slices.Contains(t.Targets, "image/png") && slices.Contains(preferred, "image/png") {
		target = "image/png"
	} else {
		for _, x := range t.Targets {
			if slices.Contains(clipboard.TextTargets(), x) {
				target = x
				break
			}
		}
	}
	if target == "" {
		return
	}
	var d *clipboard.Data
	err := s.call(func(ctx context.Context) (err error) {
		d, err = s.cfg.Backend.Read(ctx, &clipboard.ReadRequest{Selection: t.Selection, Target: target})
		return err
	})
	if err != nil || d == nil || d.Size() > s.limit() || s.filtered(d) {
		return
	}
	t.Target, t.Data = target, d
}

// localWants forwards a local application's paste to the peer.
func (s *Sync) localWants(ev clipboard.Event) {
	s.mu.Lock()
	if d := s.inline[ev.Selection][ev.Target]; d != nil {
		s.mu.Unlock()
		go s.answer(ev.ID, d)
		return
	}
	if !s.peerOn || s.closed || !s.dir.Receive || discarded(ev.Target) {
		s.mu.Unlock()
		go s.answer(ev.ID, nil)
		return
	}
	s.nextID++
	id := s.nextID
	p := &pendingReq{wanted: ev.ID, selection: ev.Selection}
	p.timer = time.AfterFunc(s.cfg.Timeout, func() { s.expire(id) })
	s.pending[id] = p
	n := len(s.pending)
	s.mu.Unlock()
	if s.cfg.Server {
		s.send(xpra.ClipboardPendingRequests{Count: int64(n)}.Packet())
	}
	s.send(xpra.ClipboardRequest{ID: id, Selection: ev.Selection, Target: ev.Target}.Packet())
}

// expire gives up on a request the peer did not answer in time.
func (s *Sync) expire(id int64) {
	p := s.take(id)
	if p == nil {
		return
	}
	s.log.Info("clipboard: the peer did not answer in time", "selection", p.selection, "after", s.cfg.Timeout)
	s.answer(p.wanted, nil)
}

func (s *Sync) take(id int64) *pendingReq {
	s.mu.Lock()
	p := s.pending[id]
	delete(s.pending, id)
	n := len(s.pending)
	server := s.cfg.Server && !s.closed
	s.mu.Unlock()
	if p != nil {
		p.timer.Stop()
		if server {
			s.send(xpra.ClipboardPendingRequests{Count: int64(n)}.Packet())
		}
	}
	return p
}

// Handle processes a clipboard packet from the peer and reports whether
// pkt was one. A malformed packet is logged and dropped.
func (s *Sync) Handle(pkt wire.Packet) bool {
	t := pkt.Type()
	if !xpra.IsClipboardPacket(t) {
		return false
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return true
	}
	var err error
	switch t {
	case xpra.TypeClipboardToken:
		err = s.peerToken(pkt)
	case xpra.TypeClipboardRequest:
		err = s.peerRequest(pkt)
	case xpra.TypeClipboardContents, xpra.TypeClipboardContentsNone:
		err = s.peerContents(pkt)
	case xpra.TypeClipboardEnableSelections:
		var sels xpra.ClipboardEnableSelections
		if sels, err = xpra.ParseClipboardEnableSelections(pkt); err == nil {
			s.mu.Lock()
			s.peerSels = sels.Selections
			s.mu.Unlock()
		}
	case xpra.TypeSetClipboardEnabled:
		var on xpra.SetClipboardEnabled
		if on, err = xpra.ParseSetClipboardEnabled(pkt); err == nil {
			s.mu.Lock()
			s.peerOn = on.Enabled
			s.mu.Unlock()
		}
	case xpra.TypeClipboardPendingRequests, xpra.TypeClipboardLoopUUIDs:
	}
	if err != nil {
		s.log.Warn("clipboard: bad packet from the peer", "type", t, "err", err)
	}
	return true
}

func (s *Sync) peerToken(pkt wire.Packet) error {
	tok, err := xpra.ParseClipboardToken(pkt, s.cfg.MaxBytes)
	if err != nil {
		return err
	}
	s.mu.Lock()
	ok := s.peerOn && s.dir.Receive && slices.Contains(s.cfg.Selections, tok.Selection)
	if ok {
		m := map[string]*clipboard.Data{}
		if tok.Data != nil {
			m[tok.Target] = tok.Data
		}
		s.inline[tok.Selection] = m
	}
	s.mu.Unlock()
	if !ok {
		s.log.Debug("clipboard: token ignored", "selection", tok.Selection)
		return nil
	}
	if !tok.Claim {
		return nil
	}
	targets := slices.DeleteFunc(slices.Clone(tok.Targets), func(t string) bool {
		return discarded(t) || t == "TARGETS" || t == "TIMESTAMP"
	})
	go func() {
		if err := s.call(func(ctx context.Context) error {
			return s.cfg.Backend.Claim(ctx, &clipboard.ClaimRequest{Selection: tok.Selection, Targets: targets})
		}); err != nil {
			s.log.Warn("clipboard: cannot take the selection for the peer", "selection", tok.Selection, "err", err)
		}
	}()
	return nil
}

func (s *Sync) peerRequest(pkt wire.Packet) error {
	req, err := xpra.ParseClipboardRequest(pkt)
	if err != nil {
		return err
	}
	none := xpra.ClipboardContents{ID: req.ID, Selection: req.Selection}
	s.mu.Lock()
	ok := s.peerOn && s.dir.Send && s.selected(req.Selection) && !discarded(req.Target) && s.inflight < maxInflight
	if ok {
		s.inflight++
	}
	sliceFix := s.sliceFix
	s.mu.Unlock()
	if !ok {
		s.send(none.Packet())
		return nil
	}
	go func() {
		defer func() {
			s.mu.Lock()
			s.inflight--
			s.mu.Unlock()
		}()
		var d *clipboard.Data
		err := s.call(func(ctx context.Context) (err error) {
			d, err = s.cfg.Backend.Read(ctx, &clipboard.ReadRequest{Selection: req.Selection, Target: req.Target})
			return err
		})
		switch {
		case err != nil:
			s.log.Debug("clipboard: local read failed", "selection", req.Selection, "target", req.Target, "err", err)
			d = nil
		case d.Size() > s.limit():
			s.log.Warn("clipboard: contents too large to send", "bytes", d.Size(), "limit", s.limit())
			d = nil
		case s.filtered(d):
			d = nil
		}
		if d != nil && d.Type == "ATOM" {
			d.Targets = slices.DeleteFunc(d.Targets, discarded)
		}
		s.send(xpra.ClipboardContents{ID: req.ID, Selection: req.Selection, Data: d, SliceFix: sliceFix}.Packet())
	}()
	return nil
}

func (s *Sync) peerContents(pkt wire.Packet) error {
	// The ID comes with an error too: the request is answered even when
	// its contents are bad.
	c, err := xpra.ParseClipboardContents(pkt, s.cfg.MaxBytes)
	id := c.ID
	p := s.take(id)
	if p == nil {
		if err != nil {
			return err
		}
		s.log.Debug("clipboard: contents for no pending request", "id", id)
		return nil
	}
	if err != nil {
		go s.answer(p.wanted, nil)
		return err
	}
	go s.answer(p.wanted, c.Data)
	return nil
}

func (s *Sync) limit() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sendLimit
}
