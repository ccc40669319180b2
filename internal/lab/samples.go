package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/decode"
)

// SampleFiles lists config/samples/*.yaml under the repository root, sorted.
func SampleFiles(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("listing samples: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no samples in %s", filepath.Join(root, "config", "samples"))
	}
	sort.Strings(files)
	return files, nil
}

// LoadDeployments decodes the UCDeployments of files with the CLI's validating decoder, so the
// objects are defaulted exactly as the API server would store them.
func LoadDeployments(files ...string) ([]v1alpha1.UCDeployment, error) {
	var out []v1alpha1.UCDeployment
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		ds, err := decode.Decode(f, data)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

// Samples loads every sample deployment of the repository at root.
func Samples(root string) ([]v1alpha1.UCDeployment, error) {
	files, err := SampleFiles(root)
	if err != nil {
		return nil, err
	}
	return LoadDeployments(files...)
}
