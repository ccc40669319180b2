//go:build tools

// Package tools pins the code generators and linters the project runs (controller-gen, staticcheck), so that
// `go run` inside this module uses the versions recorded in go.mod and nothing is
// downloaded at run time except through the Go module proxy.
package tools

import (
	_ "honnef.co/go/tools/cmd/staticcheck"
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
