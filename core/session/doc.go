// Package session is the server side of an xroam session and the
// command-line clients that talk to it: finding and listing sessions in
// the socket directories, starting the virtual display and the session's
// commands, serving the session socket, and the control requests (info,
// version, detach, stop, exit) that xpra's command-line tools send too.
//
// The socket layout and the list states follow xpra's so that xpra's
// `list`, `info` and `stop` work against xroam sessions and xroam's
// against xpra's.
package session
