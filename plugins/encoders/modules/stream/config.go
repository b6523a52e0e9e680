package stream

import (
	"fmt"
	"time"

	"github.com/xroam/xroam/plugins/encoders/modules/yuv"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/schema"
)

// Attrs are the configuration attributes of a video plugin: its default
// quality (qualityHelp says how the codec uses it), the idle time after
// which a window's stream is closed, and the colourspace converters it
// may use (what --csc-modules sets).
func Attrs(defaultQuality int, qualityHelp string) []schema.Attr {
	return []schema.Attr{
		{Name: "quality", Type: schema.Int, Default: defaultQuality, Help: qualityHelp},
		{Name: "idle", Type: schema.Duration, Default: "10s", Help: "a window's stream idle this long is closed; its next frame starts a new stream"},
		{Name: "csc", Type: schema.Strings, Default: yuv.Modules(), Help: "colourspace converters to use, the first built in wins: libyuv, go or all (the fastest); the default lists those built in"},
	}
}

// Settings are a video plugin's configuration, read by Config.
type Settings struct {
	Quality int
	Idle    time.Duration
	// Convert is the colourspace converter, CSC its name.
	Convert yuv.Func
	CSC     string
}

// Config reads and checks the attributes that Attrs declares; name
// prefixes the errors.
func Config(name string, cfg schema.Values) (Settings, error) {
	s := Settings{Quality: int(cfg.Int("quality")), Idle: cfg.Duration("idle")}
	if s.Quality < 1 || s.Quality > 100 {
		return Settings{}, fmt.Errorf("%s: quality %d is not in 1..100", name, s.Quality)
	}
	if s.Idle <= 0 {
		return Settings{}, fmt.Errorf("%s: idle %s is not positive", name, s.Idle)
	}
	conv, csc, err := yuv.Pick(cfg.Strings("csc"))
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %w", name, err)
	}
	s.Convert, s.CSC = conv, csc
	return s, nil
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
