#!/bin/sh
# Regenerates the committed *.pb.go files; CI does not need protoc.
set -e
cd "$(dirname "$0")"
PATH="$(go env GOPATH)/bin:$PATH"
for p in auth/v1/auth.proto encoder/v1/encoder.proto clipboard/v1/clipboard.proto transport/v1/transport.proto; do
  protoc -I . --go_out=. --go_opt=paths=source_relative \
    --go-grpc_out=. --go-grpc_opt=paths=source_relative "$p"
done
