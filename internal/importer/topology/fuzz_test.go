package topology

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ucdeploy/ucdeploy/internal/importer/manifest"
)

// FuzzImportTopology: no input makes Import panic, and every import it accepts renders as YAML.
// The seeds are the testdata documents and a few broken ones.
func FuzzImportTopology(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	tb, _ := filepath.Glob("testdata/*.tbxml")
	for _, name := range append(files, tb...) {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`<Topology xmlns="urn:schema:Microsoft.Rtc.Management.Deploy.Topology.2008"><InternalDomains DefaultDomain="a.b"><InternalDomain Name="a.b"/></InternalDomains></Topology>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Import(data, Options{XMPPFQDN: "xmpp.a.b"})
		if err != nil {
			return
		}
		if res.Deployment == nil {
			t.Fatal("no error and no deployment")
		}
		if _, err := manifest.YAML(res.Deployment); err != nil {
			t.Fatalf("an accepted import does not render: %v", err)
		}
	})
}
