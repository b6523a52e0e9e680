// Package sockdir is where sessions keep their sockets, for the server
// that creates one and for the clients that look for it: the socket
// directories and their expansion, finding the socket of display :N,
// and listing the sessions with their state (LIVE, DEAD, …) as probed by
// connecting.
//
// The layout and the states follow xpra's so that xpra's `list`, `info`
// and `stop` find xroam sessions and xroam finds xpra's.
package sockdir
