// Package session is the server side of an xroam session: starting the
// virtual display and the session's commands, serving the session socket,
// and answering the control requests (info, version, detach, stop, exit)
// that xpra's command-line tools send too. Clients reach it through
// core/dial; the socket directories are core/sockdir's.
package session
