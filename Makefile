# ucdeploy: make demo runs the lab, make test runs the tests.
SHELL := /usr/bin/env bash -o pipefail
GO ?= go
CONTROLLER_GEN := $(GO) run -modfile=hack/tools/go.mod sigs.k8s.io/controller-tools/cmd/controller-gen

.PHONY: all build generate manifests lint test fuzz bench demo envtest-bins verify-generated

all: build

build: ## Build the ucdeploy binary into bin/.
	$(GO) build -o bin/ucdeploy .

generate: ## Generate deepcopy code from the API types.
	$(CONTROLLER_GEN) object paths=./api/...

manifests: ## Generate the CRD and RBAC manifests from markers.
	$(CONTROLLER_GEN) crd rbac:roleName=ucdeploy-manager paths=./... output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
