#!/usr/bin/env bash
# Makes the ICS-23 interop test (test/merkle/go-ics23.test.ts) ready to run: fetches the
# reference Go implementation, github.com/cosmos/ics23/go (pinned, unmodified, in
# go-ics23/go.mod and go.sum), through the Go module proxy and compiles the checker once, so the
# test itself starts from a warm build cache. Idempotent: a second run finds everything cached.
# Needs Go >= 1.21 on PATH (CI has it for the compatibility suite).
#
#   bash test/merkle/install.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

if ! command -v go > /dev/null 2>&1; then
  echo "merkle install: FAILED: go is not on PATH (the ICS-23 interop test needs Go >= 1.21)" >&2
  exit 1
fi
cd "$HERE/go-ics23"
go mod download
go mod verify > /dev/null
# Compile only (the binary is thrown away): what the test's `go run` needs is now cached.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/go-ics23" .
echo "merkle install: github.com/cosmos/ics23/go ready ($(go version | cut -d' ' -f3))"
