package xclient

import (
	"github.com/jezek/xgb/randr"
)

// The attach client follows its screen's size (RandR), so that the
// server can fit its own screen to it.

// ScreenEvent says the local screen changed size.
type ScreenEvent struct {
	Width, Height     int
	WidthMM, HeightMM int
}

// watchScreen asks for RandR screen changes; without RandR the size is
// the one at connection time.
func (d *Display) watchScreen() {
	if err := randr.Init(d.c); err != nil {
		d.log.Debug("x11 client: no RandR, the screen size is fixed", "err", err)
		return
	}
	if _, err := randr.QueryVersion(d.c, 1, 2).Reply(); err != nil {
		return
	}
	randr.SelectInput(d.c, d.screen.Root, randr.NotifyMaskScreenChange)
}

// screenChanged records a new screen size and reports it.
func (d *Display) screenChanged(e randr.ScreenChangeNotifyEvent) {
	ev := &ScreenEvent{Width: int(e.Width), Height: int(e.Height), WidthMM: int(e.Mwidth), HeightMM: int(e.Mheight)}
	// Rotated screens report the sizes swapped.
	if e.Rotation&(randr.RotationRotate90|randr.RotationRotate270) != 0 {
		ev.Width, ev.Height, ev.WidthMM, ev.HeightMM = ev.Height, ev.Width, ev.HeightMM, ev.WidthMM
	}
	d.mu.Lock()
	changed := d.scr != *ev
	d.scr = *ev
	d.mu.Unlock()
	if changed {
		d.send(ev)
	}
}
