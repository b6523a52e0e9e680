package x11test

import (
	"context"
	"fmt"
	"strings"

	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/x11"
)

// Resource returns the value of name in the root window's resource
// database (RESOURCE_MANAGER, what xrdb -query prints), "" when unset.
func Resource(ctx context.Context, display, name string) (string, error) {
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return "", fmt.Errorf("resource: %w", err)
	}
	c, err := x11.Connect(ctx, display, n)
	if err != nil {
		return "", fmt.Errorf("resource on %s: %w", display, err)
	}
	defer c.Close()
	a, err := xproto.InternAtom(c.X, false, uint16(len("RESOURCE_MANAGER")), "RESOURCE_MANAGER").Reply()
	if err != nil {
		return "", fmt.Errorf("resource: atom RESOURCE_MANAGER: %w", x11.ReplyErr(ctx, err))
	}
	r, err := xproto.GetProperty(c.X, false, c.Screen.Root, a.Atom, xproto.GetPropertyTypeAny, 0, 1<<20).Reply()
	if err != nil {
		return "", fmt.Errorf("resource: RESOURCE_MANAGER: %w", x11.ReplyErr(ctx, err))
	}
	db := string(r.Value)
	for _, line := range strings.Split(db, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v), nil
		}
	}
	return "", nil
}
