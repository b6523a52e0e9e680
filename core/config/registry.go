package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Kind is the value type of an option.
type Kind int

// The kinds of option values.
const (
	KindBool Kind = iota
	KindInt
	KindFloat
	KindString
	KindList
)

func (k Kind) String() string {
	switch k {
	case KindBool:
		return "bool"
	case KindInt:
		return "number"
	case KindFloat:
		return "number"
	case KindString:
		return "string"
	case KindList:
		return "list of strings"
	}
	return "unknown"
}

// ctyType is the HCL type a file's value is converted to.
func (k Kind) ctyType() cty.Type {
	switch k {
	case KindBool:
		return cty.Bool
	case KindInt, KindFloat:
		return cty.Number
	case KindList:
		return cty.List(cty.String)
	}
	return cty.String
}

// Option describes one configuration option. It is derived from the struct
// tags of Config.
type Option struct {
	Name   string
	Short  string
	Group  string
	Help   string
	Meta   string
	Enum   []string
	Secret bool
	// CSV lists take comma-separated values on the command line, as
	// xpra's --encodings does.
	CSV   bool
	Kind  Kind
	index []int
}

// Repeatable reports whether the option may be given several times on the
// command line, each occurrence adding a value.
func (o *Option) Repeatable() bool { return o.Kind == KindList }

// Options lists every option of Config in declaration order.
func Options() []*Option {
	t := reflect.TypeFor[Config]()
	opts := make([]*Option, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("opt")
		if name == "" || name == "-" {
			continue
		}
		o := &Option{
			Name:   name,
			Short:  f.Tag.Get("short"),
			Group:  f.Tag.Get("group"),
			Help:   f.Tag.Get("help"),
			Meta:   f.Tag.Get("meta"),
			Secret: f.Tag.Get("secret") == "true",
			CSV:    f.Tag.Get("csv") == "true",
			index:  f.Index,
		}
		if e := f.Tag.Get("enum"); e != "" {
			o.Enum = strings.Split(e, "|")
		}
		switch f.Type.Kind() {
		case reflect.Bool:
			o.Kind = KindBool
		case reflect.Int:
			o.Kind = KindInt
		case reflect.Float64:
			o.Kind = KindFloat
		case reflect.String:
			o.Kind = KindString
		case reflect.Slice:
			o.Kind = KindList
		default:
			// A field of another type is a programming error caught by
			// TestOptionsWellFormed; it is skipped rather than panicking.
			continue
		}
		opts = append(opts, o)
	}
	return opts
}

// Lookup finds an option by name.
func Lookup(opts []*Option, name string) *Option {
	for _, o := range opts {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// Names returns the names of the options, for suggestions.
func Names(opts []*Option) []string {
	names := make([]string, len(opts))
	for i, o := range opts {
		names[i] = o.Name
	}
	return names
}

func (o *Option) field(c *Config) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByIndex(o.index)
}

// Get returns the option's value in c as a Go value: bool, int, float64,
// string or []string.
func (o *Option) Get(c *Config) any {
	return o.field(c).Interface()
}

// set stores v, which must be of the option's Go type, after checking the
// enum constraint.
func (o *Option) set(c *Config, v any) error {
	if len(o.Enum) > 0 {
		vals := []string{fmt.Sprint(v)}
		if l, ok := v.([]string); ok {
			vals = l
		}
		for _, s := range vals {
			if slices.Contains(o.Enum, s) {
				continue
			}
			msg := fmt.Sprintf("%q is not a valid value for %s; valid values: %s", s, o.Name, strings.Join(o.Enum, ", "))
			if sug := Suggest(s, o.Enum); sug != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", sug)
			}
			return fmt.Errorf("%s", msg)
		}
	}
	o.field(c).Set(reflect.ValueOf(v))
	return nil
}

// parseBool accepts the spellings xpra accepts for booleans.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "yes", "true", "on", "y", "t":
		return true, nil
	case "0", "no", "false", "off", "n", "f":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (use yes or no)", s)
}

// parseString converts a command-line string to the option's Go type. For
// lists it returns a one-element slice; the caller appends.
func (o *Option) parseString(s string) (any, error) {
	switch o.Kind {
	case KindBool:
		return parseBool(s)
	case KindInt:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", s)
		}
		return n, nil
	case KindFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return f, nil
	case KindList:
		if !o.CSV {
			return []string{s}, nil
		}
		var l []string
		for v := range strings.SplitSeq(s, ",") {
			if v = strings.TrimSpace(v); v != "" {
				l = append(l, v)
			}
		}
		return l, nil
	}
	return s, nil
}

// Equal reports whether the option has the same value in a and b.
func (o *Option) Equal(a, b *Config) bool {
	return reflect.DeepEqual(normList(o.Get(a)), normList(o.Get(b)))
}

// normList makes nil and empty lists compare equal.
func normList(v any) any {
	if l, ok := v.([]string); ok && len(l) == 0 {
		return []string(nil)
	}
	return v
}
