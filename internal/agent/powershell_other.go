//go:build !windows

package agent

import (
	"context"
	"errors"
)

// runPowerShell is Windows-only: --install windows needs the machine store.
func runPowerShell(context.Context, []string, []string) ([]byte, error) {
	return nil, errors.New("--install windows runs on Windows only; use --install files here")
}
