// Package transportv1 holds the generated gRPC code of the transport
// plugin service, version 1. It is generated from transport.proto by
// ../../gen.sh and committed so that building needs no protoc; plugin
// authors use sdk/transport instead.
package transportv1
