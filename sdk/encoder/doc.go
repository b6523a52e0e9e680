// Package encoder is the Go side of an xroam encoder plugin: the frame,
// request and response types and the Encoder interface. An encoder sees a
// frame's pixels as a byte slice; when it runs as a subprocess that slice
// is a view of the shared-memory segment the core filled, so pixels are
// never copied through gRPC.
package encoder
