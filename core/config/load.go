package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// PluginKinds returns the block types a configuration file may hold, one
// per kind of plugin. Each block has one label, the plugin's name.
func PluginKinds() []string { return []string{"encoder", "auth", "clipboard", "transport"} }

// OriginKind says where a value came from.
type OriginKind int

// Where a value can come from, lowest precedence first.
const (
	FromDefault OriginKind = iota
	FromFile
	FromEnv
	FromFlag
)

// Origin records where an effective value was set.
type Origin struct {
	Kind OriginKind
	// File, Line and Column locate the value for FromFile.
	File         string
	Line, Column int
	// Name is the flag (with its dashes) or the environment variable.
	Name string
}

func (o Origin) String() string {
	switch o.Kind {
	case FromFile:
		return fmt.Sprintf("%s:%d:%d", o.File, o.Line, o.Column)
	case FromEnv:
		return "env " + o.Name
	case FromFlag:
		return "flag " + o.Name
	}
	return "default"
}

func originOf(r hcl.Range) Origin {
	return Origin{Kind: FromFile, File: r.Filename, Line: r.Start.Line, Column: r.Start.Column}
}

// PluginBlock is one plugin's configuration, merged over every file that
// has a block for it. Attribute values are kept as HCL values because only
// the plugin's schema knows their types.
type PluginBlock struct {
	Kind  string
	Name  string
	Attrs map[string]PluginAttr
	// Origin is where the block was first declared.
	Origin Origin
}

// PluginAttr is one attribute of a plugin block.
type PluginAttr struct {
	Value  cty.Value
	Origin Origin
}

// AttrNames returns the block's attribute names in sorted order.
func (b *PluginBlock) AttrNames() []string {
	names := make([]string, 0, len(b.Attrs))
	for n := range b.Attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Effective is a configuration together with where each value came from.
type Effective struct {
	Config Config
	// Origins has an entry for every option that is not at its default.
	Origins map[string]Origin
	// Files lists the configuration files read, in the order applied.
	Files []string
	// Sources holds the text of each file read, for diagnostics.
	Sources map[string][]byte
}

// New returns the defaults, with no file loaded.
func New() *Effective {
	return &Effective{Config: Defaults(), Origins: map[string]Origin{}, Sources: map[string][]byte{}}
}

// Origin returns where the named option's value came from.
func (e *Effective) Origin(name string) Origin {
	if o, ok := e.Origins[name]; ok {
		return o
	}
	return Origin{Kind: FromDefault}
}

// Plugin returns the block for kind and name, or nil.
func (e *Effective) Plugin(kind, name string) *PluginBlock {
	for i := range e.Config.Plugins {
		if p := &e.Config.Plugins[i]; p.Kind == kind && p.Name == name {
			return p
		}
	}
	return nil
}

// ConfigFiles lists the *.hcl files of dir in lexical order. A missing
// directory has no files; other errors are returned. Files with other
// suffixes (editor backups, dpkg's .dpkg-dist copies) are ignored.
func ConfigFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading configuration directory: %w", err)
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".hcl") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		files = append(files, filepath.Join(dir, e.Name()))
	}
	return files, nil
}

// LoadDirs applies the *.hcl files of each directory in turn: a later file
// overrides the values of an earlier one. All problems are gathered.
func (e *Effective) LoadDirs(dirs ...string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, d := range dirs {
		if d == "" {
			continue
		}
		files, err := ConfigFiles(d)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unreadable configuration directory", Detail: err.Error()})
			continue
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unreadable configuration file", Detail: err.Error()})
				continue
			}
			diags = append(diags, e.LoadSource(f, src)...)
		}
	}
	return diags
}

func fileSchema(opts []*Option) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, o := range opts {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: o.Name})
	}
	for _, k := range PluginKinds() {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: k, LabelNames: []string{"name"}})
	}
	return s
}

// LoadSource applies one file's text. filename is used for origins and
// diagnostics.
func (e *Effective) LoadSource(filename string, src []byte) hcl.Diagnostics {
	e.Files = append(e.Files, filename)
	e.Sources[filename] = src
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return diags
	}
	opts := Options()
	content, cdiags := f.Body.Content(fileSchema(opts))
	// hcl reports unknown keys in map order: sort them so that the same
	// file always gives the same report, top to bottom.
	sort.SliceStable(cdiags, func(i, j int) bool { return diagPos(cdiags[i]) < diagPos(cdiags[j]) })
	diags = append(diags, cdiags...)
	if content == nil {
		return diags
	}
	// Apply in source order so that diagnostics read top to bottom.
	attrs := make([]*hcl.Attribute, 0, len(content.Attributes))
	for _, a := range content.Attributes {
		attrs = append(attrs, a)
	}
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].Range.Start.Byte < attrs[j].Range.Start.Byte })
	for _, a := range attrs {
		o := Lookup(opts, a.Name)
		v, err := fromExpr(o, a.Expr)
		if err != nil {
			diags = append(diags, err...)
			continue
		}
		if serr := o.set(&e.Config, v); serr != nil {
			r := a.Expr.Range()
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + o.Name, Detail: serr.Error() + ".", Subject: &r})
			continue
		}
		e.Origins[o.Name] = originOf(a.NameRange)
	}
	for _, b := range content.Blocks {
		bd := e.mergePluginBlock(b)
		sort.SliceStable(bd, func(i, j int) bool { return diagPos(bd[i]) < diagPos(bd[j]) })
		diags = append(diags, bd...)
	}
	return diags
}

