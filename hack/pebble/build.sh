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
# internal/lab finds the binary in the same cache directory (or at $UCDEPLOY_PEBBLE).
# Environment: UCDEPLOY_CACHE (default $HOME/.cache/ucdeploy).
set -euo pipefail

# The pinned version. It must match go.mod (checked below) and internal/lab's pebbleVersion; it
# names the cache directory.
PEBBLE_VERSION=v2.10.3

cd "$(dirname "${BASH_SOURCE[0]}")"

CACHE_DIR="${UCDEPLOY_CACHE:-$HOME/.cache/ucdeploy}/pebble-${PEBBLE_VERSION#v}"
out="$CACHE_DIR/pebble"

log() { echo "pebble: $*" >&2; }

got=$(go list -m -f '{{.Version}}' github.com/letsencrypt/pebble/v2)
if [[ "$got" != "$PEBBLE_VERSION" ]]; then
	log "go.mod pins github.com/letsencrypt/pebble/v2 $got but build.sh expects $PEBBLE_VERSION; update one of them"
	exit 1
fi

if [[ -x "$out" ]]; then
	log "pebble $PEBBLE_VERSION: cached"
	echo "$out"
	exit 0
fi

mkdir -p "$CACHE_DIR"
tmp="$CACHE_DIR/.pebble.tmp.$$"
trap 'rm -f "$tmp"' EXIT

log "building pebble $PEBBLE_VERSION (first time, about 30 s on 2 cores)..."
start=$SECONDS
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$PEBBLE_VERSION" -o "$tmp" github.com/letsencrypt/pebble/v2/cmd/pebble
"$tmp" -version >/dev/null
mv -f "$tmp" "$out"
log "built pebble in $((SECONDS - start))s"
echo "$out"
