package session

import (
	"slices"
	"strings"
)

// secretEnv names the server's environment variables that hold
// passwords: those the configured auth modules read (the env module's
// name=, XROAM_PASSWORD by default) and the clients' password variables.
// The session's commands and its X server run without them.
func (s *Server) secretEnv() []string {
	names := []string{"XROAM_PASSWORD", "XPRA_PASSWORD"}
	if s.opts.Plugins != nil {
		names = append(names, s.opts.Plugins.AuthEnv()...)
	}
	return names
}

// withoutVars returns env less the variables named.
func withoutVars(env, names []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(names, k)
	})
}
