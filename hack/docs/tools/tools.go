//go:build tools

// Package tools pins the API reference generator (crd-ref-docs) that `make docs` runs, so
// `go run -modfile=hack/docs/tools/go.mod` uses the version recorded in go.mod and nothing is
// downloaded except through the Go module proxy.
package tools

import (
	_ "github.com/elastic/crd-ref-docs"
)
