package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ucdeploy/ucdeploy/internal/install"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
	"github.com/ucdeploy/ucdeploy/internal/zone"
)

// outDirFiles are the files `plan --out-dir DIR` writes for one deployment, by path relative to
// DIR/<deployment>: plan.json; per view a zone file per zone (dns-<view>/<zone>.zone) and the
// Windows DNS script (dns-<view>.ps1); the certificate requests (certificate-requests.ps1); and
// what the controller puts in the install ConfigMap (install/install.json, install/<role>.ps1).
func outDirFiles(d document, ip install.Deployment) (map[string]string, error) {
	files := map[string]string{}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	files["plan.json"] = string(b) + "\n"
	header := "UCDeployment " + qualified(d)
	for _, view := range plan.Views {
		records := d.RecordsFor(view)
		if len(records) == 0 {
			continue
		}
		for _, z := range zone.Zones(records) {
			files[filepath.Join("dns-"+string(view), z+".zone")] = zone.File(z, records, header+" ("+string(view)+" view)")
		}
		files["dns-"+string(view)+".ps1"] = render.PowerShell(d.Plan, view)
	}
	files["certificate-requests.ps1"] = render.CertificateRequests(d.Plan)
	files[filepath.Join("install", "install.json")] = ip.JSON()
	for _, c := range ip.Certificates {
		files[filepath.Join("install", c.Role+".ps1")] = install.Script(c)
	}
	return files, nil
}

// writeDocFiles writes the files of one deployment under dir/<deployment> and returns the paths
// written. Deployment names are Kubernetes names (lower-case DNS labels and dots), and zone and
// role names come from the plan, so no path leaves dir.
func writeDocFiles(dir string, d document, ip install.Deployment) ([]string, error) {
	files, err := outDirFiles(d, ip)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	var written []string
	for rel, text := range files {
		path := filepath.Join(dir, d.Name, rel)
		if !strings.HasPrefix(path, filepath.Clean(dir)+string(filepath.Separator)) {
			return written, fmt.Errorf("%s: %s would leave %s", d.Name, rel, dir)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return written, err
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}
