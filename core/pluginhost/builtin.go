package pluginhost

import (
	authmods "github.com/xroam/xroam/plugins/auth/modules"
	"github.com/xroam/xroam/plugins/encoders/modules/rgb"
	"github.com/xroam/xroam/sdk/plugin"
)

// DefaultBuiltins are the plugins the core runs in-process when no binary
// is installed: allow and fail, and the rgb encoder.
func DefaultBuiltins() []plugin.Servable {
	return []plugin.Servable{authmods.Allow(), authmods.Fail(), rgb.Plugin()}
}
