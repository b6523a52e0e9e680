package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Redacted replaces secret values in showconfig's output.
const Redacted = "<redacted>"

// ShowOptions selects what showconfig prints.
type ShowOptions struct {
	// All includes options still at their defaults.
	All bool
	// Names restricts the listing to these options (shown even when at
	// their defaults); empty means every option.
	Names []string
	// Format is "text", "hcl" or "json".
	Format string
}

// Formats lists the showconfig output formats.
func Formats() []string { return []string{"text", "hcl", "json"} }

// secretOption matches the secret options of an auth module spec.
var secretOption = regexp.MustCompile(`(?i)((?:^|[:,])(?:value|password|passwd|secret|token)=)[^,]*`)

// RedactSpec hides the secret parts of an auth module spec such as
// "password:value=hunter2": showconfig prints and the server logs specs
// only through it.
func RedactSpec(s string) string {
	return secretOption.ReplaceAllString(s, "${1}"+Redacted)
}

// secretAttr reports whether a plugin block attribute holds a secret.
func secretAttr(kind, name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "passwd", "secret", "token", "private"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return kind == "auth" && n == "value"
}

// shownValue is an option's value as showconfig prints it, secrets hidden.
// The bool says whether anything was hidden.
func shownValue(o *Option, c *Config) (any, bool) {
	v := o.Get(c)
	if o.Secret {
		if s, ok := v.(string); ok && s == "" {
			return v, false
		}
		return Redacted, true
	}
	if l, ok := v.([]string); ok && o.Group == "auth" {
		out := make([]string, len(l))
		changed := false
		for i, s := range l {
			out[i] = RedactSpec(s)
			changed = changed || out[i] != s
		}
		return out, changed
	}
	return v, false
}

func toCty(v any) cty.Value {
	switch x := v.(type) {
	case bool:
		return cty.BoolVal(x)
	case int:
		return cty.NumberIntVal(int64(x))
	case float64:
		return cty.NumberFloatVal(x)
	case string:
		return cty.StringVal(x)
	case []string:
		if len(x) == 0 {
			return cty.ListValEmpty(cty.String)
		}
		vals := make([]cty.Value, len(x))
		for i, s := range x {
			vals[i] = cty.StringVal(s)
		}
		return cty.ListVal(vals)
	}
	return cty.NullVal(cty.DynamicPseudoType)
}

func hclLiteral(v cty.Value) string {
	return strings.TrimSpace(string(hclwrite.TokensForValue(v).Bytes()))
}

// selected returns the options to show, or an error naming an unknown one.
func (e *Effective) selected(so ShowOptions) ([]*Option, error) {
	opts := Options()
	// Alphabetical, as xpra lists them, so that an option is easy to find.
	sort.Slice(opts, func(i, j int) bool { return opts[i].Name < opts[j].Name })
	if len(so.Names) == 0 {
		var out []*Option
		for _, o := range opts {
			if so.All || e.Origin(o.Name).Kind != FromDefault {
				out = append(out, o)
			}
		}
		return out, nil
	}
	var out []*Option
	var unknown []string
	for _, n := range so.Names {
		o := Lookup(opts, n)
		if o == nil {
			msg := fmt.Sprintf("unknown option %q", n)
			if s := Suggest(n, Names(opts)); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			unknown = append(unknown, msg)
			continue
		}
		out = append(out, o)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(unknown, "; "))
	}
	return out, nil
}

// Show writes the configuration in the chosen format.
func (e *Effective) Show(w io.Writer, so ShowOptions) error {
	opts, err := e.selected(so)
	if err != nil {
		return err
	}
	plugins := len(so.Names) == 0
	switch so.Format {
	case "", "text":
		return e.showText(w, opts, plugins)
	case "hcl":
		return e.showHCL(w, opts, plugins)
	case "json":
		return e.showJSON(w, opts, plugins)
	}
	msg := fmt.Sprintf("unknown format %q (use text, hcl or json)", so.Format)
	if s := Suggest(so.Format, Formats()); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return fmt.Errorf("%s", msg)
}

