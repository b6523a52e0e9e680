// Command xroam-encoder-png is the png encoder as a plugin binary.
package main

import (
	"github.com/xroam/xroam/plugins/encoders/modules/png"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(png.Plugin()) }
