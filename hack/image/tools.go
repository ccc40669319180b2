//go:build tools

// Package tools pins crane, go-containerregistry's command line, at the version this module's
// go.mod records, for pushing the image (README): run from the repository root,
//
//	go run -modfile=hack/image/go.mod github.com/google/go-containerregistry/cmd/crane push ...
package tools

import (
	_ "github.com/google/go-containerregistry/cmd/crane"
)
