// Command xroam-transport-quic is the quic transport as a plugin binary:
// --bind-quic sockets.
package main

import (
	"github.com/xroam/xroam/plugins/transports/modules"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(modules.QUIC()) }
