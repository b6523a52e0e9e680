package x11

import (
	"strings"
	"testing"
)

func TestSetDPI(t *testing.T) {
	requireXvfb(t)
	x := startTestXvfb(t, XvfbConfig{Command: testCommand, Display: -1})
	d := DisplayName(x.Display())
	ctx := waitCtx(t)
	if err := SetDPI(ctx, d, 144, 72); err != nil {
		t.Fatal(err)
	}
	info, err := Probe(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	// 1024 px at 144 dpi is 181 mm, 768 px at 72 dpi 271 mm.
	if info.Width != 1024 || info.WidthMM != 181 || info.HeightMM != 271 {
		t.Errorf("screen %dx%d px %dx%d mm", info.Width, info.Height, info.WidthMM, info.HeightMM)
	}
	if v, err := resource(t, d, "Xft.dpi"); err != nil || v != "72" {
		t.Errorf("Xft.dpi %q %v", v, err)
	}
	// Merging keeps the other resources and replaces the old value.
	c, err := connect(ctx, d, x.Display())
	if err != nil {
		t.Fatal(err)
	}
	if err := mergeResource(ctx, c, "XTerm*faceName", "Mono"); err != nil {
		t.Fatal(err)
	}
	c.close()
	if err := SetDPI(ctx, d, 120, 120); err != nil {
		t.Fatal(err)
	}
	if v, _ := resource(t, d, "Xft.dpi"); v != "120" {
		t.Errorf("Xft.dpi %q after the second change", v)
	}
	if v, _ := resource(t, d, "XTerm*faceName"); v != "Mono" {
		t.Errorf("another resource was lost: %q", v)
	}
	if err := SetDPI(ctx, d, 9, 100); err == nil {
		t.Error("9 dpi accepted")
	}
}

// resource reads name from the root window's RESOURCE_MANAGER, as
// x11test.Resource does (which this package's tests cannot import).
func resource(t *testing.T, display, name string) (string, error) {
	t.Helper()
	ctx := waitCtx(t)
	n, err := ParseDisplay(display)
	if err != nil {
		return "", err
	}
	c, err := connect(ctx, display, n)
	if err != nil {
		return "", err
	}
	defer c.close()
	db, err := rootString(ctx, c, "RESOURCE_MANAGER")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(db, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v), nil
		}
	}
	return "", nil
}
