package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xroam/xroam/core/config"
)

// UsageError is a mistake on the command line; it makes the exit code 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// LocalFlag is an option that belongs to one verb only (such as
// showconfig's --format) rather than to the configuration.
type LocalFlag struct {
	Name    string
	Meta    string
	Help    string
	Default string
	// Bool flags take no value.
	Bool bool
	// Enum, when set, lists the values accepted.
	Enum []string
}

// parsed is the command line taken apart.
type parsed struct {
	verb       string
	args       []string
	settings   []config.Setting
	local      map[string]string
	configDirs []string
	help       bool
	errs       []string
}

// globalFlags are accepted by every verb and are not configuration options.
func globalFlags() []LocalFlag {
	return []LocalFlag{
		{Name: "help", Bool: true, Help: "show help for the verb and exit"},
		{Name: "config-dir", Meta: "DIR", Help: "also read the *.hcl files of DIR, after the system and user directories (repeatable)"},
	}
}

// parseArgs splits args into verb, positional arguments, configuration
// settings and local flags, in xpra's spelling: --opt=value, --opt value
// (not for booleans), --opt and --no-opt for booleans, -h, and the short
// aliases. Unknown options are collected, each with a suggestion, so that
// every mistake is reported at once.
func parseArgs(args []string, opts []*config.Option, verbs []*Verb) *parsed {
	p := &parsed{local: map[string]string{}}
	var verb *Verb
	// Local flags can only be known once the verb is; xpra accepts options
	// before the verb too, so flags seen before it are resolved after.
	type pending struct {
		name, val string
		hasVal    bool
	}
	var deferred []pending
	endOfOpts := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case endOfOpts || a == "-" || !strings.HasPrefix(a, "-"):
			if p.verb == "" && !endOfOpts {
				p.verb = a
				verb = findVerb(verbs, a)
			} else {
				p.args = append(p.args, a)
			}
			continue
		case a == "--":
			endOfOpts = true
			continue
		case a == "-h":
			p.help = true
			continue
		}
		if !strings.HasPrefix(a, "--") {
			// Short option: -d CATEGORIES, -dCATEGORIES, -d=CATEGORIES, -z1.
			o := shortOption(opts, a[1:2])
			if o == nil {
				p.errs = append(p.errs, fmt.Sprintf("unknown option %s", a))
				continue
			}
			val := strings.TrimPrefix(a[2:], "=")
			if a[2:] == "" {
				if i+1 >= len(args) {
					p.errs = append(p.errs, fmt.Sprintf("option %s needs a value", a))
					continue
				}
				i++
				val = args[i]
			}
			p.settings = append(p.settings, config.Setting{Option: o, Value: val, Origin: config.Origin{Kind: config.FromFlag, Name: "-" + o.Short}})
			continue
		}
		name, val, hasVal := strings.Cut(a[2:], "=")
		if o := config.Lookup(opts, name); o != nil {
			if o.Kind == config.KindBool && !hasVal {
				val, hasVal = "yes", true
			}
			if !hasVal && o.Kind == config.KindString && slices.Contains(o.Enum, "yes") {
				val, hasVal = "yes", true
			}
			if !hasVal && i+1 < len(args) {
				i++
				val, hasVal = args[i], true
			}
			if !hasVal {
				p.errs = append(p.errs, fmt.Sprintf("option --%s needs a value", name))
				continue
			}
			p.settings = append(p.settings, config.Setting{Option: o, Value: val, Origin: config.Origin{Kind: config.FromFlag, Name: "--" + name}})
			continue
		}
		if base, ok := strings.CutPrefix(name, "no-"); ok {
			o := config.Lookup(opts, base)
			if o != nil && o.Kind != config.KindBool && !slices.Contains(o.Enum, "no") {
				p.errs = append(p.errs, fmt.Sprintf("option --%s is not a yes/no option, so --%s does not exist", base, name))
				continue
			}
			if o != nil {
				if hasVal {
					p.errs = append(p.errs, fmt.Sprintf("option --%s takes no value", name))
					continue
				}
				p.settings = append(p.settings, config.Setting{Option: o, Value: "no", Origin: config.Origin{Kind: config.FromFlag, Name: "--" + name}})
				continue
			}
		}
		if p.verb == "" {
			// The verb is not known yet, so neither are its flags: keep
			// this one for later. Such a flag must carry its value after
			// "=", since the next argument may be the verb.
			deferred = append(deferred, pending{name: name, val: val, hasVal: hasVal})
			continue
		}
		consumed := p.local1(name, val, hasVal, verb, args, &i)
		if !consumed {
			p.errs = append(p.errs, unknownOption(name, opts, verb))
		}
	}
	for _, d := range deferred {
		i := len(args)
		if !p.local1(d.name, d.val, d.hasVal, verb, args, &i) {
			p.errs = append(p.errs, unknownOption(d.name, opts, verb))
		}
	}
	return p
}

// local1 handles a global or verb-local flag; it reports whether name was one.
func (p *parsed) local1(name, val string, hasVal bool, verb *Verb, args []string, i *int) bool {
	flags := globalFlags()
	if verb != nil {
		flags = append(flags, verb.Flags...)
	}
	for _, f := range flags {
		if f.Name != name {
			continue
		}
		if f.Bool {
			if hasVal {
				b, err := parseYesNo(val)
				if err != nil {
					p.errs = append(p.errs, fmt.Sprintf("--%s: %v", name, err))
					return true
				}
				val = map[bool]string{true: "yes", false: "no"}[b]
			} else {
				val = "yes"
			}
		} else if !hasVal {
			if *i+1 >= len(args) {
				p.errs = append(p.errs, fmt.Sprintf("option --%s needs a value", name))
				return true
			}
			*i++
			val = args[*i]
		}
		if len(f.Enum) > 0 && !slices.Contains(f.Enum, val) {
			msg := fmt.Sprintf("--%s: %q is not one of %s", name, val, strings.Join(f.Enum, ", "))
			if s := config.Suggest(val, f.Enum); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			p.errs = append(p.errs, msg)
			return true
		}
		switch name {
		case "help":
			p.help = val == "yes"
		case "config-dir":
			p.configDirs = append(p.configDirs, val)
		default:
			p.local[name] = val
		}
		return true
	}
	return false
}

func parseYesNo(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "yes", "true", "on":
		return true, nil
	case "0", "no", "false", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no", s)
}

func shortOption(opts []*config.Option, s string) *config.Option {
	for _, o := range opts {
		if o.Short == s {
			return o
		}
	}
	return nil
}

func unknownOption(name string, opts []*config.Option, verb *Verb) string {
	cands := config.Names(opts)
	for _, f := range globalFlags() {
		cands = append(cands, f.Name)
	}
	if verb != nil {
		for _, f := range verb.Flags {
			cands = append(cands, f.Name)
		}
	}
	msg := fmt.Sprintf("unknown option --%s", name)
	if s := config.Suggest(name, cands); s != "" {
		msg += fmt.Sprintf(" (did you mean --%s?)", s)
	}
	return msg
}
