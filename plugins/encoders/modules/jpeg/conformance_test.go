package jpeg_test

import (
	"testing"

	"github.com/xroam/xroam/plugins/encoders/modules/jpeg"
	"github.com/xroam/xroam/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	plugintest.EncoderConformance(t, jpeg.Plugin(), nil)
}
