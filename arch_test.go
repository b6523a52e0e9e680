// Package xroam_test holds the rules of the architecture that the compiler
// cannot enforce, as a table (rules) checked against the import graph that
// `go list -deps` reports for both modules: which packages may import or
// reach which, for non-test files and for test files apart. A rule that
// names a package no longer there fails, so that a rename cannot switch it
// off; TestRulesCatchViolations proves every rule reports a violation
// built for it. The same graph shows that every package says what it is
// for, and CONTRIBUTING.md's layout block is checked against core/.
package xroam_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// mod is the main module; the SDK is its own module below it, at mod/sdk.
const mod = "github.com/xroam/xroam"

// scope says which imports of a package a rule looks at.
type scope int

const (
	// direct: the imports of the package's non-test files.
	direct scope = iota
	// transitive: every package its non-test files reach.
	transitive
	// tests: the imports of its _test.go files (internal and external).
	tests
	// testsReach: every package its _test.go files reach.
	testsReach
)

func (s scope) String() string {
	return [...]string{"imports", "reaches", "has tests importing", "has tests reaching"}[s]
}

// rule is one line of the architecture. Patterns are import paths, "x/..."
// for x and everything below it; a path whose first element has no dot is
// in the main module ("core/x11" is mod+"/core/x11").
type rule struct {
	name string
	// pkgs are the packages the rule applies to, less except.
	pkgs, except []string
	// forbid is what those packages must not import in scope, less allow.
	forbid, allow []string
	scope         scope
	why           string
}

// probes are the test helper packages, for _test.go files only.
// TestProbesAreListed keeps the list complete. tests/e2e is one too: the
// end-to-end harness, a package of its own (its tests beside it) so that
// other test programs can import it.
func probes() []string {
	return []string{"core/x11/x11test", "core/tlstest", "sdk/plugintest", "tests/e2e"}
}

