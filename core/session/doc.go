// Package session is the server side of an xroam session: starting the
// virtual display and the session's commands, serving the session socket,
// and answering the control requests (info, version, detach, stop, exit)
// that xpra's command-line tools send too. Each feature (windows,
// keyboard, clipboard, NX settings, …) is a subsystem with hooks into
// the attach and its own packet handlers (see subsystem.go). Clients
// reach it through core/dial; the socket directories are core/sockdir's.
package session
