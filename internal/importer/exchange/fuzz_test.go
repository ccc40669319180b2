package exchange

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ucdeploy/ucdeploy/internal/importer/manifest"
)

// FuzzImportExchange: no input makes Import panic, and every import it accepts renders as YAML
// with an external namespace.
func FuzzImportExchange(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"Servers":{"Fqdn":"a.b.c","AdminDisplayVersion":"Version 8.3"},"OWA":{"ExternalUrl":{"Host":"m.b.c"}}}`))
	f.Add([]byte(`{"Servers":[],"EWS":{"value":[{"ExternalUrl":"https://[::1"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Import(data, Options{})
		if err != nil {
			return
		}
		if res.Deployment.Spec.Exchange == nil || res.Deployment.Spec.Exchange.ExternalFQDN == "" {
			t.Fatal("an accepted import without exchange.externalFQDN")
		}
		if _, err := manifest.YAML(res.Deployment); err != nil {
			t.Fatalf("an accepted import does not render: %v", err)
		}
	})
}
