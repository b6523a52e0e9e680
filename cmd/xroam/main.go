// Command xroam runs X11 applications on a server and shows their windows
// on a client; see `xroam help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/xroam/xroam/core/cli"
	"github.com/xroam/xroam/plugins/builtin"
)

// Set at link time by the Makefile (-X); these are the build's facts, not
// state, and nothing writes them at run time. The other build fact is
// which plugins are compiled in: plugins/builtin.
var (
	version       = "devel"
	systemConfDir = "/etc/xroam/conf.d"
	pluginDir     = "/usr/libexec/xroam/plugins"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.Env{
		Args:   os.Args[1:],
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
		Build:  cli.Build{Version: version, SystemConfDir: systemConfDir, PluginDir: pluginDir, Builtins: builtin.Plugins()},
	})
	stop()
	os.Exit(code)
}