func rules() []rule {
	all := mod + "/..."
	noX := []string{"core/x11/...", "github.com/jezek/xgb/..."}
	return []rule{
		{name: "the sdk is its own module", pkgs: []string{"sdk/..."}, forbid: []string{all}, allow: []string{"sdk/..."}, scope: transitive,
			why: "plugin authors build against the sdk module alone; it must not need the core"},
		{name: "the sdk tests are its own", pkgs: []string{"sdk/..."}, forbid: []string{all}, allow: []string{"sdk/..."}, scope: testsReach,
			why: "the sdk's tests run in the sdk module, which has no core to import"},
		{name: "only core/x11 talks X", pkgs: []string{all}, except: []string{"core/x11/..."}, forbid: []string{"github.com/jezek/xgb/..."}, scope: direct,
			why: "the X protocol stays behind core/x11's types, so the rest can be tested and reused without a display"},
		{name: "only core/x11 tests talk X", pkgs: []string{all}, except: []string{"core/x11/..."}, forbid: []string{"github.com/jezek/xgb/..."}, scope: tests,
			why: "tests elsewhere drive X through core/x11 and its probes (core/x11/x11test), not through xgb"},
		{name: "the core imports no plugin", pkgs: []string{"core/..."}, forbid: []string{"plugins/..."}, scope: transitive,
			why: "plugins are handed to the core by cmd/xroam (plugins/builtin); the core knows only the sdk interfaces"},
		{name: "core tests load plugins through the catalog", pkgs: []string{"core/..."}, except: []string{"core/client"}, forbid: []string{"plugins/..."}, allow: []string{"plugins/builtin"}, scope: tests,
			why: "a test that needs real plugins takes the catalog cmd/xroam ships, not a module of its own choosing"},
		{name: "client tests decode what the real encoders make", pkgs: []string{"core/client"}, forbid: []string{"plugins/..."}, allow: []string{"plugins/encoders/modules/..."}, scope: tests,
			why: "the client's decoders are checked against the encoder modules the server runs, and nothing else of the plugins"},
		{name: "plugins import only the sdk", pkgs: []string{"plugins/..."}, except: []string{"plugins/clipboard/..."}, forbid: []string{all}, allow: []string{"sdk/...", "plugins/..."}, scope: direct,
			why: "a plugin is built against the sdk, the same API an outside author has"},
		{name: "the x11 clipboard plugin uses core/x11/selection", pkgs: []string{"plugins/clipboard/..."}, forbid: []string{all}, allow: []string{"sdk/...", "plugins/...", "core/x11/selection"}, scope: direct,
			why: "the x11 backend is X selections, which live with the rest of X in core/x11; of the core it takes that package alone"},
		{name: "the client reaches no server", pkgs: []string{"core/client", "core/dial"},
			forbid: []string{"core/session", "core/pipeline", "core/pluginhost/...", "core/rfb", "core/x11/wm"}, scope: transitive,
			why: "attach must not carry the server: its sessions, pipeline, plugin host, rfb and window manager"},
		{name: "the server reaches no client", pkgs: []string{"core/session", "core/pipeline"},
			forbid: []string{"core/client", "core/dial", "core/x11/xclient"}, scope: transitive,
			why: "the server must not carry the attach client: its windows, its dialling"},
		{name: "the shared layers know no X", pkgs: []string{"core/wire", "core/xpra", "core/config", "core/sockdir", "core/pipeline", "core/mmap", "core/clipsync", "core/rfb", "core/geom"},
			forbid: noX, scope: transitive,
			why: "protocol, configuration, sockets and encoding work the same whatever the display, and are tested without one"},
		{name: "test probes are for tests", pkgs: []string{all}, except: probes(), forbid: probes(), scope: transitive,
			why: "probes start Xvfb, make throwaway certificates and fake plugins; production code must not carry them"},
		{name: "only the plugin host and the sdk speak go-plugin", pkgs: []string{all}, except: []string{"core/pluginhost", "sdk/plugin", "sdk/plugintest"},
			forbid: []string{"github.com/hashicorp/go-plugin/..."}, scope: direct,
			why: "the plugin protocol lives in one place on each side: the host launches, the sdk serves"},
		{name: "only the plugin host and the sdk test go-plugin", pkgs: []string{all}, except: []string{"core/pluginhost", "sdk/plugin", "sdk/plugintest"},
			forbid: []string{"github.com/hashicorp/go-plugin/..."}, scope: tests,
			why: "tests reach plugins through pluginhost or sdk/plugintest, not through go-plugin"},
		{name: "only sdk/lz4block uses lz4", pkgs: []string{all}, except: []string{"sdk/lz4block"}, forbid: []string{"github.com/pierrec/lz4/..."}, scope: direct,
			why: "xpra's lz4 block framing is done once, in the sdk, for the core and the encoders alike"},
	}
}

// pkg is the part of `go list -json` the rules read.
type pkg struct {
	ImportPath                         string
	Name                               string
	Dir                                string
	DepOnly                            bool
	GoFiles, CgoFiles                  []string
	Imports, TestImports, XTestImports []string
	Deps                               []string
	Error                              *struct{ Err string }
	DepsErrors                         []*struct{ Err string }
}

// graph maps import paths to packages: both modules' packages and
// everything they depend on.
type graph map[string]*pkg

// loadGraph runs go list once per module. A package listed both as the
// sdk's own and as a dependency of the main module is kept as the sdk's.
func loadGraph(t *testing.T) graph {
	t.Helper()
	g := graph{}
	for _, dir := range []string{".", "sdk"} {
		cmd := exec.Command("go", "list", "-e", "-deps", "-json", "./...")
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list in %s: %v\n%s", dir, err, stderr.Bytes())
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			p := new(pkg)
			if err := dec.Decode(p); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("go list in %s: %v", dir, err)
			}
			if old, ok := g[p.ImportPath]; ok && !old.DepOnly {
				continue
			}
			g[p.ImportPath] = p
		}
	}
	return g
}

