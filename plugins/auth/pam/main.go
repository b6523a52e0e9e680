// Command xroam-auth-pam checks passwords with the system's PAM stack.
package main

import (
	"github.com/xroam/xroam/plugins/auth/modules/pam"
	"github.com/xroam/xroam/sdk/plugin"
)

func main() { plugin.Serve(pam.PAM()) }