func diagPos(d *hcl.Diagnostic) int {
	if d.Subject == nil {
		return -1
	}
	return d.Subject.Start.Byte
}

// fromExpr evaluates a file's expression and converts it to the option's Go
// type. No variables or functions are available: configuration is data.
func fromExpr(o *Option, expr hcl.Expression) (any, hcl.Diagnostics) {
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		return nil, diags
	}
	r := expr.Range()
	bad := func(detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Incorrect value type", Detail: fmt.Sprintf("Option %q wants a %s: %s.", o.Name, o.Kind, detail), Subject: &r}}
	}
	if val.IsNull() {
		return nil, bad("null is not allowed")
	}
	if o.Kind == KindList && val.Type() == cty.String {
		val = cty.ListVal([]cty.Value{val})
	}
	if o.Kind == KindList && (val.Type().IsTupleType() || val.Type().IsListType()) && val.LengthInt() == 0 {
		return []string{}, nil
	}
	cv, err := convert.Convert(val, o.Kind.ctyType())
	if err != nil {
		return nil, bad(err.Error())
	}
	switch o.Kind {
	case KindBool:
		return cv.True(), nil
	case KindInt:
		bf := cv.AsBigFloat()
		if !bf.IsInt() {
			return nil, bad("the value must be a whole number")
		}
		i, acc := bf.Int64()
		if acc != big.Exact || i != int64(int(i)) {
			return nil, bad("the value is out of range")
		}
		return int(i), nil
	case KindFloat:
		f, _ := cv.AsBigFloat().Float64()
		return f, nil
	case KindList:
		out := make([]string, 0, cv.LengthInt())
		for _, ev := range cv.AsValueSlice() {
			if ev.IsNull() {
				return nil, bad("a list element is null")
			}
			out = append(out, ev.AsString())
		}
		return out, nil
	}
	return cv.AsString(), nil
}

func (e *Effective) mergePluginBlock(b *hcl.Block) hcl.Diagnostics {
	attrs, diags := b.Body.JustAttributes()
	name := b.Labels[0]
	blk := e.Plugin(b.Type, name)
	if blk == nil {
		e.Config.Plugins = append(e.Config.Plugins, PluginBlock{Kind: b.Type, Name: name, Attrs: map[string]PluginAttr{}, Origin: originOf(b.DefRange)})
		blk = &e.Config.Plugins[len(e.Config.Plugins)-1]
	}
	for n, a := range attrs {
		v, vd := a.Expr.Value(nil)
		diags = append(diags, vd...)
		if vd.HasErrors() {
			continue
		}
		blk.Attrs[n] = PluginAttr{Value: v, Origin: originOf(a.NameRange)}
	}
	return diags
}

// Setting is one option given outside the files: a command-line flag or an
// environment variable.
type Setting struct {
	Option *Option
	// Value is the raw text; for a list option each Setting adds one item.
	Value  string
	Origin Origin
}

// Apply applies settings in order. For a list option, the first setting
// from a given kind of origin replaces the value from lower layers and the
// following ones append, so `--start=a --start=b` yields [a b] whatever
// the files said. All errors are returned together.
func (e *Effective) Apply(settings []Setting) error {
	var errs []error
	replaced := map[string]OriginKind{}
	for _, s := range settings {
		o := s.Option
		v, err := o.parseString(s.Value)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Origin, err))
			continue
		}
		if o.Kind == KindList {
			cur := o.Get(&e.Config).([]string)
			if k, ok := replaced[o.Name]; !ok || k != s.Origin.Kind {
				cur = nil
				replaced[o.Name] = s.Origin.Kind
			}
			// An empty value clears the list: `--start=` removes the
			// commands the files configured.
			if s.Value == "" {
				v = slices.Clone(cur)
			} else {
				v = append(slices.Clone(cur), v.([]string)...)
			}
			if v.([]string) == nil {
				v = []string{}
			}
		}
		if err := o.set(&e.Config, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Origin, err))
			continue
		}
		e.Origins[o.Name] = s.Origin
	}
	return errors.Join(errs...)
}

// EnvSettings returns the settings that environment variables make, as
// xpra's XPRA_SOCKET_DIR does for the socket directory.
func EnvSettings(getenv func(string) string) []Setting {
	opts := Options()
	var out []Setting
	for _, m := range []struct{ env, opt string }{
		{"XROAM_SOCKET_DIR", "socket-dir"},
	} {
		if v := getenv(m.env); v != "" {
			out = append(out, Setting{Option: Lookup(opts, m.opt), Value: v, Origin: Origin{Kind: FromEnv, Name: m.env}})
		}
	}
	return out
}
