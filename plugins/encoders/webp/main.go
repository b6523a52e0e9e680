// Command xroam-encoder-webp is the webp encoder as a plugin binary.
package main

import (
	"github.com/xroam/xroam/plugins/encoders/modules/webp"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(webp.Plugin()) }
