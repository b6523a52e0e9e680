package x11

import (
	"context"
	"os/exec"
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
	if v, err := Resource(ctx, d, "Xft.dpi"); err != nil || v != "72" {
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
	if v, _ := Resource(ctx, d, "Xft.dpi"); v != "120" {
		t.Errorf("Xft.dpi %q after the second change", v)
	}
	if v, _ := Resource(ctx, d, "XTerm*faceName"); v != "Mono" {
		t.Errorf("another resource was lost: %q", v)
	}
	if err := SetDPI(ctx, d, 9, 100); err == nil {
		t.Error("9 dpi accepted")
	}
}

func TestSetKeyboardReloadsKeymap(t *testing.T) {
	requireXvfb(t)
	if _, err := exec.LookPath("setxkbmap"); err != nil {
		t.Skip("setxkbmap is not installed (apt-get install x11-xkb-utils)")
	}
	x, wm := wmDisplay(t, testCommand)
	d := DisplayName(x.Display())
	ctx := waitCtx(t)
	usY, _, ok := wm.Keymap().Lookup('y', "y")
	if !ok {
		t.Fatal("no y on the us keyboard")
	}
	if err := SetKeyboard(ctx, d, KeyboardNames{Layout: "de", Variant: "nodeadkeys", Options: "ctrl:nocaps"}); err != nil {
		t.Fatal(err)
	}
	kn, err := QueryKeyboard(ctx, d)
	if err != nil || kn.Layout != "de" || kn.Variant != "nodeadkeys" || kn.Options != "ctrl:nocaps" || kn.Rules == "" {
		t.Errorf("after setting de: %+v %v", kn, err)
	}
	if err := wm.ReloadKeymap(); err != nil {
		t.Fatal(err)
	}
	// On de the y sits where us has z.
	deY, _, _ := wm.Keymap().Lookup('y', "y")
	usZ := 52
	if deY == usY || deY != usZ {
		t.Errorf("y: keycode %d on us, %d on de (want %d)", usY, deY, usZ)
	}
	if err := SetKeyboard(ctx, d, KeyboardNames{Layout: "nosuchlayout"}); err == nil {
		t.Error("an unknown layout was accepted")
	}
	if err := SetKeyboard(ctx, d, KeyboardNames{Layout: "-print"}); err == nil {
		t.Error("an option as a layout was accepted")
	}
	if kn, _ := QueryKeyboard(ctx, d); kn.Layout != "de" {
		t.Errorf("a failed change lost the layout: %+v", kn)
	}
}

// BenchmarkAttachSettings is what an attach adds to the hello with the
// automatic DPI (SetDPI) and keyboard=clone (SetKeyboard + ReloadKeymap).
func BenchmarkAttachSettings(b *testing.B) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		b.Skip("Xvfb is not installed")
	}
	if _, err := exec.LookPath("setxkbmap"); err != nil {
		b.Skip("setxkbmap is not installed")
	}
	x, err := StartXvfb(b.Context(), XvfbConfig{Command: testCommand, Display: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Stop(context.Background())
	d := DisplayName(x.Display())
	wm, err := StartWM(b.Context(), d, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer wm.Close()
	b.Run("SetDPI", func(b *testing.B) {
		for i := range b.N {
			if err := SetDPI(b.Context(), d, 96+i%2, 96); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SetKeyboard", func(b *testing.B) {
		layouts := []string{"de", "fr"}
		for i := range b.N {
			if err := SetKeyboard(b.Context(), d, KeyboardNames{Layout: layouts[i%2]}); err != nil {
				b.Fatal(err)
			}
			if err := wm.ReloadKeymap(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
