// Package sockdiag asks the kernel (netlink NETLINK_SOCK_DIAG, what
// `ss -e` shows) which user owns the other end of a loopback TCP
// connection, so that a socket without authentication can still be kept
// to the session's owner. The reply parser is bounded and fuzzed: it
// reads kernel bytes, but it is the kind of decoder that must never
// index past what it was given.
package sockdiag
