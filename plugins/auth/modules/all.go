package modules

import "github.com/xroam/xroam/sdk/plugin"

// All returns every module of this package, by name.
func All() map[string]plugin.Auth {
	out := map[string]plugin.Auth{}
	for _, p := range []plugin.Auth{Allow(), Fail(), Env(), Password(), File(), Multifile(), Exec(), Peercred(), Hosts()} {
		out[p.Name] = p
	}
	return out
}
