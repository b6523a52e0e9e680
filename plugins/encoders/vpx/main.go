// Command xroam-encoder-vpx is the vp8 and vp9 encoder (Debian's libvpx)
// as a plugin binary.
package main

import (
	"github.com/xroam/xroam/plugins/encoders/modules/vpx"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(vpx.Plugin()) }
