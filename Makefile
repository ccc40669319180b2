# ucdeploy: make demo runs the lab, make test runs the tests.
SHELL := /usr/bin/env bash -o pipefail
GO ?= go
CONTROLLER_GEN := $(GO) run -modfile=hack/tools/go.mod sigs.k8s.io/controller-tools/cmd/controller-gen
STATICCHECK := $(GO) run -modfile=hack/tools/go.mod honnef.co/go/tools/cmd/staticcheck

.PHONY: all help build generate manifests lint test fuzz bench bench-large demo deploy envtest-bins verify-generated

all: build

help: ## List the targets with what each does.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build the ucdeploy binary into bin/.
	$(GO) build -o bin/ucdeploy .

generate: ## Generate deepcopy code from the API types.
	$(CONTROLLER_GEN) object paths=./api/...

manifests: ## Generate the CRD and RBAC manifests from markers.
	$(CONTROLLER_GEN) crd rbac:roleName=ucdeploy-manager paths=./... output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac

# The control-plane binaries, built once from Go modules and cached (hack/envtest/build.sh).
ASSETS = KUBEBUILDER_ASSETS="$$(bash hack/envtest/build.sh | tail -1)"

envtest-bins: ## Build etcd, kube-apiserver and kube-controller-manager from Go modules (cached).
	@bash hack/envtest/build.sh >/dev/null

test: ## Run every test: unit, golden, envtest, end to end (builds the control plane first).
	$(ASSETS) $(GO) test ./... -count=1 -timeout 40m

FUZZTIME ?= 30s
fuzz: ## Run each fuzz target for FUZZTIME (default 30s): the planner (FuzzCompute), the decoder (FuzzDecode) and the importers (FuzzImportTopology, FuzzImportExchange).
	$(GO) test ./internal/plan -run '^$$' -fuzz '^FuzzCompute$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/decode -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/importer/topology -run '^$$' -fuzz '^FuzzImportTopology$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/importer/exchange -run '^$$' -fuzz '^FuzzImportExchange$$' -fuzztime $(FUZZTIME)

lint: verify-generated verify-docs ## gofmt, go vet, staticcheck and stale generated files (code, manifests, docs, chart).
	@fmt=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$fmt" ]; then echo "gofmt needed:"; echo "$$fmt"; exit 1; fi
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./cmd/agent/... ./internal/agent/...
	GOOS=windows $(GO) build -o /dev/null ./cmd/agent
	$(STATICCHECK) ./...

verify-generated: generate manifests ## Fail when generated files differ from what is committed.
	@git diff --exit-code -- api config || { echo "generated files are stale: run make generate manifests and commit"; exit 1; }

demo: ## Start the lab, apply the samples (or DEMO=file), print what was issued; ARGS=--once exits.
	@bash hack/lab/deps.sh
	@bash hack/envtest/build.sh >/dev/null
	@bash hack/pebble/build.sh >/dev/null
	@echo "demo: compiling the lab (the first build takes a few minutes)..."
	@$(GO) build -o bin/lab ./hack/lab
	@$(ASSETS) bin/lab $(ARGS)

IMG ?= ucdeploy:0.1.0
deploy: ## Install config/default (CRD, RBAC, manager) into the current kubectl context, running the image IMG.
	@mkdir -p bin/deploy
	@printf 'resources:\n  - ../../config/default\nimages:\n  - name: ucdeploy\n    newName: %s\n    newTag: "%s"\n' \
		"$$(echo '$(IMG)' | sed 's/:[^:/]*$$//')" "$$(echo '$(IMG)' | sed -n 's/.*:\([^:/]*\)$$/\1/p')" > bin/deploy/kustomization.yaml
	kubectl apply --server-side -k bin/deploy

docker-build: ## Build the container image (needs a Docker engine).
	docker build -t $(IMG) .

# The same image without an engine: an OCI layout tarball with a docker manifest.json, for
# docker load, podman load and crane push (hack/image/main.go says which reads what).
.PHONY: image
image: ## Build bin/ucdeploy-image.tar (linux/amd64 + linux/arm64, tagged $(IMG)) with no container engine.
	$(GO) -C hack/image run . -src $(CURDIR) -out $(CURDIR)/bin/ucdeploy-image.tar -tag $(IMG)

# Documentation and the Helm chart's copies of the manifests, generated from the code
# (hack/docs/generate.sh says what comes from where). `make lint` runs verify-docs.
.PHONY: docs chart verify-docs
docs: ## Generate docs/reference/api.md, docs/troubleshooting.md, docs/guide/ and the chart's copies.
	@bash hack/docs/generate.sh

chart: ## Copy the CRD and the ClusterRole rules from config/ into charts/ucdeploy.
	@rm -f charts/ucdeploy/crds/*.yaml
	@cp config/crd/bases/*.yaml charts/ucdeploy/crds/
	@cp config/rbac/role.yaml charts/ucdeploy/files/clusterrole.yaml

verify-docs: ## Fail when make docs would change a generated page or the chart's copies.
	@bash hack/docs/verify.sh

bench: ## Benchmark N=100,500,1000 UCDeployments against a floor and ingress-shim (docs/performance.md); BENCH_ARGS=-short for CI size.
	@bash hack/envtest/build.sh >/dev/null
	$(ASSETS) $(GO) run ./bench/cmd $(BENCH_ARGS)

bench-large: ## Growth run N=100..5000 (not in CI, about 25 minutes): cost per deployment, bench/results/large and docs/performance-growth.svg.
	@bash hack/envtest/build.sh >/dev/null
	$(ASSETS) $(GO) run ./bench/cmd -n 100,500,1000,2000,5000 -runs 1 -idle-n 1000 -idle 10s -idle-others 0 -real-n 0 -costs-n 0 -verify-n 0 -skip ingress-shim,planner \
		-out bench/results/large -plot docs/performance-growth.svg $(BENCH_ARGS)
