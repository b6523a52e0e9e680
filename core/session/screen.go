package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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

// screenSubsystem sizes the session's screen for its clients.
type screenSubsystem struct {
	s *Server

	mu sync.Mutex
	// resizable: the X server can resize its screen (RandR), as far as
	// the last attempt showed.
	resizable bool
}

func (*screenSubsystem) Name() string { return "screen" }

// Caps fits the screen to the client's desktop, then tells the client
// the screen's size; a display that cannot be probed refuses the client.
func (sc *screenSubsystem) Caps(ctx context.Context, a *attachment) (wire.Dict, error) {
	sc.fitToHello(ctx, a.c, a.log)
	info, err := x11.Probe(ctx, fmt.Sprintf(":%d", sc.s.display))
	if err != nil {
		return nil, err
	}
	size := []int64{int64(info.Width), int64(info.Height)}
	return wire.Dict{
		"max_desktop_size":    size,
		"actual_desktop_size": size,
		"desktop_size":        size,
		"root_window_size":    size,
		"resize_screen":       sc.canResize(),
	}, nil
}

func (sc *screenSubsystem) Handlers() map[string]handler {
	return map[string]handler{xpra.TypeDesktopSize: ui(sc.clientDesktopSize)}
}

// fit resizes the screen to w x h when the session may; it records
// whether the X server can resize at all, for the hello's resize_screen.
func (sc *screenSubsystem) fit(ctx context.Context, w, h int64, log *slog.Logger) (int, int, bool) {
	s := sc.s
	// An options file's geometry= fixes the size instead.
	if s.opts.Mode != "seamless" || !s.cfg.ResizeDisplay || s.nx.geometrySize() != (screenSize{}) || w <= 0 || h <= 0 {
		return 0, 0, false
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	nw, nh, err := x11.ResizeScreen(rctx, fmt.Sprintf(":%d", s.display), int(w), int(h))
	sc.mu.Lock()
	sc.resizable = err == nil || !errors.Is(err, x11.ErrNoResize)
	sc.mu.Unlock()
	if err != nil {
		log.Info("the screen keeps its size", "wanted", fmt.Sprintf("%dx%d", w, h), "err", err)
		return 0, 0, false
	}
	log.Info("screen resized to the client's desktop", "size", fmt.Sprintf("%dx%d", nw, nh))
	return nw, nh, true
}

// fitToHello resizes the screen to a new client's desktop_size.
func (sc *screenSubsystem) fitToHello(ctx context.Context, c *clientConn, log *slog.Logger) {
	if w, h, ok := c.caps.IntPair("desktop_size"); ok {
		sc.fit(ctx, w, h, log)
		sc.fitDesktopInto(ctx, int(w), int(h), log)
	}
}

// desktopResizable says whether a desktop session's screen may follow
// its window: --resize-display and no fixed NX geometry.
func (sc *screenSubsystem) desktopResizable() bool {
	s := sc.s
	return s.opts.Mode == "desktop" && s.cfg.ResizeDisplay && s.nx.geometrySize() == (screenSize{})
}

// resizeDesktop sets a desktop session's screen to the size its window
// was given on a client. The new size reaches every client as the
// window's (the display watcher sees the root window change).
func (sc *screenSubsystem) resizeDesktop(ctx context.Context, w, h int, log *slog.Logger) (int, int, error) {
	s := sc.s
	if !sc.desktopResizable() {
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
func (sc *screenSubsystem) fitDesktopInto(ctx context.Context, w, h int, log *slog.Logger) {
	if !sc.desktopResizable() || w <= 0 || h <= 0 {
		return
	}
	info, err := x11.Probe(ctx, fmt.Sprintf(":%d", sc.s.display))
	if err != nil || (info.Width <= w && info.Height <= h) {
		return
	}
	_, _, _ = sc.resizeDesktop(ctx, min(info.Width, w), min(info.Height, h), log)
}

// canResize is the hello's resize_screen.
func (sc *screenSubsystem) canResize() bool {
	s := sc.s
	fixed := s.nx.geometrySize() != (screenSize{})
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.resizable && s.opts.Mode == "seamless" && s.cfg.ResizeDisplay && !fixed
}

// clientDesktopSize handles a client's desktop_size: its screen
// changed. The answer is the screen's size then and its largest. Only a
// client whose windows are attached is answered.
func (sc *screenSubsystem) clientDesktopSize(ctx context.Context, c *clientConn, pkt wire.Packet) error {
	if _, _, err := sc.s.win.client(c); err != nil {
		return err
	}
	ds, err := xpra.ParseClientDesktopSize(pkt)
	if err != nil {
		c.log.Warn("malformed desktop_size packet", "len", len(pkt), "err", err)
		return nil
	}
	// The screen follows the client's desktop even if it leaves meanwhile.
	ctx = context.WithoutCancel(ctx)
	w, h := ds.Width, ds.Height
	sc.fit(ctx, w, h, c.log)
	sc.fitDesktopInto(ctx, int(w), int(h), c.log)
	info, err := x11.Probe(ctx, fmt.Sprintf(":%d", sc.s.display))
	if err != nil {
		return nil
	}
	_ = c.w.WritePacket(xpra.DesktopSize{Width: int64(info.Width), Height: int64(info.Height), MaxWidth: int64(info.Width), MaxHeight: int64(info.Height)}.Packet())
	return nil
}
