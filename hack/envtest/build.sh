#!/usr/bin/env bash
# build.sh compiles the envtest control-plane binaries (kube-apiserver, etcd,
# kube-controller-manager) from the Go modules pinned in this directory's
# go.mod, so no binary downloads (setup-envtest) are needed. Only the Go module
# proxy (or an already-populated module cache, e.g. GOPROXY=off) is used.
#
# Binaries are cached in a directory named after the pinned versions; a binary
# that already exists there is not rebuilt. Progress goes to stderr and the
# cache directory is printed to stdout as the last line:
#
#   dir=$(hack/envtest/build.sh | tail -1)
#   KUBEBUILDER_ASSETS=$dir go test ./...
#
# Environment: UCDEPLOY_CACHE (default $HOME/.cache/ucdeploy).
set -euo pipefail

# Pinned versions. They must match go.mod (checked below); changing them
# changes the cache directory, i.e. invalidates the cache.
K8S_VERSION=v1.36.3
ETCD_VERSION=v3.6.8

cd "$(dirname "${BASH_SOURCE[0]}")"

CACHE_DIR="${UCDEPLOY_CACHE:-$HOME/.cache/ucdeploy}/envtest/k8s-${K8S_VERSION#v}-etcd-${ETCD_VERSION#v}"

log() { echo "envtest: $*" >&2; }

# Fail early if go.mod and the variables above disagree, otherwise the cache
# directory name would lie about its contents.
check_pin() { # module want
	local got
	got=$(go list -m -f '{{.Version}}' "$1")
	if [[ "$got" != "$2" ]]; then
		log "go.mod pins $1 $got but build.sh expects $2; update one of them"
		exit 1
	fi
}
check_pin k8s.io/kubernetes "$K8S_VERSION"
check_pin go.etcd.io/etcd/server/v3 "$ETCD_VERSION"

# Kubernetes version stamping, as upstream hack/lib/version.sh does it. Without
# it the binaries report v0.0.0-master+$Format:%H$ (envtest itself only probes
# `--help`, but `--version`, /version and client discovery look nicer this way).
# buildDate is the module's publish time so rebuilds are reproducible.
k8s_minor=${K8S_VERSION#v*.}
k8s_minor=${k8s_minor%%.*}
k8s_major=${K8S_VERSION#v}
k8s_major=${k8s_major%%.*}
k8s_date=$(go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$k8s_major"
	k8s_ldflags+=" -X $pkg.gitMinor=$k8s_minor -X $pkg.gitTreeState=clean"
	k8s_ldflags+=" -X $pkg.buildDate=$k8s_date"
done

mkdir -p "$CACHE_DIR"

tmp=""
trap '[[ -z "$tmp" ]] || rm -f "$tmp"' EXIT

# build NAME VERSION PACKAGE LDFLAGS ESTIMATE: go build into a temp file in the
# cache dir, sanity-check it with --version, then rename it into place
# atomically so an interrupted build never leaves a half-written binary.
build() {
	local name=$1 version=$2 pkg=$3 ldflags=$4 estimate=$5
	local out="$CACHE_DIR/$name"
	if [[ -x "$out" ]]; then
		log "$name $version: cached"
		return
	fi
	log "building $name $version (first time, $estimate)..."
	local start=$SECONDS
	tmp="$CACHE_DIR/.$name.tmp.$$"
	CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg"
	"$tmp" --version >/dev/null
	mv -f "$tmp" "$out"
	tmp=""
	log "built $name in $((SECONDS - start))s"
}

build kube-apiserver "$K8S_VERSION" k8s.io/kubernetes/cmd/kube-apiserver \
	"$k8s_ldflags" "~5 min on 2 cores"
build etcd "$ETCD_VERSION" ./cmd/etcd "-s -w" "~30 s on 2 cores"
build kube-controller-manager "$K8S_VERSION" k8s.io/kubernetes/cmd/kube-controller-manager \
	"$k8s_ldflags" "~1.5 min on 2 cores after kube-apiserver"

echo "$CACHE_DIR"
