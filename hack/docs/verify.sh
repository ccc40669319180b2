#!/usr/bin/env bash
# verify.sh fails when `make docs` would change a generated file: it generates everything into a
# temporary directory and compares it with the files in the working tree. Comparing files rather
# than `git status` keeps hand-written pages in docs/ (and uncommitted work) out of the check,
# and catches new, missing and changed generated files alike.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bash hack/docs/generate.sh "$tmp/docs" "$tmp/chart" "$tmp/README.md"

status=0
check() { # generated current
	if ! diff -ruN "$2" "$1" >"$tmp/diff"; then
		status=1
		echo "stale: $2" >&2
		head -40 "$tmp/diff" >&2
	fi
}
check "$tmp/README.md" README.md
check "$tmp/docs/reference/api.md" docs/reference/api.md
check "$tmp/docs/troubleshooting.md" docs/troubleshooting.md
check "$tmp/docs/guide" docs/guide
check "$tmp/chart/crds" charts/ucdeploy/crds
check "$tmp/chart/files/clusterrole.yaml" charts/ucdeploy/files/clusterrole.yaml
# docs/DOMAIN.md and docs/DOMAIN-CURRENT.md are the repository's copies of the shared domain
# reference (parts 1 and 2), so that the tests that check citations against them run wherever the
# repository is cloned. Where the shared docs are checked out beside the repository, the copies
# must match them.
for domain in DOMAIN.md DOMAIN-CURRENT.md; do
	if [[ -f ../shared/docs/$domain ]] && ! cmp -s "../shared/docs/$domain" "docs/$domain"; then
		status=1
		echo "stale: docs/$domain differs from ../shared/docs/$domain: copy it over" >&2
	fi
done
if [[ $status != 0 ]]; then
	echo "generated documentation is stale: run make docs and commit the result" >&2
fi
exit $status
