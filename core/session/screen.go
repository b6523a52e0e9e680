package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/xpra"
)

// This file fits the session's screen to the attached client's desktop
// (RandR), at attach time from the hello's desktop_size and later from
// the client's desktop_size packets, as xpra's server does. A shadow
// shows a real display and is never resized. A desktop session's screen
// is its one window: it follows that window's size when the user
// resizes it (configure-window), and shrinks to fit a client's desktop
// that is smaller than it, but never grows to one: the desktop keeps the
// size it was laid out for otherwise.

// fitScreen resizes the screen to w x h when the session may; it
// records whether the X server can resize at all, for the hello's
// resize_screen.
func (s *Server) fitScreen(ctx context.Context, w, h int64, log *slog.Logger) (int, int, bool) {
	// An options file's geometry= fixes the size instead.
	if s.opts.Mode != "seamless" || !s.cfg.ResizeDisplay || s.nxGeometry() != (screenSize{}) || w <= 0 || h <= 0 {
		return 0, 0, false
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	nw, nh, err := x11.ResizeScreen(rctx, fmt.Sprintf(":%d", s.display), int(w), int(h))
	s.mu.Lock()
	s.resizable = err == nil || !errors.Is(err, x11.ErrNoResize)
	s.mu.Unlock()
	if err != nil {
		log.Info("the screen keeps its size", "wanted", fmt.Sprintf("%dx%d", w, h), "err", err)
		return 0, 0, false
	}
	log.Info("screen resized to the client's desktop", "size", fmt.Sprintf("%dx%d", nw, nh))
	return nw, nh, true
}

// fitScreenToHello resizes the screen to a new client's desktop_size.
func (s *Server) fitScreenToHello(ctx context.Context, c *clientConn, log *slog.Logger) {
	if w, h, ok := c.caps.IntPair("desktop_size"); ok {
		s.fitScreen(ctx, w, h, log)
		s.fitDesktopInto(ctx, int(w), int(h), log)
	}
}

// desktopResizable says whether a desktop session's screen may follow
// its window: --resize-display and no fixed NX geometry.
func (s *Server) desktopResizable() bool {
	return s.opts.Mode == "desktop" && s.cfg.ResizeDisplay && s.nxGeometry() == (screenSize{})
}

// resizeDesktop sets a desktop session's screen to the size its window
// was given on a client. The new size reaches every client as the
// window's (the display watcher sees the root window change).
func (s *Server) resizeDesktop(ctx context.Context, w, h int, log *slog.Logger) (int, int, error) {
	if !s.desktopResizable() {
		return 0, 0, errors.New("this session's screen does not follow its clients")
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	nw, nh, err := x11.ResizeScreen(rctx, fmt.Sprintf(":%d", s.display), w, h)
	if err != nil {
		log.Info("the desktop keeps its size", "wanted", fmt.Sprintf("%dx%d", w, h), "err", err)
		return 0, 0, err
	}
	log.Info("desktop resized", "wanted", fmt.Sprintf("%dx%d", w, h), "size", fmt.Sprintf("%dx%d", nw, nh))
	return nw, nh, nil
}

// fitDesktopInto shrinks a desktop session's screen that is larger than
// a client's w x h desktop, so that the whole desktop shows there.
func (s *Server) fitDesktopInto(ctx context.Context, w, h int, log *slog.Logger) {
	if !s.desktopResizable() || w <= 0 || h <= 0 {
		return
	}
	info, err := x11.Probe(ctx, fmt.Sprintf(":%d", s.display))
	if err != nil || (info.Width <= w && info.Height <= h) {
		return
	}
	_, _, _ = s.resizeDesktop(ctx, min(info.Width, w), min(info.Height, h), log)
}

// canResize is the hello's resize_screen.
func (s *Server) canResize() bool {
	fixed := s.nxGeometry() != (screenSize{})
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resizable && s.opts.Mode == "seamless" && s.cfg.ResizeDisplay && !fixed
}

// clientDesktopSize handles a client's desktop_size: its screen
// changed. The answer is the screen's size then and its largest.
func (s *Server) clientDesktopSize(c *clientConn, pkt wire.Packet, log *slog.Logger) {
	ds, err := xpra.ParseClientDesktopSize(pkt)
	if err != nil {
		log.Warn("malformed desktop_size packet", "len", len(pkt), "err", err)
		return
	}
	w, h := ds.Width, ds.Height
	s.fitScreen(context.Background(), w, h, log)
	s.fitDesktopInto(context.Background(), int(w), int(h), log)
	info, err := x11.Probe(context.Background(), fmt.Sprintf(":%d", s.display))
	if err != nil {
		return
	}
	_ = c.w.WritePacket(xpra.DesktopSize{Width: int64(info.Width), Height: int64(info.Height), MaxWidth: int64(info.Width), MaxHeight: int64(info.Height)}.Packet())
}
