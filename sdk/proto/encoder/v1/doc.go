// Package encoderv1 holds the generated gRPC code of the encoder plugin
// service, version 1. It is generated from encoder.proto by ../../gen.sh and
// committed so that building needs no protoc; plugin authors use sdk/encoder.
package encoderv1
