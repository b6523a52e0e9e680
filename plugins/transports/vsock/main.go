// Command xroam-transport-vsock is the vsock transport as a plugin binary:
// --bind-vsock sockets.
package main

import (
	"github.com/xroam/xroam/plugins/transports/modules"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(modules.Vsock()) }
