// Package clipsync is xpra's clipboard protocol between two clipboard
// backends, one at each end of a connection: the server's (its session's
// display) and the attach client's (the user's display). The same code runs
// on both sides, as in xpra, where the protocol is symmetric.
//
// A local owner change becomes a clipboard-token for the peer; a peer's
// token becomes a claim on the local display; an application's paste of a
// claimed selection becomes a clipboard-request to the peer, answered with
// clipboard-contents (or clipboard-contents-none), which completes the
// paste. Direction settings, the filter file and size limits are applied
// here, before anything reaches the wire or the display.
//
// Nothing here waits on the peer or on a local application in the
// connection's read loop: backend calls run in goroutines bounded in number
// and in time, requests to the peer expire after Timeout, so a slow or
// vanished peer costs a refused paste, never a stuck session.
package clipsync
