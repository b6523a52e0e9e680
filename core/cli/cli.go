package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/session"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/sdk/plugin"
)

// Exit codes of the xroam command. They are documented in `xroam help`
// and the man page; scripts may rely on them.
const (
	ExitOK      = 0 // the command did what was asked
	ExitFailure = 1 // the command failed at run time
	ExitUsage   = 2 // bad command line or configuration: nothing was done
)

// Build describes how this binary was built and where it was installed.
// The command's main fills it in from link-time values.
type Build struct {
	Version string
	// SystemConfDir is the system conf.d directory (/etc/xroam/conf.d for
	// a PREFIX=/usr install, $PREFIX/etc/xroam/conf.d otherwise).
	SystemConfDir string
	// PluginDir is where the installed plugin binaries are.
	PluginDir string
	// Builtins are the plugins compiled into the binary
	// (plugins/builtin), run in-process when no binary is installed.
	Builtins []plugin.Servable
}

// Env is everything a run of the command depends on, so that tests can
// run it in-process.
type Env struct {
	Args   []string // without the program name
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Build  Build
	Logger *slog.Logger
}

// Invocation is what a verb's Run receives: its positional arguments, its
// local flags and the loaded configuration.
type Invocation struct {
	Env    *Env
	Verb   *Verb
	Args   []string
	Flags  map[string]string
	Config *config.Effective
}

// Verb is one subcommand.
type Verb struct {
	Name string
	// Aliases are other names the verb answers to (xpra's spellings).
	Aliases []string
	Args    string // positional arguments, for the usage line
	Summary string
	// Description is a paragraph for --help and the man page.
	Description string
	// Groups are the option groups listed in this verb's help.
	Groups []string
	Flags  []LocalFlag
	// MaxArgs is the number of positional arguments accepted (-1: any).
	MaxArgs int
	Run     func(ctx context.Context, inv *Invocation) error
}

func findVerb(verbs []*Verb, name string) *Verb {
	for _, v := range verbs {
		if v.Name == name || slices.Contains(v.Aliases, name) {
			return v
		}
	}
	return nil
}

func verbNames(verbs []*Verb) []string {
	out := make([]string, len(verbs))
	for i, v := range verbs {
		out[i] = v.Name
	}
	return out
}

// Verbs returns the subcommands of xroam, in the order help lists them.
// A verb appears here only once it works.
func Verbs() []*Verb {
	return []*Verb{
		startVerb(),
		startDesktopVerb(),
		shadowVerb(),
		attachVerb(),
		listVerb(),
		listMDNSVerb(),
		infoVerb(),
		versionVerb(),
		detachVerb(),
		stopVerb(),
		exitVerb(),
		controlVerb(),
		screenshotVerb(),
		proxyVerb(),
		upgradeVerb(),
		initenvVerb(),
		showconfigVerb(),
		helpVerb(),
	}
}

// Main runs the command and returns its exit code.
func Main(ctx context.Context, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Logger == nil {
		env.Logger = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	// xgb logs to its own process-wide logger; send it to ours.
	x11.RouteXGBLog(env.Logger)
	if fd := env.Getenv(session.ArgsFDEnv); fd != "" {
		// A daemonized server: its real command line is in the pipe.
		args, err := session.ReadArgs(fd)
		if err != nil {
			fmt.Fprintf(env.Stderr, "xroam: %v\n", err)
			return ExitFailure
		}
		env.Args = args
	}
	verbs := Verbs()
	opts := config.Options()
	p := parseArgs(env.Args, opts, verbs)
	verb := findVerb(verbs, p.verb)
	if p.verb == "" {
		if p.help {
			writeUsage(env.Stdout, verbs)
			return ExitOK
		}
		writeUsage(env.Stderr, verbs)
		return ExitUsage
	}
	if verb == nil {
		msg := fmt.Sprintf("xroam: unknown verb %q", p.verb)
		if s := config.Suggest(p.verb, verbNames(verbs)); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		fmt.Fprintf(env.Stderr, "%s\nRun 'xroam help' for the list of verbs.\n", msg)
		return ExitUsage
	}
	if p.help {
		writeVerbHelp(env.Stdout, verb, opts)
		return ExitOK
	}
	if verb.MaxArgs >= 0 && len(p.args) > verb.MaxArgs {
		p.errs = append(p.errs, fmt.Sprintf("too many arguments for %s: %s", verb.Name, strings.Join(p.args[verb.MaxArgs:], " ")))
	}
	for _, f := range verb.Flags {
		if _, ok := p.local[f.Name]; !ok && f.Default != "" {
			p.local[f.Name] = f.Default
		}
	}
	eff, failed := loadConfig(&env, p)
	if len(p.errs) > 0 {
		for _, e := range p.errs {
			fmt.Fprintf(env.Stderr, "xroam %s: %s\n", verb.Name, e)
		}
		failed = true
	}
	if failed {
		fmt.Fprintf(env.Stderr, "Run 'xroam %s --help' for usage.\n", verb.Name)
		return ExitUsage
	}
	inv := &Invocation{Env: &env, Verb: verb, Args: p.args, Flags: p.local, Config: eff}
	if err := verb.Run(ctx, inv); err != nil {
		if !errors.As(err, new(shownError)) {
			fmt.Fprintf(env.Stderr, "xroam %s: %v\n", verb.Name, err)
		}
		var ue *UsageError
		if errors.As(err, &ue) {
			return ExitUsage
		}
		return ExitFailure
	}
	return ExitOK
}

// ConfigDirs returns the conf.d directories read, in order: the system
// one, the user's, then those given with --config-dir.
func ConfigDirs(env *Env, extra []string) []string {
	sys := env.Build.SystemConfDir
	if d := env.Getenv("XROAM_SYSTEM_CONFIG_DIR"); d != "" {
		sys = d
	}
	dirs := []string{sys, userConfDir(env.Getenv)}
	return append(dirs, extra...)
}

func userConfDir(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "xroam", "conf.d")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "xroam", "conf.d")
	}
	return ""
}

