#!/usr/bin/env bash
# generate.sh writes everything `make docs` generates, from the repository root:
#
#   docs/reference/api.md       crd-ref-docs (pinned in hack/docs/tools/go.mod) over api/, with
#                               the config and templates in hack/docs/api
#   docs/troubleshooting.md     hack/docs/gen, from the finding catalog (internal/plan/catalog.go)
#   docs/guide/*.md             hack/docs/gen, one page per config/samples/*.yaml with the output
#                               of `ucdeploy plan`, around the prose in hack/docs/guide
#   charts/ucdeploy/crds/       copies of config/crd/bases
#   charts/ucdeploy/files/clusterrole.yaml   a copy of config/rbac/role.yaml
#
#   README.md                   the outputs between "<!-- make docs: ucdeploy plan ... -->" and
#                               "<!-- end make docs -->", by hack/docs/gen
#
# Usage: hack/docs/generate.sh [DOCS_DIR [CHART_DIR [README]]]   (defaults: docs charts/ucdeploy README.md)
# verify.sh generates into a temporary directory and compares.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

docs=${1:-docs}
chart=${2:-charts/ucdeploy}
readme=${3:-README.md}
GO=${GO:-go}

mkdir -p "$docs/reference" "$chart/crds" "$chart/files"

"$GO" run -modfile=hack/docs/tools/go.mod github.com/elastic/crd-ref-docs \
	--log-level=error \
	--source-path=api \
	--config=hack/docs/api/config.yaml \
	--renderer=markdown \
	--templates-dir=hack/docs/api/templates \
	--output-path="$docs/reference/api.md"

"$GO" run ./hack/docs/gen -out "$docs" -readme "$readme"

# The chart's copies: crds/ holds exactly the generated CRDs.
rm -f "$chart"/crds/*.yaml
cp config/crd/bases/*.yaml "$chart/crds/"
cp config/rbac/role.yaml "$chart/files/clusterrole.yaml"
