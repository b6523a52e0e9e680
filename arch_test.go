// Package xroam_test holds the rules of the architecture that the compiler
// cannot enforce: sdk/ never imports core/, only core/x11/... talks to X
// through xgb, and only tests import the X test probes (core/x11/x11test).
package xroam_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// imports maps each Go file under root to the import paths it uses.
func imports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		out[path] = []string{}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[path] = append(out[path], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSDKDoesNotImportCore(t *testing.T) {
	files := imports(t, "sdk")
	if len(files) == 0 {
		t.Fatal("no Go files found under sdk/")
	}
	for file, imps := range files {
		for _, p := range imps {
			if p == "github.com/xroam/xroam" || strings.HasPrefix(p, "github.com/xroam/xroam/core") ||
				strings.HasPrefix(p, "github.com/xroam/xroam/plugins") || strings.HasPrefix(p, "github.com/xroam/xroam/cmd") {
				t.Errorf("%s imports %s: sdk/ must build without the core", file, p)
			}
		}
	}
}

func TestOnlyX11ImportsXGB(t *testing.T) {
	for file, imps := range imports(t, ".") {
		if strings.HasPrefix(filepath.ToSlash(file), "core/x11/") {
			continue
		}
		for _, p := range imps {
			if strings.HasPrefix(p, "github.com/jezek/xgb") {
				t.Errorf("%s imports %s: only core/x11/... may talk to X", file, p)
			}
		}
	}
}

func TestOnlyTestsImportX11Test(t *testing.T) {
	for file, imps := range imports(t, ".") {
		// tests/ is test code throughout: the end-to-end harness
		// (tests/e2e) is a package of its own so that it can be imported.
		if strings.HasSuffix(file, "_test.go") || strings.HasPrefix(filepath.ToSlash(file), "tests/") {
			continue
		}
		for _, p := range imps {
			if p == "github.com/xroam/xroam/core/x11/x11test" && !strings.HasPrefix(filepath.ToSlash(file), "core/x11/x11test/") {
				t.Errorf("%s imports %s: the X test probes are for _test.go files only", file, p)
			}
		}
	}
}

// TestRuleCatchesViolation proves the import scan sees what it should: a
// file written to a temporary tree with a forbidden import is found.
func TestRuleCatchesViolation(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\nimport _ \"github.com/xroam/xroam/core/config\"\n"
	if err := writeFile(filepath.Join(dir, "p.go"), src); err != nil {
		t.Fatal(err)
	}
	got := imports(t, dir)
	if len(got) != 1 || got[filepath.Join(dir, "p.go")][0] != "github.com/xroam/xroam/core/config" {
		t.Fatalf("scan found %v", got)
	}
}

func writeFile(path, s string) error {
	return os.WriteFile(path, []byte(s), 0o644)
}
