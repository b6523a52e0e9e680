package stream

import (
	"fmt"
	"time"

	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/schema"
)

// Attrs are the configuration attributes of a video plugin: its default
// quality (qualityHelp says how the codec uses it) and the idle time
// after which a window's stream is closed.
func Attrs(defaultQuality int, qualityHelp string) []schema.Attr {
	return []schema.Attr{
		{Name: "quality", Type: schema.Int, Default: defaultQuality, Help: qualityHelp},
		{Name: "idle", Type: schema.Duration, Default: "10s", Help: "a window's stream idle this long is closed; its next frame starts a new stream"},
	}
}

// Config reads and checks the attributes that Attrs declares; name
// prefixes the errors.
func Config(name string, cfg schema.Values) (quality int, idle time.Duration, err error) {
	quality = int(cfg.Int("quality"))
	if quality < 1 || quality > 100 {
		return 0, 0, fmt.Errorf("%s: quality %d is not in 1..100", name, quality)
	}
	idle = cfg.Duration("idle")
	if idle <= 0 {
		return 0, 0, fmt.Errorf("%s: idle %s is not positive", name, idle)
	}
	return quality, idle, nil
}

// CheckFrame checks that f is a BGRX or BGRA frame that its pixels
// cover, with even sides (4:2:0) of at most maxSide pixels when maxSide
// is positive; name prefixes the errors.
func CheckFrame(name string, f encoder.Frame, maxSide int) error {
	if f.Format != "BGRX" && f.Format != "BGRA" {
		return fmt.Errorf("%s: pixel format %q not supported", name, f.Format)
	}
	if f.Width <= 0 || f.Height <= 0 || (maxSide > 0 && (f.Width > maxSide || f.Height > maxSide)) ||
		f.Stride < f.Width*4 || len(f.Pixels) < f.Stride*(f.Height-1)+f.Width*4 {
		return fmt.Errorf("%s: frame %dx%d stride %d does not fit %d bytes", name, f.Width, f.Height, f.Stride, len(f.Pixels))
	}
	if f.Width%2 != 0 || f.Height%2 != 0 {
		return fmt.Errorf("%s: frame %dx%d: width and height must be even", name, f.Width, f.Height)
	}
	return nil
}

// Quality is the request's quality, else def, within 1..100.
func Quality(requested, def int) int {
	if requested <= 0 {
		requested = def
	}
	return min(max(requested, 1), 100)
}
