package agent

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// runPowerShell runs Windows PowerShell 5.1 (powershell.exe from System32, not whatever PATH
// finds first) with args, the agent's environment plus env, and no console window.
func runPowerShell(ctx context.Context, args, env []string) ([]byte, error) {
	exe := filepath.Join(os.Getenv("SystemRoot"), "System32", "WindowsPowerShell", "v1.0", "powershell.exe")
	if os.Getenv("SystemRoot") == "" {
		return nil, fmt.Errorf("SystemRoot is not set: cannot find powershell.exe")
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true}
	return cmd.CombinedOutput()
}