// full expands a pattern to an import path pattern.
func full(pattern string) string {
	first, _, _ := strings.Cut(pattern, "/")
	if strings.Contains(first, ".") {
		return pattern
	}
	return mod + "/" + pattern
}

func match(pattern, path string) bool {
	p := full(pattern)
	if base, ok := strings.CutSuffix(p, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == p
}

func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, path) })
}

// short drops the module prefix for messages.
func short(path string) string {
	if s, ok := strings.CutPrefix(path, mod+"/"); ok {
		return s
	}
	return path
}

// reach is what p imports or reaches in scope s.
func (g graph) reach(p *pkg, s scope) []string {
	set := map[string]bool{}
	switch s {
	case direct:
		for _, i := range p.Imports {
			set[i] = true
		}
	case transitive:
		for _, i := range p.Deps {
			set[i] = true
		}
	case tests, testsReach:
		for _, i := range slices.Concat(p.TestImports, p.XTestImports) {
			set[i] = true
			// Only our own packages can lead back to ours or to what
			// the rules name, and they are all in the graph; a package
			// only tests import from elsewhere has no deps recorded.
			if d, ok := g[i]; ok && s == testsReach {
				for _, j := range d.Deps {
					set[j] = true
				}
			}
		}
		delete(set, p.ImportPath) // an external test imports its package
	}
	return slices.Sorted(maps.Keys(set))
}

// chain is a shortest import path from p to target, for messages.
func (g graph) chain(p *pkg, s scope, target string) string {
	start := p.Imports
	if s == tests || s == testsReach {
		start = slices.Concat(p.TestImports, p.XTestImports)
	}
	prev := map[string]string{}
	queue := []string{}
	for _, i := range start {
		if _, seen := prev[i]; !seen {
			prev[i] = ""
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n == target {
			path := []string{}
			for ; n != ""; n = prev[n] {
				path = append(path, short(n))
			}
			if s == tests || s == testsReach {
				path = append(path, short(p.ImportPath)+"'s tests")
			} else {
				path = append(path, short(p.ImportPath))
			}
			slices.Reverse(path)
			return strings.Join(path, " → ")
		}
		if d, ok := g[n]; ok {
			for _, i := range d.Imports {
				if _, seen := prev[i]; !seen {
					prev[i] = n
					queue = append(queue, i)
				}
			}
		}
	}
	return short(p.ImportPath) + " → … → " + short(target)
}

// check returns what breaks r in g: a pattern that matches no package,
// or a package that imports or reaches what it must not.
func check(g graph, r rule) []string {
	var msgs []string
	for _, p := range slices.Concat(r.pkgs, r.except, r.forbid, r.allow) {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(g)), func(path string) bool { return match(p, path) }) {
			msgs = append(msgs, fmt.Sprintf("rule %q names %s, which matches no package: renamed or gone? Update the rule", r.name, p))
		}
	}
	for _, path := range slices.Sorted(maps.Keys(g)) {
		p := g[path]
		if !matchAny(r.pkgs, path) || matchAny(r.except, path) {
			continue
		}
		var bad []string
		for _, i := range g.reach(p, r.scope) {
			if matchAny(r.forbid, i) && !matchAny(r.allow, i) {
				bad = append(bad, i)
			}
		}
		if len(bad) == 0 {
			continue
		}
		// One line a package: the path to the nearest offender shows
		// where to cut, the rest are usually behind it.
		what := short(bad[0])
		if r.scope == transitive || r.scope == testsReach {
			chains := make([]string, len(bad))
			for i, b := range bad {
				chains[i] = g.chain(p, r.scope, b)
			}
			near := slices.MinFunc(chains, func(a, b string) int {
				return strings.Count(a, "→") - strings.Count(b, "→")
			})
			what = near[strings.LastIndex(near, "→ ")+len("→ "):] + " (" + near + ")"
		}
		if n := len(bad) - 1; n > 0 {
			what += fmt.Sprintf(" and %d more", n)
		}
		msgs = append(msgs, fmt.Sprintf("%s %s %s: %s", short(path), r.scope, what, r.why))
	}
	return msgs
}

