// Package builtin is the catalog of the plugins compiled into the xroam
// binary. cmd/xroam hands it to core/cli, which hands it to the plugin
// host, so that the core itself knows no plugin by name and imports no
// plugin implementation.
package builtin
