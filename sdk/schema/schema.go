package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Type is the type of an attribute's value.
type Type string

// The types an attribute may have.
const (
	String   Type = "string"
	Int      Type = "int"
	Number   Type = "number"
	Bool     Type = "bool"
	Strings  Type = "list(string)"
	Duration Type = "duration" // a string time.ParseDuration accepts
)

// Attr is one configuration attribute.
type Attr struct {
	Name     string `json:"name"`
	Type     Type   `json:"type"`
	Default  any    `json:"default,omitempty"`
	Required bool   `json:"required,omitempty"`
	Help     string `json:"help,omitempty"`
	// Secret values are not shown by showconfig.
	Secret bool `json:"secret,omitempty"`
	// PassEnv marks an attribute whose value names an environment
	// variable of the server that the plugin may read: the host copies
	// that one variable into the plugin's otherwise minimal environment.
	PassEnv bool `json:"pass_env,omitempty"`
}

// Schema is the set of attributes a plugin accepts.
type Schema struct {
	Attrs []Attr `json:"attrs"`
}

// Lookup returns the named attribute, or nil.
func (s Schema) Lookup(name string) *Attr {
	for i := range s.Attrs {
		if s.Attrs[i].Name == name {
			return &s.Attrs[i]
		}
	}
	return nil
}

// Names returns the attribute names in sorted order.
func (s Schema) Names() []string {
	out := make([]string, 0, len(s.Attrs))
	for _, a := range s.Attrs {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	return out
}

// FieldError is a problem with one attribute. Name is empty for a problem
// with the whole block (a missing required attribute names it in Msg).
type FieldError struct {
	Name string
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Name == "" {
		return e.Msg
	}
	return fmt.Sprintf("attribute %q: %s", e.Name, e.Msg)
}

// Values are validated configuration values: string, int64, float64,
// bool or []string, by the attribute's type (a duration is kept as its
// string).
type Values map[string]any

// Check validates in against the schema and returns the values with
// defaults applied. Every problem is reported, each as a *FieldError.
// Values may come from JSON (numbers as float64, lists as []any).
func (s Schema) Check(in map[string]any) (Values, error) {
	out := Values{}
	var errs []error
	names := make([]string, 0, len(in))
	for n := range in {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := s.Lookup(n)
		if a == nil {
			errs = append(errs, &FieldError{Name: n, Msg: fmt.Sprintf("unknown attribute (known: %s)", strings.Join(s.Names(), ", "))})
			continue
		}
		v, err := a.Type.Coerce(in[n])
		if err != nil {
			errs = append(errs, &FieldError{Name: n, Msg: err.Error()})
			continue
		}
		out[n] = v
	}
	for _, a := range s.Attrs {
		if _, ok := out[a.Name]; ok {
			continue
		}
		if _, bad := in[a.Name]; bad {
			continue
		}
		if a.Required {
			errs = append(errs, &FieldError{Msg: fmt.Sprintf("missing required attribute %q", a.Name)})
			continue
		}
		if a.Default != nil {
			v, err := a.Type.Coerce(a.Default)
			if err != nil {
				errs = append(errs, &FieldError{Name: a.Name, Msg: "bad default: " + err.Error()})
				continue
			}
			out[a.Name] = v
		}
	}
	return out, errors.Join(errs...)
}

// Coerce converts v to the type's Go representation, or says why not.
func (t Type) Coerce(v any) (any, error) {
	switch t {
	case String:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case Duration:
		if s, ok := v.(string); ok {
			if _, err := time.ParseDuration(s); err != nil {
				return nil, fmt.Errorf("want a duration such as \"5s\": %w", err)
			}
			return s, nil
		}
	case Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case Int:
		switch n := v.(type) {
		case int:
			return int64(n), nil
		case int64:
			return n, nil
		case float64:
			if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
				return int64(n), nil
			}
			return nil, fmt.Errorf("want a whole number, got %v", n)
		case json.Number:
			i, err := n.Int64()
			if err != nil {
				return nil, fmt.Errorf("want a whole number, got %s", n)
			}
			return i, nil
		}
	case Number:
		switch n := v.(type) {
		case int:
			return float64(n), nil
		case int64:
			return float64(n), nil
		case float64:
			return n, nil
		}
	case Strings:
		switch l := v.(type) {
		case []string:
			return append([]string{}, l...), nil
		case string:
			return []string{l}, nil
		case []any:
			out := make([]string, 0, len(l))
			for _, e := range l {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("want a list of strings, got an element of type %s", typeName(e))
				}
				out = append(out, s)
			}
			return out, nil
		}
	default:
		return nil, fmt.Errorf("unknown schema type %q", t)
	}
	return nil, fmt.Errorf("want a %s, got %s", t, typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case int, int64, float64, json.Number:
		return "number"
	case []any, []string:
		return "list"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// FromStrings converts options given as text (the `module:key=value`
// form of --auth) to typed values, before Check. A list attribute takes
// every value of a repeated key, each split at ':' as xpra's peercred
// lists are; other attributes take the last value.
func (s Schema) FromStrings(opts map[string][]string) (map[string]any, error) {
	out := map[string]any{}
	var errs []error
	for name, vals := range opts {
		a := s.Lookup(name)
		if a == nil || len(vals) == 0 {
			// Left for Check to report with the known names.
			out[name] = strings.Join(vals, ",")
			continue
		}
		last := vals[len(vals)-1]
		switch a.Type {
		case Strings:
			var l []string
			for _, v := range vals {
				for _, p := range strings.Split(v, ":") {
					if p != "" {
						l = append(l, p)
					}
				}
			}
			if l == nil {
				l = []string{}
			}
			out[name] = l
		case Bool:
			b, err := strconv.ParseBool(last)
			if err != nil {
				switch strings.ToLower(last) {
				case "yes", "on":
					b, err = true, nil
				case "no", "off":
					b, err = false, nil
				}
			}
			if err != nil {
				errs = append(errs, &FieldError{Name: name, Msg: fmt.Sprintf("want a bool, got %q", last)})
				continue
			}
			out[name] = b
		case Int:
			i, err := strconv.ParseInt(last, 0, 64)
			if err != nil {
				errs = append(errs, &FieldError{Name: name, Msg: fmt.Sprintf("want a whole number, got %q", last)})
				continue
			}
			out[name] = i
		case Number:
			f, err := strconv.ParseFloat(last, 64)
			if err != nil {
				errs = append(errs, &FieldError{Name: name, Msg: fmt.Sprintf("want a number, got %q", last)})
				continue
			}
			out[name] = f
		default:
			out[name] = last
		}
	}
	return out, errors.Join(errs...)
}

// String returns a string attribute ("" when unset).
func (v Values) String(name string) string {
	s, _ := v[name].(string)
	return s
}

// Int returns an int attribute (0 when unset).
func (v Values) Int(name string) int64 {
	i, _ := v[name].(int64)
	return i
}

// Float returns a number attribute (0 when unset).
func (v Values) Float(name string) float64 {
	f, _ := v[name].(float64)
	return f
}

// Bool returns a bool attribute (false when unset).
func (v Values) Bool(name string) bool {
	b, _ := v[name].(bool)
	return b
}

// Strings returns a list attribute (nil when unset).
func (v Values) Strings(name string) []string {
	l, _ := v[name].([]string)
	return l
}

// Duration returns a duration attribute (0 when unset; Check has already
// made sure it parses).
func (v Values) Duration(name string) time.Duration {
	d, _ := time.ParseDuration(v.String(name))
	return d
}

// Has reports whether the attribute has a value (given or defaulted).
func (v Values) Has(name string) bool {
	_, ok := v[name]
	return ok
}
