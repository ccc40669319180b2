//go:build !windows

package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The reload command runs through sh, which only the Linux (files) mode has.

func TestFilesInstallerRunsARealReloadCommand(t *testing.T) {
	dir := t.TempDir()
	mark := filepath.Join(dir, "reloaded")
	argv, err := SplitCommand(`echo "$UCDEPLOY_ROLE $UCDEPLOY_THUMBPRINT" > ` + mark)
	if err != nil {
		t.Fatal(err)
	}
	f := &FilesInstaller{Dir: dir, Reload: argv}
	c := filesCert(t, 1, "")
	if _, err := f.Bind(context.Background(), c, Inputs{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(mark); strings.TrimSpace(string(b)) != "pool "+c.Thumbprint {
		t.Errorf("the reload command wrote %q", b)
	}
	f.Reload = []string{"sh", "-c", "echo it broke; exit 3"}
	if _, err := f.Bind(context.Background(), c, Inputs{}); err == nil || !strings.Contains(err.Error(), "it broke") {
		t.Errorf("a failing reload: %v", err)
	}
}
