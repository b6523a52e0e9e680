// Package authv1 holds the generated gRPC code of the auth plugin service,
// version 1. It is generated from auth.proto by ../../gen.sh and committed so
// that building needs no protoc; plugin authors use sdk/auth instead.
package authv1
