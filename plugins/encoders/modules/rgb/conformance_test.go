package rgb_test

import (
	"testing"

	"github.com/xroam/xroam/plugins/encoders/modules/rgb"
	"github.com/xroam/xroam/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	plugintest.EncoderConformance(t, rgb.Plugin(), nil)
}
