package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/xroam/xroam/core/client"
	"github.com/xroam/xroam/core/clipsync"
	"github.com/xroam/xroam/core/mmap"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/sdk/plugin"
)

func attachVerb() *Verb {
	return &Verb{
		Name:    "attach",
		Args:    "[DISPLAY|URI]",
		Summary: "show a session's windows on this X display",
		Description: "Connects to a session (:N, a socket path, tcp://HOST:PORT/, ssl://HOST:PORT/, ws://HOST:PORT/, wss://HOST:PORT/ " +
			"or ssh://[USER@]HOST[:PORT]/DISPLAY; the only live local session when none is given), " +
			"xroam's or xpra's, and shows each of its windows as a window on $DISPLAY, forwarding keys, pointer, resizes and closes. " +
			"It exits when the server stops or detaches it, printing the reason (exit status 1 when the reason is an error), " +
			"or on Ctrl-C or the quit key shortcut after telling the server.",
		Groups:  []string{"general", "auth", "ssl", "picture", "client", "clipboard"},
		MaxArgs: 1,
		Run:     runAttach,
	}
}

func runAttach(ctx context.Context, inv *Invocation) error {
	cfg := &inv.Config.Config
	p, err := paths(inv)
	if err != nil {
		return err
	}
	t, err := resolveTarget(ctx, inv, p)
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if cfg.Debug != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(inv.Env.Stderr, &slog.HandlerOptions{Level: level}))
	cc := client.Config{
		Paths:             p,
		Target:            t,
		Display:           inv.Env.Getenv("DISPLAY"),
		Title:             cfg.Title,
		Readonly:          cfg.Readonly,
		KeyShortcuts:      cfg.KeyShortcut,
		Encoding:          cfg.Encoding,
		Encodings:         cfg.Encodings,
		Quality:           cfg.Quality,
		MinQuality:        cfg.MinQuality,
		Speed:             cfg.Speed,
		MinSpeed:          cfg.MinSpeed,
		Reconnect:         cfg.Reconnect,
		Border:            cfg.Border,
		KeyboardSync:      cfg.KeyboardSync,
		DesktopFullscreen: cfg.DesktopFullscreen,
		Bell:              cfg.Bell,
		Cursors:           cfg.Cursors,
		MMap:              cfg.Mmap,
		MMapDir:           inv.Env.Getenv("XDG_RUNTIME_DIR"),
		Log:               log,
		DPI:               cfg.DPI,
		Keyboard: client.KeyboardOverride{Raw: cfg.KeyboardRaw, Layout: cfg.KeyboardLayout, Layouts: cfg.KeyboardLayouts,
			Variant: cfg.KeyboardVariant, Variants: cfg.KeyboardVariants, Options: cfg.KeyboardOptions},
	}
	if err := client.CheckBorder(cc.Border); err != nil {
		return err
	}
	if _, _, err := mmap.ParseOption(cc.MMap); err != nil {
		return &UsageError{Msg: err.Error()}
	}
	if cc.Display == "" {
		return errors.New("DISPLAY is not set: attach needs an X display to show the windows on")
	}
	if cc.Password, err = password(inv); err != nil {
		return err
	}
	cc.Clipboard, cc.ClipboardDirection, cc.ClipboardFilterFile = cfg.Clipboard, cfg.ClipboardDirection, cfg.ClipboardFilterFile
	if name, on, _, err := clipsync.Parse(cfg.Clipboard, cfg.ClipboardDirection, false); err == nil && on {
		cs := pluginhost.ClipboardSettingsOf(inv.Config.Plugin(plugin.KindClipboard, name))
		cc.ClipboardSelections, cc.ClipboardMaxBytes = cs.Selections, cs.MaxBytes
	}
	open, closeClipboard := clipboardOpener(inv, log)
	defer closeClipboard()
	cc.OpenClipboard = open
	err = client.Run(ctx, cc)
	var sd *client.ServerDisconnect
	if errors.As(err, &sd) && !sd.IsError() {
		fmt.Fprintf(inv.Env.Stderr, "xroam attach: %s\n", sd.Error())
		return nil
	}
	if err == nil && ctx.Err() != nil {
		fmt.Fprintln(inv.Env.Stderr, "xroam attach: disconnected on request")
	}
	return err
}
