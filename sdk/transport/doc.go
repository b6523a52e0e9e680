// Package transport is what a transport plugin implements: it listens on
// network addresses, does its transport's handshake (TLS, websocket, …)
// and hands each connection to the xroam core through a Handoff.
//
// A plain byte stream (tcp, vsock) is handed over as its file descriptor,
// so the core reads the socket directly. A transport that must keep its
// framing relays the decoded stream through a socketpair whose other end
// it hands over instead. Either way the untrusted network framing is
// parsed in the plugin process, never in the core.
//
// The handoff travels over a private SOCK_SEQPACKET unix socket that the
// host gives the plugin (see HandoffFDEnv): one message per connection, a
// small JSON header (see Meta) with exactly one descriptor attached by
// SCM_RIGHTS.
package transport
