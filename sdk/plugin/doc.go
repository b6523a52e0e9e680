// Package plugin turns an implementation of an xroam plugin interface into
// a plugin binary: Serve answers the `describe` sub-command with the
// plugin's kind, name, version, API versions and configuration schema, and
// otherwise serves the kind's gRPC service through hashicorp/go-plugin.
// The same package holds the host's side of that gRPC glue, so that the
// host and every plugin agree on it by sharing one piece of code.
//
// A plugin's main.go is a few lines:
//
//	func main() {
//		plugin.Serve(plugin.Auth{Name: "token", Version: "1.0.0", Schema: schema, New: newToken})
//	}
package plugin
