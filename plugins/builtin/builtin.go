package builtin

import (
	authmods "github.com/xroam/xroam/plugins/auth/modules"
	clipmods "github.com/xroam/xroam/plugins/clipboard/modules"
	"github.com/xroam/xroam/plugins/encoders/modules/rgb"
	transports "github.com/xroam/xroam/plugins/transports/modules"
	"github.com/xroam/xroam/sdk/plugin"
)

// Plugins are the plugins xroam runs in-process when no binary is
// installed: allow and fail, the rgb encoder, the x11 clipboard, and a
// tcp transport that hands connections over without parsing them (the
// xroam-transport-tcp binary, which also does TLS and websocket, is
// preferred when installed).
func Plugins() []plugin.Servable {
	return []plugin.Servable{authmods.Allow(), authmods.Fail(), rgb.Plugin(), clipmods.X11(), transports.BuiltinTCP()}
}
