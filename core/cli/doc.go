// Package cli is the xroam command line: the verbs, xpra's option
// spelling, help and the man page. It is a library so that tests run the
// whole command in-process, with their own arguments, environment and
// output, exactly as the binary does.
package cli
