#!/usr/bin/env bash
# build.sh compiles Pebble, Let's Encrypt's test ACME server, from the Go module pinned in this
# directory's go.mod (github.com/letsencrypt/pebble/v2), so the lab never downloads a release
# binary. Only the Go module proxy, or an already-populated module cache (GOPROXY=off), is used.
#
# The binary is cached in a directory named after the pinned version and is built only once.
# Progress goes to stderr; the path of the binary is the last line on stdout:
#
#   pebble=$(hack/pebble/build.sh | tail -1)
#
# internal/lab runs this script to find (and on first use build) the binary.
# Environment: UCDEPLOY_CACHE (default $HOME/.cache/ucdeploy).
set -euo pipefail

# The pinned version. It must match go.mod (checked below); it names the cache directory.
PEBBLE_VERSION=v2.10.3

cd "$(dirname "${BASH_SOURCE[0]}")"
source ../lib/gobuild.sh

check_pin pebble github.com/letsencrypt/pebble/v2 "$PEBBLE_VERSION"
cached_build pebble "$PEBBLE_VERSION" github.com/letsencrypt/pebble/v2/cmd/pebble \
	"-s -w -X main.version=$PEBBLE_VERSION" "about 30 s on 2 cores" -version
