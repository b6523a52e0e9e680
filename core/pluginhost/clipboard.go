package pluginhost

import (
	"context"
	"time"

	"github.com/xroam/xroam/sdk/clipboard"
	"github.com/xroam/xroam/sdk/plugin"
)

// Clipboard starts (or builds in-process) the clipboard backend of the
// spec; sp.Options usually carries the display. A backend run as a
// subprocess is restarted after a crash like any plugin; its Watch
// stream follows it across restarts.
func (h *Host) Clipboard(ctx context.Context, sp Spec) (clipboard.Backend, error) {
	sp.Kind = plugin.KindClipboard
	v, err := h.open(ctx, sp)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case clipboard.Backend:
		return x, nil
	case *remote:
		return &remoteClipboard{r: x}, nil
	}
	return nil, ErrNotFound
}

// remoteClipboard is a clipboard plugin subprocess behind
// clipboard.Backend.
type remoteClipboard struct{ r *remote }

func (c *remoteClipboard) client() (clipboard.Backend, error) {
	v, err := c.r.get()
	if err != nil {
		return nil, err
	}
	return v.(clipboard.Backend), nil
}

// Watch re-subscribes after the plugin restarts, so that the caller's
// channel lives as long as ctx (or the host).
func (c *remoteClipboard) Watch(ctx context.Context) (<-chan clipboard.Event, error) {
	b, err := c.client()
	if err != nil {
		return nil, err
	}
	first, err := b.Watch(ctx)
	if err != nil {
		c.r.failed(err)
		return nil, err
	}
	out := make(chan clipboard.Event, 64)
	go func() {
		defer close(out)
		evs := first
		for {
			for ev := range evs {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
			// The stream ended: the plugin went away, or is going.
			c.r.failed(ErrUnavailable)
			for {
				if ctx.Err() != nil || c.r.h.ctx.Err() != nil {
					return
				}
				t := time.NewTimer(100 * time.Millisecond)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-c.r.h.ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
				b, err := c.client()
				if err != nil {
					continue
				}
				if evs, err = b.Watch(ctx); err == nil {
					break
				}
			}
		}
	}()
	return out, nil
}

func (c *remoteClipboard) Claim(ctx context.Context, req *clipboard.ClaimRequest) error {
	b, err := c.client()
	if err != nil {
		return err
	}
	if err := b.Claim(ctx, req); err != nil {
		c.r.failed(err)
		return err
	}
	return nil
}

func (c *remoteClipboard) Release(ctx context.Context, selection string) error {
	b, err := c.client()
	if err != nil {
		return err
	}
	if err := b.Release(ctx, selection); err != nil {
		c.r.failed(err)
		return err
	}
	return nil
}

func (c *remoteClipboard) Read(ctx context.Context, req *clipboard.ReadRequest) (*clipboard.Data, error) {
	b, err := c.client()
	if err != nil {
		return nil, err
	}
	d, err := b.Read(ctx, req)
	if err != nil {
		c.r.failed(err)
	}
	return d, err
}

func (c *remoteClipboard) Answer(ctx context.Context, req *clipboard.AnswerRequest) error {
	b, err := c.client()
	if err != nil {
		return err
	}
	if err := b.Answer(ctx, req); err != nil {
		c.r.failed(err)
		return err
	}
	return nil
}
