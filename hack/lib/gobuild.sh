# gobuild.sh: shell functions for the build scripts that compile a tool from its pinned Go
# module into the binary cache ($UCDEPLOY_CACHE, default $HOME/.cache/ucdeploy), used by
# hack/helm/build.sh and hack/pebble/build.sh. Source it from the directory of the tool's go.mod.

# check_pin TOOL MODULE WANT: fail unless go.mod pins MODULE at WANT, otherwise the cache
# directory, named after WANT, would lie about its contents.
check_pin() {
	local got
	got=$(go list -m -f '{{.Version}}' "$2")
	if [[ "$got" != "$3" ]]; then
		echo "$1: go.mod pins $2 $got but build.sh expects $3; update one of them" >&2
		exit 1
	fi
}

# cached_build TOOL VERSION PACKAGE LDFLAGS ESTIMATE CHECK-ARG: build PACKAGE into
# $CACHE/TOOL-VERSION/TOOL unless it is there, sanity-check it with `TOOL CHECK-ARG`, move it into
# place atomically (an interrupted build leaves no half-written binary) and print its path as
# the last line on stdout. Progress goes to stderr.
cached_build() {
	local tool=$1 version=$2 pkg=$3 ldflags=$4 estimate=$5 check=$6
	local dir="${UCDEPLOY_CACHE:-$HOME/.cache/ucdeploy}/$tool-${version#v}"
	local out="$dir/$tool"
	if [[ -x "$out" ]]; then
		echo "$tool: $tool $version: cached" >&2
		echo "$out"
		return
	fi
	mkdir -p "$dir"
	local tmp="$dir/.$tool.tmp.$$"
	trap 'rm -f "'"$tmp"'"' EXIT
	echo "$tool: building $tool $version (first time, $estimate)..." >&2
	local start=$SECONDS
	CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg"
	"$tmp" "$check" >/dev/null
	mv -f "$tmp" "$out"
	echo "$tool: built $tool in $((SECONDS - start))s" >&2
	echo "$out"
}
