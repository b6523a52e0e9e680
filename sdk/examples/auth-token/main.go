// Command xroam-auth-token is an example third-party authentication
// plugin: it lets in a user whose password is one of the tokens listed for
// them in a file. It builds against the xroam SDK alone. Install it as
// xroam-auth-token in a plugin directory and use --auth=token:filename=...
package main

import "github.com/xroam/xroam/sdk/plugin"

func main() { plugin.Serve(Plugin()) }
