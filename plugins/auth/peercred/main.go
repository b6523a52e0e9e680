// Command xroam-auth-peercred is the peercred authentication module as a plugin
// binary; see the modules package for what it checks.
package main

import (
	"github.com/xroam/xroam/plugins/auth/modules"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(modules.Peercred()) }
