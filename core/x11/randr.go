package x11

import (
	"context"
	"errors"
	"fmt"

	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"
)

// This file resizes a session's screen to a client's desktop with RandR
// 1.2: a mode of the wanted size is created if the output has none, and
// the output's CRTC and the screen are set to it. Xvfb can do this up to
// the size it was started with (its -screen); Xorg with the dummy driver
// ("Xdummy", through --xvfb) up to its Virtual size.

// ErrNoResize says the display's screen cannot be resized.
var ErrNoResize = errors.New("the X server cannot resize its screen")

// maxScreenSide bounds the sizes asked for.
const maxScreenSide = 16384

// ResizeScreen sets the screen of display to w x h pixels, or the
// nearest size the X server allows. It returns the size in effect
// afterwards; ErrNoResize (wrapped) when the X server cannot change it.
func ResizeScreen(ctx context.Context, display string, w, h int) (int, int, error) {
	if w < 64 || h < 64 || w > maxScreenSide || h > maxScreenSide {
		return 0, 0, fmt.Errorf("resize screen: bad size %dx%d", w, h)
	}
	n, err := ParseDisplay(display)
	if err != nil {
		return 0, 0, fmt.Errorf("resize screen: %w", err)
	}
	c, err := connect(ctx, display, n)
	if err != nil {
		return 0, 0, fmt.Errorf("resize screen on %s: %w", display, err)
	}
	defer c.close()
	if err := randr.Init(c.c); err != nil {
		return 0, 0, fmt.Errorf("resize screen: %w: %w", ErrNoResize, err)
	}
	if _, err := randr.QueryVersion(c.c, 1, 2).Reply(); err != nil {
		return 0, 0, fmt.Errorf("resize screen: %w: %w", ErrNoResize, replyErr(ctx, err))
	}
	root := c.screen.Root
	cur := func() (int, int) {
		g, err := xproto.GetGeometry(c.c, xproto.Drawable(root)).Reply()
		if err != nil {
			return 0, 0
		}
		return int(g.Width), int(g.Height)
	}
	rng, err := randr.GetScreenSizeRange(c.c, root).Reply()
	if err != nil {
		return 0, 0, fmt.Errorf("resize screen: %w", replyErr(ctx, err))
	}
	w = min(max(w, int(rng.MinWidth)), int(rng.MaxWidth))
	h = min(max(h, int(rng.MinHeight)), int(rng.MaxHeight))
	if cw, ch := cur(); cw == w && ch == h {
		return w, h, nil
	}
	res, err := randr.GetScreenResources(c.c, root).Reply()
	if err != nil {
		return 0, 0, fmt.Errorf("resize screen: %w", replyErr(ctx, err))
	}
	output, crtc, err := firstActiveOutput(ctx, c, res)
	if err != nil {
		return 0, 0, err
	}
	mode, err := modeFor(ctx, c, root, res, output, w, h)
	if err != nil {
		return 0, 0, err
	}
	cw, ch := cur()
	// Keep the screen's resolution (--dpi or the client's): millimetres
	// grow with the pixels. The setup of this fresh connection has the
	// current size.
	ratio := 25.4 / 96
	if sc := c.screen; sc.WidthInPixels > 0 && sc.WidthInMillimeters > 0 {
		ratio = float64(sc.WidthInMillimeters) / float64(sc.WidthInPixels)
	}
	mm := func(px int) uint32 { return max(1, uint32(float64(px)*ratio+0.5)) }
	// The screen must hold the CRTC at every step: grow it first, set the
	// mode, then shrink it to the mode.
	bw, bh := max(cw, w), max(ch, h)
	if bw != cw || bh != ch {
		if err := randr.SetScreenSizeChecked(c.c, root, uint16(bw), uint16(bh), mm(bw), mm(bh)).Check(); err != nil {
			return 0, 0, fmt.Errorf("resize screen to %dx%d: %w", bw, bh, replyErr(ctx, err))
		}
	}
	if _, err := randr.SetCrtcConfig(c.c, crtc, xproto.TimeCurrentTime, res.ConfigTimestamp, 0, 0, mode, randr.RotationRotate0, []randr.Output{output}).Reply(); err != nil {
		return 0, 0, fmt.Errorf("resize screen: set mode %dx%d: %w", w, h, replyErr(ctx, err))
	}
	if bw != w || bh != h {
		if err := randr.SetScreenSizeChecked(c.c, root, uint16(w), uint16(h), mm(w), mm(h)).Check(); err != nil {
			return 0, 0, fmt.Errorf("resize screen to %dx%d: %w", w, h, replyErr(ctx, err))
		}
	}
	nw, nh := cur()
	return nw, nh, nil
}

// firstActiveOutput returns the first connected output that has a CRTC.
func firstActiveOutput(ctx context.Context, c *xconn, res *randr.GetScreenResourcesReply) (randr.Output, randr.Crtc, error) {
	for _, o := range res.Outputs {
		info, err := randr.GetOutputInfo(c.c, o, res.ConfigTimestamp).Reply()
		if err != nil {
			return 0, 0, fmt.Errorf("resize screen: %w", replyErr(ctx, err))
		}
		if info.Connection == randr.ConnectionConnected && info.Crtc != 0 {
			return o, info.Crtc, nil
		}
	}
	return 0, 0, fmt.Errorf("resize screen: %w: no active output", ErrNoResize)
}

// modeFor returns a mode of w x h on output, creating and adding it when
// there is none.
func modeFor(ctx context.Context, c *xconn, root xproto.Window, res *randr.GetScreenResourcesReply, output randr.Output, w, h int) (randr.Mode, error) {
	info, err := randr.GetOutputInfo(c.c, output, res.ConfigTimestamp).Reply()
	if err != nil {
		return 0, fmt.Errorf("resize screen: %w", replyErr(ctx, err))
	}
	for _, m := range res.Modes {
		if int(m.Width) == w && int(m.Height) == h {
			for _, om := range info.Modes {
				if uint32(om) == m.Id {
					return om, nil
				}
			}
		}
	}
	name := fmt.Sprintf("%dx%d", w, h)
	// Timings only need to be consistent: a virtual screen has no monitor.
	mi := randr.ModeInfo{
		Width: uint16(w), Height: uint16(h),
		HsyncStart: uint16(w + 8), HsyncEnd: uint16(w + 16), Htotal: uint16(w + 24),
		VsyncStart: uint16(h + 1), VsyncEnd: uint16(h + 2), Vtotal: uint16(h + 3),
		NameLen: uint16(len(name)),
	}
	mi.DotClock = uint32(mi.Htotal) * uint32(mi.Vtotal) * 60
	r, err := randr.CreateMode(c.c, root, mi, name).Reply()
	if err != nil {
		return 0, fmt.Errorf("resize screen: create mode %s: %w: %w", name, ErrNoResize, replyErr(ctx, err))
	}
	if err := randr.AddOutputModeChecked(c.c, output, r.Mode).Check(); err != nil {
		return 0, fmt.Errorf("resize screen: add mode %s: %w: %w", name, ErrNoResize, replyErr(ctx, err))
	}
	return r.Mode, nil
}