func TestArchitecture(t *testing.T) {
	g := loadGraph(t)
	for _, path := range slices.Sorted(maps.Keys(g)) {
		p := g[path]
		if p.DepOnly {
			continue
		}
		// The rules cannot judge a package go list could not load.
		if p.Error != nil {
			t.Errorf("go list: %s: %s", path, p.Error.Err)
		}
		for _, e := range p.DepsErrors {
			t.Errorf("go list: %s: %s", path, e.Err)
		}
	}
	for _, r := range rules() {
		t.Run(r.name, func(t *testing.T) {
			for _, m := range check(g, r) {
				t.Error(m)
			}
		})
	}
}

// TestProbesAreListed keeps probes complete: a test helper package is one
// whose name ends in "test".
func TestProbesAreListed(t *testing.T) {
	g := loadGraph(t)
	for _, path := range slices.Sorted(maps.Keys(g)) {
		if !match(mod+"/...", path) || g[path].DepOnly || path == mod {
			continue
		}
		if strings.HasSuffix(filepath.Base(path), "test") && !matchAny(probes(), path) {
			t.Errorf("%s looks like a test probe: add it to probes() so that production code cannot import it", short(path))
		}
	}
}

// concrete is a package a pattern matches.
func concrete(pattern string) string {
	return strings.TrimSuffix(full(pattern), "/...")
}

// example picks a package r applies to and an import r forbids it.
func example(r rule) (from, to string, ok bool) {
	for _, f := range r.pkgs {
		from = concrete(f)
		if matchAny(r.except, from) {
			continue
		}
		for _, b := range r.forbid {
			to = concrete(b)
			if to != from && !matchAny(r.allow, to) {
				return from, to, true
			}
		}
	}
	return "", "", false
}

// clone copies g deeply enough for adding imports.
func clone(g graph) graph {
	out := graph{}
	for k, p := range g {
		c := *p
		c.Imports = slices.Clone(p.Imports)
		c.TestImports = slices.Clone(p.TestImports)
		c.XTestImports = slices.Clone(p.XTestImports)
		c.Deps = slices.Clone(p.Deps)
		out[k] = &c
	}
	return out
}

func (g graph) add(path string) *pkg {
	if p, ok := g[path]; ok {
		return p
	}
	p := &pkg{ImportPath: path}
	g[path] = p
	return p
}

// link makes from import to in scope s, through a package in between
// for the scopes that reach.
func link(base graph, s scope, from, to string) graph {
	g := clone(base)
	f, _ := g.add(from), g.add(to)
	const mid = "example.com/between"
	switch s {
	case direct:
		f.Imports = append(f.Imports, to)
		f.Deps = append(f.Deps, to)
	case transitive:
		m := g.add(mid)
		m.Imports, m.Deps = []string{to}, []string{to}
		f.Imports = append(f.Imports, mid)
		f.Deps = append(f.Deps, mid, to)
	case tests:
		f.XTestImports = append(f.XTestImports, to)
	case testsReach:
		m := g.add(mid)
		m.Imports, m.Deps = []string{to}, []string{to}
		f.TestImports = append(f.TestImports, mid)
	}
	return g
}

