#!/usr/bin/env bash
# build.sh compiles the helm command line from the Go module pinned in this directory's go.mod
# (helm.sh/helm/v4), so the chart tests never download a release binary. Only the Go module
# proxy, or an already-populated module cache (GOPROXY=off), is used.
#
# The binary is cached in a directory named after the pinned version and is built only once.
# Progress goes to stderr; the path of the binary is the last line on stdout:
#
#   helm=$(hack/helm/build.sh | tail -1)
#   "$helm" template ucdeploy charts/ucdeploy
#
# Environment: UCDEPLOY_CACHE (default $HOME/.cache/ucdeploy).
set -euo pipefail

# The pinned version. It must match go.mod (checked below); it names the cache directory.
HELM_VERSION=v4.3.1

cd "$(dirname "${BASH_SOURCE[0]}")"

CACHE_DIR="${UCDEPLOY_CACHE:-$HOME/.cache/ucdeploy}/helm-${HELM_VERSION#v}"
out="$CACHE_DIR/helm"

log() { echo "helm: $*" >&2; }

got=$(go list -m -f '{{.Version}}' helm.sh/helm/v4)
if [[ "$got" != "$HELM_VERSION" ]]; then
	log "go.mod pins helm.sh/helm/v4 $got but build.sh expects $HELM_VERSION; update one of them"
	exit 1
fi

if [[ -x "$out" ]]; then
	log "helm $HELM_VERSION: cached"
	echo "$out"
	exit 0
fi

mkdir -p "$CACHE_DIR"
tmp="$CACHE_DIR/.helm.tmp.$$"
trap 'rm -f "$tmp"' EXIT

# helm stamps its version through internal/version; without it `helm version` says v4-dev.
ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"

log "building helm $HELM_VERSION (first time, 3-10 min on 2 cores)..."
start=$SECONDS
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp" helm.sh/helm/v4/cmd/helm
"$tmp" version >/dev/null
mv -f "$tmp" "$out"
log "built helm in $((SECONDS - start))s"
echo "$out"
