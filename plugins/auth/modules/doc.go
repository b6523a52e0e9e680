// Package modules implements xroam's authentication modules as the xpra
// man page describes them: allow, fail, env, password, file, multifile,
// exec, peercred and hosts. Each is a plugin.Auth value: the binaries in
// plugins/auth/<name> serve one of them out of process, and the host runs
// allow and fail in-process, through the same code, so that a bare install
// works. Modules that hold a password verify the client's proof with the
// SDK's constant-time challenge helpers and never hand the password out.
package modules
