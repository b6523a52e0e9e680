// Command xroam-transport-tcp is the tcp transport as a plugin binary:
// --bind-tcp sockets, upgraded to TLS or websocket as --ssl and --html say.
package main

import (
	"github.com/xroam/xroam/plugins/transports/modules"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(modules.TCP()) }
