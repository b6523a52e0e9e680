// Command xroam-clipboard-x11 is the X11 selections clipboard backend as a
// plugin binary; see plugins/clipboard/modules for what it does.
package main

import (
	"github.com/xroam/xroam/plugins/clipboard/modules"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(modules.X11()) }
