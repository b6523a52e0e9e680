package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files with the current output")

// TestShowconfigGolden runs each testdata/showconfig/*.txtar archive: the
// files under system/, user/ and extra/ become the system conf.d, the
// user's conf.d and a --config-dir; "args" holds the command line, one
// argument a line; stdout, stderr and exit hold what is expected, with the
// temporary directory written as $TMP.
func TestShowconfigGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/showconfig/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			tmp := t.TempDir()
			home := filepath.Join(tmp, "home")
			var args []string
			want := map[string]string{}
			for _, f := range ar.Files {
				switch {
				case f.Name == "args":
					for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
						if l != "" {
							args = append(args, strings.ReplaceAll(l, "$TMP", tmp))
						}
					}
				case f.Name == "stdout" || f.Name == "stderr" || f.Name == "exit":
					want[f.Name] = string(f.Data)
				default:
					dir, name, _ := strings.Cut(f.Name, "/")
					var base string
					switch dir {
					case "system":
						base = filepath.Join(tmp, "system")
					case "user":
						base = filepath.Join(home, ".config", "xroam", "conf.d")
					case "extra":
						base = filepath.Join(tmp, "extra")
					default:
						t.Fatalf("unexpected file %s in %s", f.Name, file)
					}
					p := filepath.Join(base, name)
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			env := map[string]string{
				"XROAM_SYSTEM_CONFIG_DIR": filepath.Join(tmp, "system"),
				"HOME":                    home,
			}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), Env{
				Args: args, Stdout: &stdout, Stderr: &stderr,
				Getenv: func(k string) string { return env[k] },
				Build:  Build{Version: "test", SystemConfDir: "/nonexistent"},
			})
			got := map[string]string{
				"stdout": strings.ReplaceAll(stdout.String(), tmp, "$TMP"),
				"stderr": strings.ReplaceAll(stderr.String(), tmp, "$TMP"),
				"exit":   strconv.Itoa(code) + "\n",
			}
			if *update {
				for i, f := range ar.Files {
					if g, ok := got[f.Name]; ok {
						ar.Files[i].Data = []byte(g)
						delete(got, f.Name)
					}
				}
				for _, n := range []string{"stdout", "stderr", "exit"} {
					if g, ok := got[n]; ok {
						ar.Files = append(ar.Files, txtar.File{Name: n, Data: []byte(g)})
					}
				}
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, n := range []string{"stdout", "stderr", "exit"} {
				if got[n] != want[n] {
					t.Errorf("%s differs.\n--- got ---\n%s\n--- want ---\n%s", n, got[n], want[n])
				}
			}
		})
	}
}
