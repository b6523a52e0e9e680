// Command xroam-encoder-rgb is the rgb encoder as a plugin binary, the
// reference for shared-memory frames; the core also has it built in.
package main

import (
	"github.com/xroam/xroam/plugins/encoders/modules/rgb"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(rgb.Plugin()) }
