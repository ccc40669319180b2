//go:build tools

// Package tools pins Pebble, Let's Encrypt's test ACME server, built from its Go module by
// build.sh so that the lab (internal/lab) runs a real ACME CA without downloading a release
// binary.
package tools

import (
	_ "github.com/letsencrypt/pebble/v2/cmd/pebble"
)
