// Command xroam-transport-ws is the websocket transport as a plugin
// binary: --bind-ws and --bind-wss sockets and the HTML5 client's files.
package main

import (
	"github.com/xroam/xroam/plugins/transports/modules"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(modules.WS()) }
