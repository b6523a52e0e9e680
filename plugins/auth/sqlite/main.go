// Command xroam-auth-sqlite is the sqlite authentication module as a
// plugin binary.
package main

import (
	"github.com/xroam/xroam/plugins/auth/modules/sqlite"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(sqlite.Plugin()) }
