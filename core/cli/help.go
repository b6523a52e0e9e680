package cli

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xroam/xroam/core/config"
)

// groupTitles names the option groups, in the order help shows them.
func groupTitles() [][2]string {
	return [][2]string{
		{"general", "General options"},
		{"server", "Server options"},
		{"network", "Network options"},
		{"auth", "Authentication options"},
		{"ssl", "TLS options"},
		{"picture", "Picture options"},
		{"client", "Client options"},
		{"keyboard", "Keyboard options"},
		{"clipboard", "Clipboard options"},
	}
}

func exitCodeLines() []string {
	return []string{
		fmt.Sprintf("%d  success", ExitOK),
		fmt.Sprintf("%d  the command failed while running", ExitFailure),
		fmt.Sprintf("%d  bad command line or configuration; nothing was done", ExitUsage),
	}
}

func writeUsage(w io.Writer, verbs []*Verb) {
	b := bufio.NewWriter(w)
	defer b.Flush()
	fmt.Fprintln(b, "Usage: xroam VERB [ARGS] [OPTIONS]")
	fmt.Fprintln(b, "\nxroam runs X11 applications on a server and shows their windows on a client.")
	fmt.Fprintln(b, "\nVerbs:")
	for _, v := range verbs {
		fmt.Fprintf(b, "  %-12s %s\n", v.Name, v.Summary)
	}
	fmt.Fprintln(b, "\nOptions are spelled --name=value; booleans also --name and --no-name.")
	fmt.Fprintln(b, "Configuration files: *.hcl in the system conf.d, ~/.config/xroam/conf.d, then --config-dir.")
	fmt.Fprintln(b, "Run 'xroam VERB --help' for a verb's options.")
	fmt.Fprintln(b, "\nExit codes:")
	for _, l := range exitCodeLines() {
		fmt.Fprintf(b, "  %s\n", l)
	}
}

func optionUsage(o *config.Option) string {
	meta := o.Meta
	if meta == "" && len(o.Enum) > 0 {
		meta = strings.Join(o.Enum, "|")
	}
	switch {
	case o.Kind == config.KindBool:
		return "--" + o.Name + "=yes|no"
	case meta == "":
		meta = "VALUE"
	}
	s := "--" + o.Name + "=" + meta
	if o.Short != "" {
		s = "-" + o.Short + ", " + s
	}
	return s
}

func writeVerbHelp(w io.Writer, v *Verb, opts []*config.Option) {
	b := bufio.NewWriter(w)
	defer b.Flush()
	fmt.Fprintf(b, "Usage: xroam %s %s[OPTIONS]\n\n%s\n", v.Name, strings.TrimSpace(v.Args+" "), wrap(v.Description, 78, ""))
	fmt.Fprintln(b, "\nOptions of this verb:")
	flags := append(append([]LocalFlag{}, v.Flags...), globalFlags()...)
	for _, f := range flags {
		u := "--" + f.Name
		if !f.Bool {
			u += "=" + f.Meta
		}
		help := f.Help
		if f.Default != "" {
			help += " (default: " + f.Default + ")"
		}
		fmt.Fprintf(b, "  %-30s %s\n", u, help)
	}
	for _, g := range groupTitles() {
		if !slices.Contains(v.Groups, g[0]) {
			continue
		}
		fmt.Fprintf(b, "\n%s:\n", g[1])
		for _, o := range opts {
			if o.Group == g[0] {
				fmt.Fprintf(b, "  %-30s %s\n", optionUsage(o), o.Help)
			}
		}
	}
}

// wrap breaks text into lines of at most width columns, each prefixed.
func wrap(text string, width int, prefix string) string {
	var out, line strings.Builder
	for _, word := range strings.Fields(text) {
		if line.Len() > 0 && line.Len()+1+len(word) > width-len(prefix) {
			out.WriteString(prefix + line.String() + "\n")
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(word)
	}
	if line.Len() > 0 {
		out.WriteString(prefix + line.String())
	}
	return out.String()
}

// roff escapes text for a man page.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// writeMan writes xroam(1) from the same tables the help uses, so the
// manual never disagrees with the binary.
func writeMan(w io.Writer, verbs []*Verb, opts []*config.Option, build Build) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, ".TH XROAM 1 \"\" \"xroam %s\" \"User Commands\"\n", roff(build.Version))
	fmt.Fprintln(b, ".SH NAME\nxroam \\- run X11 applications remotely and detach from them, compatible with xpra")
	fmt.Fprintln(b, ".SH SYNOPSIS\n.B xroam\n.I VERB\n[\\fIARGS\\fR] [\\fIOPTIONS\\fR]")
	fmt.Fprintln(b, ".SH DESCRIPTION\nxroam runs X11 applications on a server and shows their windows on a client as ordinary local windows. "+
		"It speaks the xpra wire protocol. Options use xpra's names: \\fB\\-\\-name=value\\fR, and for booleans also \\fB\\-\\-name\\fR and \\fB\\-\\-no\\-name\\fR.")
	fmt.Fprintln(b, ".SH VERBS")
	for _, v := range verbs {
		fmt.Fprintf(b, ".TP\n.B xroam %s %s\n%s\n", roff(v.Name), roff(v.Args), roff(v.Description))
		for _, f := range v.Flags {
			u := `\-\-` + roff(f.Name)
			if !f.Bool {
				u += "=" + roff(f.Meta)
			}
			fmt.Fprintf(b, ".RS\n.TP\n.B %s\n%s\n.RE\n", u, roff(f.Help))
		}
	}
	fmt.Fprintln(b, ".SH OPTIONS")
	for _, f := range globalFlags() {
		u := `\-\-` + roff(f.Name)
		if !f.Bool {
			u += "=" + roff(f.Meta)
		}
		fmt.Fprintf(b, ".TP\n.B %s\n%s\n", u, roff(f.Help))
	}
	defaults := config.Defaults()
	for _, g := range groupTitles() {
		fmt.Fprintf(b, ".SS %s\n", roff(g[1]))
		for _, o := range opts {
			if o.Group != g[0] {
				continue
			}
			help := o.Help
			if d := fmt.Sprint(o.Get(&defaults)); d != "" && d != "[]" && !o.Secret {
				help += " Default: " + d + "."
			}
			fmt.Fprintf(b, ".TP\n.B %s\n%s\n", roff(optionUsage(o)), roff(help))
		}
	}
	fmt.Fprintln(b, ".SH FILES\n.TP\n.I /etc/xroam/conf.d/*.hcl\nsystem configuration, read in lexical order\n.TP\n.I ~/.config/xroam/conf.d/*.hcl\nthe user's configuration, read after the system's")
	fmt.Fprintf(b, ".SH ENVIRONMENT\n.TP\n.B XROAM_SOCKET_DIR\nthe socket directory, as \\-\\-socket\\-dir\n.TP\n.B XROAM_SYSTEM_CONFIG_DIR\nreplaces the system configuration directory (%s)\n", roff(build.SystemConfDir))
	fmt.Fprintln(b, ".SH EXIT STATUS")
	for _, l := range exitCodeLines() {
		code, text, _ := strings.Cut(l, "  ")
		fmt.Fprintf(b, ".TP\n.B %s\n%s\n", code, roff(text))
	}
	fmt.Fprintln(b, ".SH SEE ALSO\n.BR xpra (1)")
	return b.Flush()
}
