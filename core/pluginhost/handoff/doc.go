// Package handoff is the core's end of the transport handoff socket: it
// reads the messages a transport plugin sends (a JSON header and one
// descriptor), checks them as untrusted input, and makes connections of
// them whose addresses say which socket type they came from.
package handoff
