// Package auth is the Go side of an xroam authentication plugin: the
// request and response types, the Authenticator interface a module
// implements, and the xpra challenge math (salt digest, HMAC response, the
// xor digest) so that password-holding modules verify a client's proof in
// constant time without the core ever learning how a password is stored.
//
// An error from Prepare or Authenticate always means "deny": callers fail
// closed, and so does the host when a plugin process is gone.
package auth
