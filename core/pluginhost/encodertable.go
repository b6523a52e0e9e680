package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/sdk/plugin"
)

// EncoderTable says which encoder plugin serves each xpra encoding. It is
// built from the plugins' descriptions, so an encoder plugin that lists a
// new encoding is used with no change to the core.
type EncoderTable struct {
	serves map[string]string // encoding -> plugin
	why    map[string]error  // encoding -> why no plugin listing it can serve it
}

// NewEncoderTable builds the table from an inventory. Each enabled encoder
// serves the encodings its entry lists. When several list one encoding,
// the plugin named after it (after its part before "/", so that png serves
// png/P) wins, and otherwise the first in name order; `enabled = false`
// on the others chooses. An encoding listed only by disabled or
// unavailable plugins keeps their reasons.
func NewEncoderTable(entries []Entry) *EncoderTable {
	t := &EncoderTable{serves: map[string]string{}, why: map[string]error{}}
	claims := map[string][]Entry{}
	for _, e := range entries {
		if e.Kind != plugin.KindEncoder {
			continue
		}
		for _, enc := range e.Encodings {
			claims[enc] = append(claims[enc], e)
		}
	}
	for enc, es := range claims {
		base, _, _ := strings.Cut(enc, "/")
		slices.SortStableFunc(es, func(a, b Entry) int {
			if (a.Name == base) != (b.Name == base) {
				if a.Name == base {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Name, b.Name)
		})
		var errs []error
		for _, e := range es {
			if e.State == StateEnabled {
				t.serves[enc] = e.Name
				break
			}
			errs = append(errs, fmt.Errorf("encoder %q is %s (%s)", e.Name, e.State, e.Why))
		}
		if _, ok := t.serves[enc]; !ok {
			t.why[enc] = errors.Join(errs...)
		}
	}
	return t
}

// Plugin names the encoder plugin that serves encoding, or says why none
// can.
func (t *EncoderTable) Plugin(encoding string) (string, error) {
	if t != nil {
		if p, ok := t.serves[encoding]; ok {
			return p, nil
		}
		if err := t.why[encoding]; err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("%w: no encoder plugin lists %s", ErrNotFound, encoding)
}

// Encodings lists every encoding some encoder plugin lists, served or
// not, in name order.
func (t *EncoderTable) Encodings() []string {
	if t == nil {
		return nil
	}
	out := slices.AppendSeq(slices.Collect(maps.Keys(t.serves)), maps.Keys(t.why))
	slices.Sort(out)
	return out
}

// EncoderTable builds the table from the host's built-ins and the encoder
// binaries in its directories, which it asks to describe themselves; it
// starts nothing. eff's `enabled = false` blocks disable plugins.
func (h *Host) EncoderTable(ctx context.Context, eff *config.Effective) *EncoderTable {
	entries := inventory(ctx, h.opts.Dirs, h.opts.Builtins, eff, h.opts.APIVersions, plugin.KindEncoder)
	return NewEncoderTable(entries)
}
