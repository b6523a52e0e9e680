// Package schema describes a plugin's configuration: the attributes it
// accepts, their types and defaults. A plugin declares its schema once; the
// host reads it from the plugin's describe output, checks the HCL block or
// the `module:key=value` options against it, applies defaults and hands the
// plugin plain values. Keeping the rules here, in the SDK, means the host
// and the plugin agree on them by construction.
package schema
