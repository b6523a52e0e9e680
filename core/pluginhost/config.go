package pluginhost

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/sdk/schema"
)

// Reserved attributes of a plugin block, read by the host and never
// passed to the plugin.
const (
	// AttrSHA256 pins the plugin binary's sha256 (hex).
	AttrSHA256 = "sha256"
	// AttrEnabled = false switches a plugin off for the site.
	AttrEnabled = "enabled"
)

// Disabled reports whether a block switches its plugin off
// (`enabled = false`), and where.
func Disabled(blk *config.PluginBlock) (bool, config.Origin) {
	if blk == nil {
		return false, config.Origin{}
	}
	a, ok := blk.Attrs[AttrEnabled]
	if !ok || a.Value.IsNull() || !a.Value.IsKnown() || a.Value.Type() != cty.Bool {
		return false, config.Origin{}
	}
	return a.Value.False(), a.Origin
}

// AuthSpec is one --auth style option: `module:key=value,key=value`.
type AuthSpec struct {
	Module string
	// Options keeps every value of a repeated key, in order.
	Options map[string][]string
}

// ParseAuthSpec parses xpra's `module[:key=value,key=value...]` form.
// Values may not contain commas; a list value may be repeated
// (uid=1000,uid=1001) or separated by ':' (uid=1000:1001).
func ParseAuthSpec(s string) (AuthSpec, error) {
	s = strings.TrimSpace(s)
	mod, rest, _ := strings.Cut(s, ":")
	if mod == "" {
		return AuthSpec{}, fmt.Errorf("auth %q: no module name", s)
	}
	for _, r := range mod {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return AuthSpec{}, fmt.Errorf("auth %q: bad module name %q", s, mod)
		}
	}
	spec := AuthSpec{Module: mod, Options: map[string][]string{}}
	if rest == "" {
		return spec, nil
	}
	for _, kv := range strings.Split(rest, ",") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return AuthSpec{}, fmt.Errorf("auth %q: option %q is not key=value", s, kv)
		}
		spec.Options[k] = append(spec.Options[k], v)
	}
	return spec, nil
}

// plainValue turns an HCL value into the plain value schema.Check takes.
func plainValue(v cty.Value) (any, error) {
	if v.IsNull() {
		return nil, errors.New("null is not allowed")
	}
	if !v.IsKnown() {
		return nil, errors.New("the value is not known")
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString(), nil
	case t == cty.Bool:
		return v.True(), nil
	case t == cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			i, acc := bf.Int64()
			if acc != big.Exact {
				return nil, errors.New("the number is out of range")
			}
			return i, nil
		}
		f, _ := bf.Float64()
		return f, nil
	case t.IsTupleType() || t.IsListType() || t.IsSetType():
		out := []any{}
		for _, e := range v.AsValueSlice() {
			pe, err := plainValue(e)
			if err != nil {
				return nil, err
			}
			out = append(out, pe)
		}
		return out, nil
	}
	return nil, fmt.Errorf("values of type %s are not supported", t.FriendlyName())
}

// BlockError is a configuration problem located in a file.
type BlockError struct {
	Origin config.Origin
	Kind   string
	Name   string
	Err    error
}

func (e *BlockError) Error() string {
	return fmt.Sprintf("%s: %s %q: %v", e.Origin, e.Kind, e.Name, e.Err)
}

func (e *BlockError) Unwrap() error { return e.Err }

// PluginConfig checks a plugin's configuration against its schema and
// returns the plain values the plugin is handed, with defaults applied.
// The configuration is the plugin's HCL block (nil for none) overlaid with
// text options from an --auth style spec (nil for none). Every problem is
// reported, those from the block with the file:line:col of the attribute.
func PluginConfig(kind, name string, blk *config.PluginBlock, opts map[string][]string, s schema.Schema) (schema.Values, error) {
	in := map[string]any{}
	origins := map[string]config.Origin{}
	blockOrigin := config.Origin{Kind: config.FromDefault}
	var errs []error
	if blk != nil {
		blockOrigin = blk.Origin
		for _, n := range blk.AttrNames() {
			if n == AttrSHA256 || n == AttrEnabled {
				continue
			}
			a := blk.Attrs[n]
			v, err := plainValue(a.Value)
			if err != nil {
				errs = append(errs, &BlockError{Origin: a.Origin, Kind: kind, Name: name, Err: fmt.Errorf("attribute %q: %w", n, err)})
				continue
			}
			in[n] = v
			origins[n] = a.Origin
		}
	}
	if len(opts) > 0 {
		sv, err := s.FromStrings(opts)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q options: %w", kind, name, err))
		}
		for k, v := range sv {
			in[k] = v
			delete(origins, k)
		}
	}
	vals, err := s.Check(in)
	if err != nil {
		for _, e := range unjoin(err) {
			var fe *schema.FieldError
			if errors.As(e, &fe) {
				if o, ok := origins[fe.Name]; ok {
					errs = append(errs, &BlockError{Origin: o, Kind: kind, Name: name, Err: fe})
					continue
				}
				if blk != nil && fe.Name == "" {
					errs = append(errs, &BlockError{Origin: blockOrigin, Kind: kind, Name: name, Err: fe})
					continue
				}
			}
			errs = append(errs, fmt.Errorf("%s %q: %w", kind, name, e))
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return nil, errors.Join(errs...)
	}
	return vals, nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// PinnedSHA256 returns the sha256 pin of a plugin block, if any.
func PinnedSHA256(blk *config.PluginBlock) (string, error) {
	if blk == nil {
		return "", nil
	}
	a, ok := blk.Attrs[AttrSHA256]
	if !ok {
		return "", nil
	}
	if a.Value.IsNull() || a.Value.Type() != cty.String {
		return "", &BlockError{Origin: a.Origin, Kind: blk.Kind, Name: blk.Name, Err: errors.New("sha256 must be a hex string")}
	}
	return a.Value.AsString(), nil
}
