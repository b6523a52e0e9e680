// Command xroam-encoder-x264 is the h264 encoder (libx264) as a plugin
// binary. It links Debian's libx264 (build with -tags extlib), which is
// GPL-2.0-or-later: the binary as distributed is under the GPL-2.0.
package main

import (
	"github.com/xroam/xroam/plugins/encoders/modules/x264"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(x264.Plugin()) }
