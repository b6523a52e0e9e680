// Package config is xroam's configuration: one typed struct with a default
// for every option, loaded from HCL files in conf.d directories and then
// overridden by the environment and the command line.
//
// Files are applied in lexical order within each directory and the
// directories in the order given (system, user, --config-dir), and a later
// value replaces an earlier one. hcl's own MergeFiles treats a repeated
// attribute as an error, so merging is done here, attribute by attribute,
// recording the origin (file:line:col, env, flag or default) of every value
// so that showconfig can say where each one came from.
//
// Plugin blocks (encoder, auth, clipboard, transport) are kept as raw HCL
// values: only the plugin's own schema can validate them, which the plugin
// host does when it loads the plugin.
package config