func (e *Effective) showText(w io.Writer, opts []*Option, plugins bool) error {
	var b bytes.Buffer
	width := 0
	for _, o := range opts {
		width = max(width, len(o.Name))
	}
	for _, o := range opts {
		v, _ := shownValue(o, &e.Config)
		lit := hclLiteral(toCty(v))
		fmt.Fprintf(&b, "%-*s = %s", width, o.Name, lit)
		fmt.Fprintf(&b, "  (%s)\n", e.Origin(o.Name))
	}
	if plugins {
		for _, p := range e.Config.Plugins {
			fmt.Fprintf(&b, "%s %q  (%s)\n", p.Kind, p.Name, p.Origin)
			for _, n := range p.AttrNames() {
				a := p.Attrs[n]
				lit := hclLiteral(a.Value)
				if secretAttr(p.Kind, n) {
					lit = hclLiteral(cty.StringVal(Redacted))
				}
				fmt.Fprintf(&b, "  %s = %s  (%s)\n", n, lit, a.Origin)
			}
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// showHCL writes a file that loads back to the same configuration. Secret
// values are left out as comments, so that a redaction marker never
// becomes a real value when the output is used as a configuration file.
func (e *Effective) showHCL(w io.Writer, opts []*Option, plugins bool) error {
	var b bytes.Buffer
	b.WriteString("# xroam configuration, written by `xroam showconfig --format=hcl`\n")
	for _, o := range opts {
		v, hidden := shownValue(o, &e.Config)
		if hidden {
			fmt.Fprintf(&b, "# %s = (secret, not shown)  # %s\n", o.Name, e.Origin(o.Name))
			continue
		}
		fmt.Fprintf(&b, "%s = %s # %s\n", o.Name, hclLiteral(toCty(v)), e.Origin(o.Name))
	}
	if plugins {
		for _, p := range e.Config.Plugins {
			fmt.Fprintf(&b, "\n%s %q { # %s\n", p.Kind, p.Name, p.Origin)
			for _, n := range p.AttrNames() {
				a := p.Attrs[n]
				if secretAttr(p.Kind, n) {
					fmt.Fprintf(&b, "  # %s = (secret, not shown)  # %s\n", n, a.Origin)
					continue
				}
				fmt.Fprintf(&b, "  %s = %s # %s\n", n, hclLiteral(a.Value), a.Origin)
			}
			b.WriteString("}\n")
		}
	}
	_, err := w.Write(hclwrite.Format(b.Bytes()))
	return err
}

type jsonValue struct {
	Value  json.RawMessage `json:"value"`
	Origin string          `json:"origin"`
}

type jsonPlugin struct {
	Kind   string               `json:"kind"`
	Name   string               `json:"name"`
	Origin string               `json:"origin"`
	Attrs  map[string]jsonValue `json:"attrs"`
}

type jsonConfig struct {
	Files   []string             `json:"files"`
	Options map[string]jsonValue `json:"options"`
	Plugins []jsonPlugin         `json:"plugins,omitempty"`
}

func (e *Effective) showJSON(w io.Writer, opts []*Option, plugins bool) error {
	out := jsonConfig{Files: slices.Clone(e.Files), Options: map[string]jsonValue{}}
	if out.Files == nil {
		out.Files = []string{}
	}
	for _, o := range opts {
		v, _ := shownValue(o, &e.Config)
		raw, err := json.Marshal(normList(v))
		if err != nil {
			return fmt.Errorf("encoding %s: %w", o.Name, err)
		}
		out.Options[o.Name] = jsonValue{Value: raw, Origin: e.Origin(o.Name).String()}
	}
	if plugins {
		for _, p := range e.Config.Plugins {
			jp := jsonPlugin{Kind: p.Kind, Name: p.Name, Origin: p.Origin.String(), Attrs: map[string]jsonValue{}}
			for _, n := range p.AttrNames() {
				a := p.Attrs[n]
				val := a.Value
				if secretAttr(p.Kind, n) {
					val = cty.StringVal(Redacted)
				}
				raw, err := ctyjson.Marshal(val, val.Type())
				if err != nil {
					return fmt.Errorf("encoding %s %q %s: %w", p.Kind, p.Name, n, err)
				}
				jp.Attrs[n] = jsonValue{Value: raw, Origin: a.Origin.String()}
			}
			out.Plugins = append(out.Plugins, jp)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
