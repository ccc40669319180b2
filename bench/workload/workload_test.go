package workload

import (
	"testing"

	"github.com/ucdeploy/ucdeploy/internal/lab"
)

// TestDeploymentsShareNoDNSName: every organisation label of the samples is varied, so no two
// generated deployments publish a record of the same name. A shared name would make the DNS
// verification phase's named serve one deployment's records to another.
func TestDeploymentsShareNoDNSName(t *testing.T) {
	root, err := lab.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	samples, err := lab.Samples(root)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Generate(samples, 2*len(samples), Namespaces("t", 3))
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{}
	for _, d := range ds {
		for _, r := range d.Plan.DNSRecords {
			if o, ok := owner[r.Name]; ok && o != d.Object.Name {
				t.Errorf("%s publishes %s, which %s publishes too", d.Object.Name, r.Name, o)
			}
			owner[r.Name] = d.Object.Name
		}
	}
}
