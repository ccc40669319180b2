package exchange

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/decode"
	"github.com/ucdeploy/ucdeploy/internal/importer/manifest"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestImportGoldens compares each import (warnings as comments, then the YAML) with its golden,
// read against the JSON by hand, and plans it, issuers named, without an Error finding.
func TestImportGoldens(t *testing.T) {
	for _, file := range []string{"consistent-2016.json", "inconsistent-2019.json"} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Import(data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			out, err := manifest.YAML(res.Deployment)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, w := range res.Warnings {
				b.WriteString("# warning: " + w + "\n")
			}
			b.Write(out)
			golden := filepath.Join("testdata", strings.TrimSuffix(file, ".json")+".golden.yaml")
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("differs from %s:\n%s", golden, b.String())
			}
			objs, err := decode.Decode(golden, out)
			if err != nil {
				t.Fatalf("ucdeploy plan would refuse the import: %v", err)
			}
			manifest.SetIssuers(&objs[0].Spec, "public-ca", "corp-ca")
			for _, f := range plan.Compute(objs[0].Name, &objs[0].Spec).Findings {
				if f.Severity == plan.SeverityError {
					t.Errorf("Error finding %s at %s: %s", f.Code, f.Path, f.Message)
				}
			}
		})
	}
}

// TestImportReadsTheShapes checks the fields against the JSON: the namespace most URLs name, the
// default domain first, the wildcard domain left out, Uri objects, a bare single server, the
// Windows PowerShell 5.1 {"value": [...]} wrapper, and one warning per inconsistency.
func TestImportReadsTheShapes(t *testing.T) {
	data, err := os.ReadFile("testdata/inconsistent-2019.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ex := res.Deployment.Spec.Exchange
	if ex.ExternalFQDN != "mail.fabrikam.com" || ex.Version != v1alpha1.Exchange2019 || len(ex.SMTPDomains) != 1 || ex.SMTPDomains[0] != "fabrikam.com" ||
		len(ex.Servers) != 1 || ex.Servers[0].FQDN != "mbx1.fabrikam.local" || ex.Servers[0].NetBIOSName != "MBX1" || res.Deployment.Name != "fabrikam-com" {
		t.Errorf("%+v", ex)
	}
	all := strings.Join(res.Warnings, "\n")
	for _, w := range []string{"EWS on MBX1 ExternalUrl names webmail.fabrikam.com", "OWA on MBX1 InternalUrl names the server mbx1.fabrikam.local", "*.fabrikam.org", "AutoDiscoverServiceInternalUri names mbx1.fabrikam.local", "15.2"} {
		if !strings.Contains(all, w) {
			t.Errorf("no warning %q in\n%s", w, all)
		}
	}
	clean, err := os.ReadFile("testdata/consistent-2016.json")
	if err != nil {
		t.Fatal(err)
	}
	if res, err := Import(clean, Options{}); err != nil || len(res.Warnings) != 0 || res.Deployment.Spec.Exchange.Version != v1alpha1.Exchange2016 {
		t.Errorf("a consistent organisation: %v %q", err, res.Warnings)
	}
}

// TestImportRefuses: not JSON, JSON of another shape, and an organisation publishing nothing.
func TestImportRefuses(t *testing.T) {
	for in, want := range map[string]string{
		"<Topology/>":           "not JSON",
		`{"kind":"Deployment"}`: "no Servers",
		`[1,2]`:                 "not JSON of the expected shape",
		`{"Servers":{"Fqdn":"a.b.c"},"OWA":{"InternalUrl":"https://a.b.c/owa"}}`: "publishes nothing",
		`{"Servers":"x","OWA":{}}`: "Servers",
	} {
		if _, err := Import([]byte(in), Options{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}
