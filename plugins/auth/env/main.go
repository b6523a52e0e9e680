// Command xroam-auth-env is the env authentication module as a plugin
// binary; see the modules package for what it checks.
package main

import (
	"github.com/xroam/xroam/plugins/auth/modules"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(modules.Env()) }
