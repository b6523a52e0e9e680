package x11

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"
)

// MinDPI and MaxDPI bound the resolutions xroam applies: outside them
// applications misbehave (xpra documents the same range).
const (
	MinDPI = 10
	MaxDPI = 500
)

// SetDPI makes display report dpiX x dpiY dots per inch: the screen's
// physical size through RandR (what xdpyinfo and toolkits read from the
// connection setup) and Xft.dpi in the root window's resource database
// (what Xft, GTK and Qt read first). The pixel size is left alone.
func SetDPI(ctx context.Context, display string, dpiX, dpiY int) error {
	if dpiX < MinDPI || dpiX > MaxDPI || dpiY < MinDPI || dpiY > MaxDPI {
		return fmt.Errorf("dpi %dx%d is outside %d..%d", dpiX, dpiY, MinDPI, MaxDPI)
	}
	n, err := ParseDisplay(display)
	if err != nil {
		return fmt.Errorf("set dpi: %w", err)
	}
	c, err := connect(ctx, display, n)
	if err != nil {
		return fmt.Errorf("set dpi on %s: %w", display, err)
	}
	defer c.close()
	if err := randr.Init(c.c); err != nil {
		return fmt.Errorf("set dpi: RandR: %w", err)
	}
	w, h := int(c.screen.WidthInPixels), int(c.screen.HeightInPixels)
	mmW := max(1, int(float64(w)*25.4/float64(dpiX)+0.5))
	mmH := max(1, int(float64(h)*25.4/float64(dpiY)+0.5))
	if err := randr.SetScreenSizeChecked(c.c, c.screen.Root, uint16(w), uint16(h), uint32(mmW), uint32(mmH)).Check(); err != nil {
		return fmt.Errorf("set dpi: RandR screen size: %w", replyErr(ctx, err))
	}
	if err := mergeResource(ctx, c, "Xft.dpi", fmt.Sprint(dpiY)); err != nil {
		return fmt.Errorf("set dpi: %w", err)
	}
	return nil
}

// mergeResource sets name to value in RESOURCE_MANAGER, keeping the other
// entries, as `xrdb -merge` does.
func mergeResource(ctx context.Context, c *xconn, name, value string) error {
	db, err := rootString(ctx, c, "RESOURCE_MANAGER")
	if err != nil {
		return err
	}
	entry := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(name) + `\s*:`)
	var out []string
	for _, line := range strings.Split(db, "\n") {
		if line == "" || entry.MatchString(line) {
			continue
		}
		out = append(out, line)
	}
	out = append(out, name+":\t"+value)
	data := []byte(strings.Join(out, "\n") + "\n")
	a, err := internAtom(ctx, c, "RESOURCE_MANAGER")
	if err != nil {
		return err
	}
	if err := xproto.ChangePropertyChecked(c.c, xproto.PropModeReplace, c.screen.Root, a, xproto.AtomString, 8, uint32(len(data)), data).Check(); err != nil {
		return fmt.Errorf("RESOURCE_MANAGER: %w", replyErr(ctx, err))
	}
	return nil
}

func internAtom(ctx context.Context, c *xconn, name string) (xproto.Atom, error) {
	r, err := xproto.InternAtom(c.c, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("atom %s: %w", name, replyErr(ctx, err))
	}
	return r.Atom, nil
}

// rootString reads a string property of the root window ("" when unset).
func rootString(ctx context.Context, c *xconn, prop string) (string, error) {
	a, err := internAtom(ctx, c, prop)
	if err != nil {
		return "", err
	}
	r, err := xproto.GetProperty(c.c, false, c.screen.Root, a, xproto.GetPropertyTypeAny, 0, 1<<20).Reply()
	if err != nil {
		return "", fmt.Errorf("%s: %w", prop, replyErr(ctx, err))
	}
	return string(r.Value), nil
}
