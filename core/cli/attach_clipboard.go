package cli

import (
	"context"
	"log/slog"

	"github.com/xroam/xroam/core/client"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/sdk/clipboard"
	"github.com/xroam/xroam/sdk/plugin"
)

// clipboardOpener opens the attach client's clipboard backend through a
// plugin host (a binary in the plugin directories, or the built-in x11
// backend), stopped by the returned function.
func clipboardOpener(inv *Invocation, log *slog.Logger) (client.ClipboardOpener, func()) {
	host := pluginhost.New(pluginhost.Options{Dirs: pluginDirs(inv), Builtins: inv.Env.Build.Builtins, Logger: log})
	open := func(ctx context.Context, name, display string) (clipboard.Backend, error) {
		return host.Clipboard(ctx, pluginhost.Spec{Name: name, Block: inv.Config.Plugin(plugin.KindClipboard, name),
			Options: map[string][]string{"display": {display}}})
	}
	return open, func() { _ = host.Close() }
}
