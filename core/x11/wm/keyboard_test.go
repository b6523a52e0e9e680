package wm

import (
	"context"
	"os/exec"
	"testing"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

func TestSetKeyboardReloadsKeymap(t *testing.T) {
	x11test.RequireXvfb(t)
	if _, err := exec.LookPath("setxkbmap"); err != nil {
		t.Skip("setxkbmap is not installed (apt-get install x11-xkb-utils)")
	}
	x, wm := wmDisplay(t, x11test.Command)
	d := x11.DisplayName(x.Display())
	ctx := x11test.Context(t)
	usY, _, ok := wm.Keymap().Lookup('y', "y")
	if !ok {
		t.Fatal("no y on the us keyboard")
	}
	if err := x11.SetKeyboard(ctx, d, x11.KeyboardNames{Layout: "de", Variant: "nodeadkeys", Options: "ctrl:nocaps"}); err != nil {
		t.Fatal(err)
	}
	kn, err := x11.QueryKeyboard(ctx, d)
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
	if err := x11.SetKeyboard(ctx, d, x11.KeyboardNames{Layout: "nosuchlayout"}); err == nil {
		t.Error("an unknown layout was accepted")
	}
	if err := x11.SetKeyboard(ctx, d, x11.KeyboardNames{Layout: "-print"}); err == nil {
		t.Error("an option as a layout was accepted")
	}
	if kn, _ := x11.QueryKeyboard(ctx, d); kn.Layout != "de" {
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
	x, err := x11.StartXvfb(b.Context(), x11.XvfbConfig{Command: x11test.Command, Display: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Stop(context.Background())
	d := x11.DisplayName(x.Display())
	wm, err := Start(b.Context(), d, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer wm.Close()
	b.Run("SetDPI", func(b *testing.B) {
		for i := range b.N {
			if err := x11.SetDPI(b.Context(), d, 96+i%2, 96); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SetKeyboard", func(b *testing.B) {
		layouts := []string{"de", "fr"}
		for i := range b.N {
			if err := x11.SetKeyboard(b.Context(), d, x11.KeyboardNames{Layout: layouts[i%2]}); err != nil {
				b.Fatal(err)
			}
			if err := wm.ReloadKeymap(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