// TestRulesCatchViolations feeds each rule graphs built for it: one with
// the violation must be reported; one without it, one with an allowed
// import, one with the import in an excepted package and one with it
// outside the rule's scope must pass; one lacking a package the rule
// names must fail.
func TestRulesCatchViolations(t *testing.T) {
	// outside is a scope whose import a rule of scope s does not look at.
	outside := map[scope]scope{direct: transitive, transitive: tests, tests: direct, testsReach: direct}
	for _, r := range rules() {
		t.Run(r.name, func(t *testing.T) {
			from, to, ok := example(r)
			if !ok {
				t.Fatal("no package the rule applies to with an import it forbids: write its case by hand")
			}
			base := graph{}
			for _, p := range slices.Concat(r.pkgs, r.except, r.forbid, r.allow) {
				base.add(concrete(p))
			}
			if msgs := check(link(base, r.scope, from, "example.com/unrelated"), r); len(msgs) > 0 {
				t.Errorf("a graph without a violation: %q", msgs)
			}
			if msgs := check(link(base, r.scope, from, to), r); len(msgs) == 0 {
				t.Errorf("%s %s %s: not reported", short(from), r.scope, short(to))
			}
			if r.scope == tests {
				// Internal test files count as much as external ones.
				g := clone(base)
				g[from].TestImports = []string{to}
				if msgs := check(g, r); len(msgs) == 0 {
					t.Errorf("%s has internal tests importing %s: not reported", short(from), short(to))
				}
			}
			for _, a := range r.allow {
				if msgs := check(link(base, r.scope, from, concrete(a)), r); len(msgs) > 0 {
					t.Errorf("allowed %s: %q", a, msgs)
				}
			}
			for _, e := range r.except {
				if msgs := check(link(base, r.scope, concrete(e), to), r); len(msgs) > 0 {
					t.Errorf("excepted %s %s %s: %q", e, r.scope, short(to), msgs)
				}
			}
			if msgs := check(link(base, outside[r.scope], from, to), r); len(msgs) > 0 {
				t.Errorf("%s %s %s is outside the rule: %q", short(from), outside[r.scope], short(to), msgs)
			}
			for _, p := range slices.Concat(r.pkgs, r.except, r.forbid, r.allow) {
				g := clone(base)
				maps.DeleteFunc(g, func(path string, _ *pkg) bool { return match(p, path) })
				msgs := check(g, r)
				if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, " "+p+", which matches no package") }) {
					t.Errorf("without a package matching %s: %q, want it reported as missing", p, msgs)
				}
			}
		})
	}
}

// TestEveryPackageHasADocComment: every package with Go files in either
// module says what it is for, "// Package x ..." (for a command,
// "// Command x ...") in one of its files.
func TestEveryPackageHasADocComment(t *testing.T) {
	g := loadGraph(t)
	n := 0
	for _, path := range slices.Sorted(maps.Keys(g)) {
		p := g[path]
		files := slices.Concat(p.GoFiles, p.CgoFiles)
		if p.DepOnly || !match(mod+"/...", path) || len(files) == 0 {
			continue
		}
		n++
		want := "Package " + p.Name + " "
		if p.Name == "main" {
			want = "Command "
		}
		found := false
		for _, name := range files {
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(p.Dir, name), nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if f.Doc != nil && strings.HasPrefix(strings.ReplaceAll(f.Doc.Text(), "\n", " "), want) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: no file has a doc comment starting %q", short(path), want)
		}
	}
	if n < 20 {
		t.Fatalf("only %d packages checked: is go list finding both modules?", n)
	}
}

// TestLayoutBlockListsCore: the layout block of CONTRIBUTING.md lists
// exactly the directories under core/ that hold Go files.
func TestLayoutBlockListsCore(t *testing.T) {
	f, err := os.Open("CONTRIBUTING.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^    (core/\S+?)/?\s`)
	listed := map[string]bool{}
	inLayout := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		s := sc.Text()
		if strings.HasPrefix(s, "## ") {
			inLayout = s == "## Layout"
			continue
		}
		if m := line.FindStringSubmatch(s + " "); inLayout && m != nil {
			if listed[m[1]] {
				t.Errorf("CONTRIBUTING.md lists %s twice", m[1])
			}
			listed[m[1]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]bool{}
	err = filepath.WalkDir("core", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			dirs[filepath.ToSlash(filepath.Dir(path))] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no Go files under core/")
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		if !listed[d] {
			t.Errorf("CONTRIBUTING.md's layout block does not list %s/", d)
		}
	}
	for _, d := range slices.Sorted(maps.Keys(listed)) {
		if !dirs[d] {
			t.Errorf("CONTRIBUTING.md's layout block lists %s/, which holds no Go package", d)
		}
	}
}
