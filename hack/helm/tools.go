//go:build tools

// Package tools pins the helm command line, built from its Go module by build.sh so that the
// chart tests (test/chart) can run `helm template` without downloading a release binary.
package tools

import (
	_ "helm.sh/helm/v4/cmd/helm"
)