// loadConfig reads the files, the environment and the flags, printing
// every problem it finds; the bool reports whether there was any.
func loadConfig(env *Env, p *parsed) (*config.Effective, bool) {
	eff := config.New()
	diags := eff.LoadDirs(ConfigDirs(env, p.configDirs)...)
	failed := false
	if len(diags) > 0 {
		_ = config.WriteDiagnostics(env.Stderr, diags, eff.Sources)
		failed = diags.HasErrors()
	}
	settings := append(config.EnvSettings(env.Getenv), p.settings...)
	if err := eff.Apply(settings); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(env.Stderr, "xroam: %s\n", line)
		}
		failed = true
	}
	return eff, failed
}

func versionVerb() *Verb {
	return &Verb{
		Name:        "version",
		Args:        "[DISPLAY|URI]",
		Summary:     "print the version of xroam, or of a server",
		Description: "Prints the version of this xroam binary, the Go release it was built with and the platform; given a session (:N, a socket path or a URI as for attach), the version of that server.",
		Groups:      []string{"general"},
		MaxArgs:     1,
		Run: func(ctx context.Context, inv *Invocation) error {
			if len(inv.Args) == 1 {
				return remoteVersion(ctx, inv)
			}
			_, err := fmt.Fprintf(inv.Env.Stdout, "xroam %s\n%s %s/%s\n", inv.Env.Build.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}

func showconfigVerb() *Verb {
	return &Verb{
		Name:    "showconfig",
		Args:    "[all] [OPTION...]",
		Summary: "show the effective configuration and where each value comes from",
		Description: "Shows every option whose value is not the default, with its origin: a file (path:line:column), " +
			"an environment variable or a flag. 'all' adds the options left at their defaults; naming options shows just those. " +
			"Secrets are redacted. The hcl format loads back to the same configuration.",
		Groups: []string{"general", "server", "network", "auth", "ssl", "picture", "client", "keyboard", "clipboard"},
		Flags: []LocalFlag{
			{Name: "format", Meta: "text|hcl|json", Default: "text", Enum: config.Formats(), Help: "output format"},
			{Name: "plugins", Bool: true, Help: "list the plugins found instead: built-in and in the plugin directories, with version and state"},
		},
		MaxArgs: -1,
		Run: func(ctx context.Context, inv *Invocation) error {
			if inv.Flags["plugins"] == "yes" {
				return showPlugins(ctx, inv)
			}
			so := config.ShowOptions{Format: inv.Flags["format"]}
			for _, a := range inv.Args {
				if a == "all" {
					so.All = true
					continue
				}
				so.Names = append(so.Names, a)
			}
			if err := inv.Config.Show(inv.Env.Stdout, so); err != nil {
				return &UsageError{Msg: err.Error()}
			}
			return nil
		},
	}
}

func helpVerb() *Verb {
	return &Verb{
		Name:        "help",
		Args:        "[VERB]",
		Summary:     "show help for xroam or for one verb",
		Description: "Without a verb, lists the verbs and the exit codes. With --man, writes the manual page in roff.",
		Flags:       []LocalFlag{{Name: "man", Bool: true, Help: "write the xroam(1) manual page to standard output"}},
		MaxArgs:     1,
		Run: func(_ context.Context, inv *Invocation) error {
			verbs := Verbs()
			if inv.Flags["man"] == "yes" {
				return writeMan(inv.Env.Stdout, verbs, config.Options(), inv.Env.Build)
			}
			if len(inv.Args) == 0 {
				writeUsage(inv.Env.Stdout, verbs)
				return nil
			}
			v := findVerb(verbs, inv.Args[0])
			if v == nil {
				msg := fmt.Sprintf("unknown verb %q", inv.Args[0])
				if s := config.Suggest(inv.Args[0], verbNames(verbs)); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				return &UsageError{Msg: msg}
			}
			writeVerbHelp(inv.Env.Stdout, v, config.Options())
			return nil
		},
	}
}
