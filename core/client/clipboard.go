package client

import (
	"context"
	"io"

	"github.com/xroam/xroam/core/clipsync"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/core/xpra"
	"github.com/xroam/xroam/sdk/clipboard"
)

// ClipboardOpener starts the clipboard backend named name on the local
// display (the attach command opens it through the plugin host).
type ClipboardOpener func(ctx context.Context, name, display string) (clipboard.Backend, error)

// clientClip is the attach client's clipboard: the local backend, opened
// once the server's hello says it takes part, and the protocol state.
type clientClip struct {
	name    string
	sync    *clipsync.Sync
	backend clipboard.Backend
	cancel  context.CancelFunc
}

// setupClipboard reads the clipboard options; a bad one is an error
// before anything connects. It leaves c.clip nil when the clipboard is off.
func (c *client) setupClipboard() error {
	name, on, dir, err := clipsync.Parse(c.cfg.Clipboard, c.cfg.ClipboardDirection, false)
	if err != nil {
		return err
	}
	filters, err := clipsync.LoadFilters(c.cfg.ClipboardFilterFile)
	if err != nil {
		return err
	}
	if !on || c.cfg.OpenClipboard == nil {
		return nil
	}
	c.clip = &clientClip{name: name, sync: clipsync.New(clipsync.Config{
		Send: c.w.WritePacket, Direction: dir, Filters: filters, Log: c.log,
		Backend: lazyBackend{c}, Selections: c.cfg.ClipboardSelections, MaxBytes: c.cfg.ClipboardMaxBytes,
	})}
	// Contents travel inline in one packet; the reader is not running yet.
	c.r.SetMaxPacketSize(max(c.r.MaxPacketSize(), clipsync.PacketLimit(c.cfg.ClipboardMaxBytes)))
	return nil
}

// lazyBackend lets the Sync exist (for the hello) before the backend is
// opened, which waits for the server's answer.
type lazyBackend struct{ c *client }

func (l lazyBackend) get() (clipboard.Backend, error) {
	if l.c.clip == nil || l.c.clip.backend == nil {
		return nil, errNoClipboard
	}
	return l.c.clip.backend, nil
}

func (l lazyBackend) Watch(ctx context.Context) (<-chan clipboard.Event, error) {
	b, err := l.get()
	if err != nil {
		return nil, err
	}
	return b.Watch(ctx)
}

func (l lazyBackend) Claim(ctx context.Context, req *clipboard.ClaimRequest) error {
	b, err := l.get()
	if err != nil {
		return err
	}
	return b.Claim(ctx, req)
}

func (l lazyBackend) Release(ctx context.Context, sel string) error {
	b, err := l.get()
	if err != nil {
		return err
	}
	return b.Release(ctx, sel)
}

func (l lazyBackend) Read(ctx context.Context, req *clipboard.ReadRequest) (*clipboard.Data, error) {
	b, err := l.get()
	if err != nil {
		return nil, err
	}
	return b.Read(ctx, req)
}

func (l lazyBackend) Answer(ctx context.Context, req *clipboard.AnswerRequest) error {
	b, err := l.get()
	if err != nil {
		return err
	}
	return b.Answer(ctx, req)
}

type clipError string

func (e clipError) Error() string { return string(e) }

const errNoClipboard = clipError("the clipboard backend is not open")

// clipboardCaps adds the clipboard keys to the hello.
func (c *client) clipboardCaps(h wire.Dict) {
	if c.clip == nil {
		h["clipboard"] = false
		return
	}
	for k, v := range c.clip.sync.Caps() {
		h[k] = v
	}
}

// startClipboard opens the local backend once the server said it takes
// part, and tells the server which selections to synchronise.
func (c *client) startClipboard() {
	cl := c.clip
	if cl == nil || cl.backend != nil {
		return
	}
	cl.sync.SetPeer(c.server)
	if !cl.sync.Enabled() {
		c.log.Info("attach: the server has no clipboard")
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := c.cfg.OpenClipboard(ctx, cl.name, c.cfg.Display)
	if err != nil {
		cancel()
		c.log.Warn("attach: no clipboard: its backend did not start", "backend", cl.name, "err", err)
		return
	}
	evs, err := b.Watch(ctx)
	if err != nil {
		cancel()
		c.log.Warn("attach: no clipboard: its backend sends no events", "backend", cl.name, "err", err)
		return
	}
	cl.backend, cl.cancel = b, cancel
	go func() {
		for ev := range evs {
			cl.sync.HandleEvent(ev)
		}
	}()
	cl.sync.Start()
	c.log.Info("attach: clipboard ready", "backend", cl.name, "direction", cl.sync.Direction().XpraName(false))
}

// clipboardPacket handles a clipboard packet; false when p is not one.
func (c *client) clipboardPacket(p wire.Packet) bool {
	if sc, err := xpra.ParseSettingChange(p); err == nil && sc.Setting == xpra.SettingClipboardDirection && c.clip != nil {
		name, _ := wire.AsString(sc.Value)
		if d, err := clipsync.ParseDirection(name, false); err == nil {
			c.clip.sync.SetDirection(d)
		}
		return true
	}
	if !xpra.IsClipboardPacket(p.Type()) {
		return false
	}
	if c.clip != nil && c.clip.backend != nil {
		c.clip.sync.Handle(p)
	}
	return true
}

// stopClipboard ends the clipboard with the connection.
func (c *client) stopClipboard() {
	cl := c.clip
	if cl == nil {
		return
	}
	cl.sync.Close()
	if cl.cancel != nil {
		cl.cancel()
	}
	if cl.backend != nil {
		if cb, ok := cl.backend.(io.Closer); ok {
			_ = cb.Close()
		}
	}
}
