// Command xroam-transport-ssl is the ssl transport as a plugin binary:
// --bind-ssl sockets.
package main

import (
	"github.com/xroam/xroam/plugins/transports/modules"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(modules.SSL()) }
