package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/xroam/xroam/core/config"
)

func TestParseArgs(t *testing.T) {
	opts := config.Options()
	verbs := Verbs()
	tests := []struct {
		args     []string
		verb     string
		pos      []string
		settings []string // name=value
		local    map[string]string
		errs     []string
	}{
		{args: []string{"showconfig", "--bind-tcp=0.0.0.0:1", "--bind-tcp", "[::1]:2"}, verb: "showconfig",
			settings: []string{"bind-tcp=0.0.0.0:1", "bind-tcp=[::1]:2"}},
		{args: []string{"--no-daemon", "showconfig", "--daemon=no", "--bell"}, verb: "showconfig",
			settings: []string{"daemon=no", "daemon=no", "bell=yes"}},
		{args: []string{"showconfig", "-z3", "-d", "all", "-z=4"}, verb: "showconfig",
			settings: []string{"compress=3", "debug=all", "compress=4"}},
		{args: []string{"--format=json", "showconfig", "all"}, verb: "showconfig", pos: []string{"all"},
			local: map[string]string{"format": "json"}},
		{args: []string{"showconfig", "--format", "hcl", "--", "--quality"}, verb: "showconfig", pos: []string{"--quality"},
			local: map[string]string{"format": "hcl"}},
		{args: []string{"showconfig", "--no-quality", "--bnd-tcp=1", "--no-bind-tcp", "--windows=yes"}, verb: "showconfig",
			settings: []string{"windows=yes"},
			errs: []string{"option --quality is not a yes/no option, so --no-quality does not exist",
				"unknown option --bnd-tcp (did you mean --bind-tcp?)", "option --bind-tcp is not a yes/no option, so --no-bind-tcp does not exist"}},
		{args: []string{"showconfig", "--quality"}, verb: "showconfig", errs: []string{"option --quality needs a value"}},
		{args: []string{"showconfig", "--no-daemon=yes"}, verb: "showconfig", errs: []string{"option --no-daemon takes no value"}},
		{args: []string{"help", "--man"}, verb: "help", local: map[string]string{"man": "yes"}},
		{args: []string{"showconfig", "-Q"}, verb: "showconfig", errs: []string{"unknown option -Q"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			p := parseArgs(tt.args, opts, verbs)
			if p.verb != tt.verb {
				t.Errorf("verb = %q, want %q", p.verb, tt.verb)
			}
			if strings.Join(p.args, "|") != strings.Join(tt.pos, "|") {
				t.Errorf("args = %q, want %q", p.args, tt.pos)
			}
			var got []string
			for _, s := range p.settings {
				got = append(got, s.Option.Name+"="+s.Value)
			}
			if strings.Join(got, "|") != strings.Join(tt.settings, "|") {
				t.Errorf("settings = %q, want %q", got, tt.settings)
			}
			for k, v := range tt.local {
				if p.local[k] != v {
					t.Errorf("local %s = %q, want %q", k, p.local[k], v)
				}
			}
			if strings.Join(p.errs, "|") != strings.Join(tt.errs, "|") {
				t.Errorf("errs = %q, want %q", p.errs, tt.errs)
			}
		})
	}
}

func run(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), Env{Args: args, Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string {
			if k == "XROAM_SYSTEM_CONFIG_DIR" || k == "HOME" {
				return "/nonexistent"
			}
			return ""
		},
		Build: Build{Version: "1.2.3", SystemConfDir: "/nonexistent"}})
	return out.String(), errb.String(), code
}

func TestVerbs(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"version"}, ExitOK, "xroam 1.2.3\n", ""},
		{[]string{"version", "--help"}, ExitOK, "Usage: xroam version", ""},
		{[]string{"help"}, ExitOK, "Exit codes:", ""},
		{[]string{"--help"}, ExitOK, "Verbs:", ""},
		{nil, ExitUsage, "", "Usage: xroam VERB"},
		{[]string{"versoin"}, ExitUsage, "", `unknown verb "versoin" (did you mean "version"?)`},
		{[]string{"help", "showconfig"}, ExitOK, "--format=text|hcl|json", ""},
		{[]string{"showconfig", "-h"}, ExitOK, "Picture options:", ""},
		{[]string{"help", "nosuch"}, ExitUsage, "", `unknown verb "nosuch"`},
		{[]string{"version", ":1", "extra"}, ExitUsage, "", "too many arguments for version: extra"},
		{[]string{"version", "extra"}, ExitUsage, "", `invalid connection string "extra"`},
		{[]string{"help", "--man"}, ExitOK, `.B \-\-bind\-tcp=HOST:PORT`, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errs, code := run(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errs)
			}
			if !strings.Contains(out, tt.out) {
				t.Errorf("stdout %q lacks %q", out, tt.out)
			}
			if !strings.Contains(errs, tt.err) {
				t.Errorf("stderr %q lacks %q", errs, tt.err)
			}
		})
	}
}

// TestManListsEveryOption: the man page is generated from the same tables
// as the parser, so every option and verb must be in it.
func TestManListsEveryOption(t *testing.T) {
	out, _, code := run("help", "--man")
	if code != ExitOK {
		t.Fatal("help --man failed")
	}
	for _, o := range config.Options() {
		if !strings.Contains(out, `\-\-`+strings.ReplaceAll(o.Name, "-", `\-`)) {
			t.Errorf("man page lacks --%s", o.Name)
		}
	}
	for _, v := range Verbs() {
		if !strings.Contains(out, ".B xroam "+roff(v.Name)) {
			t.Errorf("man page lacks verb %s", v.Name)
		}
	}
}
