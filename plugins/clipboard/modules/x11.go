package modules

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/xroam/xroam/core/x11/selection"
	"github.com/xroam/xroam/sdk/clipboard"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// Version is the version of the backends in this package.
const Version = "0.1.0"

// DefaultMaxSize bounds one clipboard transfer unless configured.
const DefaultMaxSize = 64 << 20

// X11Schema is the configuration of the x11 backend.
func X11Schema() schema.Schema {
	return schema.Schema{Attrs: []schema.Attr{
		{Name: "display", Type: schema.String, Required: true, Help: "X display whose selections to keep (\":N\")"},
		{Name: "selections", Type: schema.Strings, Default: []string{"CLIPBOARD", "PRIMARY"}, Help: "selections to synchronise (CLIPBOARD, PRIMARY, SECONDARY)"},
		{Name: "max_size", Type: schema.Int, Default: int64(DefaultMaxSize), Help: "largest transfer in bytes"},
		{Name: "timeout", Type: schema.Duration, Default: "5s", Help: "wait for a local application before giving up"},
		{Name: "xauthority_env", Type: schema.String, Default: "XAUTHORITY", PassEnv: true, Help: "environment variable naming the X authority file"},
	}}
}

// X11 is the X11 selections backend.
func X11() plugin.Clipboard {
	return plugin.Clipboard{Name: "x11", Version: Version, Schema: X11Schema(),
		New: func(ctx context.Context, cfg schema.Values) (clipboard.Backend, error) {
			to := cfg.Duration("timeout")
			if to <= 0 {
				return nil, fmt.Errorf("timeout %q: want a positive duration", cfg.String("timeout"))
			}
			maxSize := cfg.Int("max_size")
			if maxSize <= 0 {
				return nil, fmt.Errorf("max_size %d: want a positive size", maxSize)
			}
			sels := cfg.Strings("selections")
			for _, s := range sels {
				if s != "CLIPBOARD" && s != "PRIMARY" && s != "SECONDARY" {
					return nil, fmt.Errorf("selection %q: want CLIPBOARD, PRIMARY or SECONDARY", s)
				}
			}
			// The backend outlives the Configure call that makes it.
			sel, err := selection.Open(context.WithoutCancel(ctx), cfg.String("display"),
				selection.Config{Selections: sels, MaxBytes: int(maxSize), Timeout: to})
			if err != nil {
				return nil, err
			}
			b := &x11Backend{sel: sel}
			go b.forward()
			return b, nil
		}}
}

type x11Backend struct {
	sel *selection.Conn

	mu  sync.Mutex
	sub chan clipboard.Event
	gen int
}

// forward hands the display's events to the current subscriber.
func (b *x11Backend) forward() {
	for ev := range b.sel.Events() {
		out := clipboard.Event{Selection: ev.Selection, Target: ev.Target, ID: ev.ID}
		switch ev.Kind {
		case selection.OwnerChanged:
			out.Kind = clipboard.OwnerChanged
		case selection.Wanted:
			out.Kind = clipboard.Wanted
		}
		b.mu.Lock()
		sent := false
		if b.sub != nil {
			select {
			case b.sub <- out:
				sent = true
			default:
			}
		}
		b.mu.Unlock()
		if !sent && ev.Kind == selection.Wanted {
			_ = b.sel.Answer(ev.ID, nil)
		}
	}
	b.mu.Lock()
	if b.sub != nil {
		close(b.sub)
		b.sub = nil
	}
	b.mu.Unlock()
}

func (b *x11Backend) Watch(ctx context.Context) (<-chan clipboard.Event, error) {
	select {
	case <-b.sel.Done():
		return nil, selection.ErrClosed
	default:
	}
	ch := make(chan clipboard.Event, 64)
	b.mu.Lock()
	if b.sub != nil {
		// One subscriber: a new Watch (the host after a reconnect)
		// replaces the old one.
		close(b.sub)
	}
	b.sub = ch
	b.gen++
	gen := b.gen
	b.mu.Unlock()
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		if b.gen == gen && b.sub != nil {
			close(b.sub)
			b.sub = nil
		}
		b.mu.Unlock()
	})
	return ch, nil
}

func (b *x11Backend) Claim(_ context.Context, req *clipboard.ClaimRequest) error {
	return b.sel.Claim(req.Selection, req.Targets)
}

func (b *x11Backend) Release(_ context.Context, selection string) error {
	return b.sel.Release(selection)
}

func (b *x11Backend) Read(ctx context.Context, req *clipboard.ReadRequest) (*clipboard.Data, error) {
	d, err := b.sel.Read(ctx, req.Selection, req.Target)
	if err != nil {
		return nil, err
	}
	return &clipboard.Data{Type: d.Type, Format: d.Format, Bytes: d.Data, Targets: d.Atoms}, nil
}

func (b *x11Backend) Answer(_ context.Context, req *clipboard.AnswerRequest) error {
	if req.Data == nil {
		return b.sel.Answer(req.ID, nil)
	}
	d := req.Data
	if d.Type == "" {
		return errors.New("answer: data without a type")
	}
	return b.sel.Answer(req.ID, &selection.Data{Type: d.Type, Format: d.Format, Data: d.Bytes, Atoms: d.Targets})
}

// Close ends the backend's X connection (for an in-process backend; a
// plugin process ends with it).
func (b *x11Backend) Close() error {
	b.sel.Close()
	return nil
}
