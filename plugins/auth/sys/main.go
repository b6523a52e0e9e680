// Command xroam-auth-sys checks passwords as the system does (PAM).
package main

import (
	"github.com/xroam/xroam/plugins/auth/modules/pam"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(pam.Sys()) }
