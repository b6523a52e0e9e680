// Package pluginhost finds, starts and supervises xroam's plugins.
//
// Plugins are binaries named xroam-<kind>-<name> in the plugin
// directories. The host asks each for its description (`describe`),
// negotiates the highest API version both sides speak, checks the
// plugin's configuration against the schema the plugin declared (so an
// operator sees file:line:col for a mistake before anything starts), and
// runs it through hashicorp/go-plugin with automatic mutual TLS, a minimal
// environment and, when configured, a sha256 pin of the binary. A
// supervisor health-checks each plugin and restarts it with backoff after a
// crash; calls made while it is down fail, which for authentication means
// deny.
//
// Built-in modules run in-process through the same Go interfaces, so
// callers cannot tell, and need not care, which they got. The host knows
// none by name: its caller passes the catalog (Options.Builtins; xroam's
// is plugins/builtin).
package pluginhost
