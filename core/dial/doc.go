// Package dial is how a client reaches a session: connection strings
// (":N", socket paths, tcp://, ssl://, quic://, ws://, wss://, ssh://),
// dialing each transport with its TLS checks, xpra's packet encryption
// on the client side, the one-shot requests of the command-line clients
// (info, version, stop, …) with the answer to a server's password
// challenge, and finding sessions on the local network with mDNS.
//
// It holds nothing of the server, so that a client does not link it.
package dial
