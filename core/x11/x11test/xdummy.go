package x11test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// xdummyConf is an Xorg configuration for the dummy driver: a screen
// that RandR can resize to anything up to 4096x2304, which Xvfb's fixed
// screen cannot do.
const xdummyConf = `Section "Device"
  Identifier "dummy"
  Driver "dummy"
  VideoRam 256000
EndSection
Section "Monitor"
  Identifier "mon"
  HorizSync 5.0-1000.0
  VertRefresh 5.0-200.0
EndSection
Section "Screen"
  Identifier "screen"
  Device "dummy"
  Monitor "mon"
  DefaultDepth 24
  SubSection "Display"
    Depth 24
    Virtual 4096 2304
  EndSubSection
EndSection
`

// XdummyCommand writes the dummy driver's configuration into a test
// directory and returns the Xorg command line that serves it, for
// x11.XvfbConfig.Command or --xvfb. It skips the test when Xorg or the
// dummy driver (xserver-xorg-video-dummy) is not installed.
func XdummyCommand(tb testing.TB) string {
	tb.Helper()
	if _, err := exec.LookPath("Xorg"); err != nil {
		tb.Skip("Xorg is not installed")
	}
	if _, err := os.Stat("/usr/lib/xorg/modules/drivers/dummy_drv.so"); err != nil {
		tb.Skip("the Xorg dummy driver is not installed (xserver-xorg-video-dummy)")
	}
	dir := tb.TempDir()
	conf := filepath.Join(dir, "dummy.conf")
	if err := os.WriteFile(conf, []byte(xdummyConf), 0o644); err != nil {
		tb.Fatal(err)
	}
	// An empty config directory keeps the host's xorg.conf.d out.
	confd := filepath.Join(dir, "conf.d")
	if err := os.Mkdir(confd, 0o755); err != nil {
		tb.Fatal(err)
	}
	return "Xorg -config " + conf + " -configdir " + confd + " -logfile " + filepath.Join(dir, "xorg.log") +
		" -noreset -nolisten tcp +extension Composite +extension DAMAGE +extension RANDR +extension XTEST"
}
