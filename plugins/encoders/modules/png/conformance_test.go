package png_test

import (
	"testing"

	"github.com/xroam/xroam/plugins/encoders/modules/png"
	"github.com/xroam/xroam/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	plugintest.EncoderConformance(t, png.Plugin(), nil)
}
