// Package clipboard is the Go side of an xroam clipboard plugin: the
// Backend interface a clipboard backend implements, and its request,
// response and event types.
//
// A backend sits on one display (the session's on the server, the user's
// on the client). The core relays between two backends, one at each end of
// an xpra connection: a local owner change becomes a token for the peer, a
// peer's token becomes a Claim, and an application's paste of a claimed
// selection becomes a Wanted event that the core answers with Answer once
// the peer sent the data.
package clipboard
