// Package modules holds the network transports: tcp (with TLS and
// websocket upgrades), ssl and ws/wss (with the HTTP server of the HTML5
// client). Each runs as its own plugin binary; they share one engine that
// classifies a new connection by its first byte, does the TLS and
// websocket handshakes, and hands the result to the core: a plain TCP
// socket by its descriptor, a TLS or websocket stream through a relay.
package modules
