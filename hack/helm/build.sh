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
source ../lib/gobuild.sh

check_pin helm helm.sh/helm/v4 "$HELM_VERSION"
# helm stamps its version through internal/version; without it `helm version` says v4-dev.
cached_build helm "$HELM_VERSION" helm.sh/helm/v4/cmd/helm \
	"-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" "3-10 min on 2 cores" version
