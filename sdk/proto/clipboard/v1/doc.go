// Package clipboardv1 holds the generated gRPC code of the clipboard plugin
// service, version 1. It is generated from clipboard.proto by ../../gen.sh
// and committed so that building needs no protoc; plugin authors use
// sdk/clipboard instead.
package clipboardv1
