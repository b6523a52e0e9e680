// Command xroam-encoder-jpeg is the jpeg encoder (libjpeg-turbo) as a
// plugin binary.
package main

import (
	"github.com/xroam/xroam/plugins/encoders/modules/jpeg"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(jpeg.Plugin()) }
