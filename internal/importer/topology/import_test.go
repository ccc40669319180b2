package topology

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/decode"
	"github.com/ucdeploy/ucdeploy/internal/importer/manifest"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/text"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// render imports file with opts and returns the golden text: the warnings as comments, then the YAML.
func render(t *testing.T, data []byte, opts Options) string {
	t.Helper()
	res, err := Import(data, opts)
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
	return b.String()
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	data, err := text.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// goldenCases are the topology documents of testdata with the options each is imported with.
var goldenCases = []struct {
	file string
	opts Options
}{
	{"standard-2019.xml", Options{}},
	{"enterprise-2015.xml", Options{Name: "fabrikam", Namespace: "uc", InternalWebFQDN: "webint.fabrikam.com"}},
	{"single-ip-edge-2019.xml", Options{SimpleURLs: []SimpleURL{{Component: "meet", URL: "https://meet.contoso.com/", Source: "--simple-url"}, {Component: "dialin", URL: "https://dialin.contoso.com", Source: "--simple-url"}}}},
	{"lync2013.tbxml", Options{}},
	{"xmpp-2015.xml", Options{XMPPFQDN: "xmpp.contoso.com"}},
}

// TestImportGoldens compares each import with its golden (read against the topology by hand;
// go test -run TestImportGoldens -update rewrites them), and plans each imported YAML, read back
// through internal/decode, without an Error finding.
func TestImportGoldens(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.file, func(t *testing.T) {
			got := render(t, readTestdata(t, c.file), c.opts)
			golden := filepath.Join("testdata", strings.TrimSuffix(c.file, filepath.Ext(c.file))+".golden.yaml")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", c.file, golden, got)
			}
			objs, err := decode.Decode(golden, []byte(got))
			if err != nil {
				t.Fatalf("ucdeploy plan would refuse the import: %v", err)
			}
			// The topology names no cert-manager issuer: the administrator adds them (--public-issuer,
			// --internal-issuer) before planning.
			manifest.SetIssuers(&objs[0].Spec, "public-ca", "corp-ca")
			p := plan.Compute(objs[0].Name, &objs[0].Spec)
			for _, f := range p.Findings {
				if f.Severity == plan.SeverityError {
					t.Errorf("Error finding %s at %s: %s", f.Code, f.Path, f.Message)
				}
			}
		})
	}
}

func utf16LE(s string) []byte {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// TestImportUTF16: the standard topology saved the way Windows PowerShell 5.1's `>` saves it
// (UTF-16LE with a BOM, declaring encoding="utf-16") and as UTF-8 with a BOM imports the same.
func TestImportUTF16(t *testing.T) {
	plain := readTestdata(t, "standard-2019.xml")
	want := render(t, plain, Options{})
	for name, raw := range map[string][]byte{"utf-16le": utf16LE(string(plain)), "utf-8 bom": append([]byte{0xEF, 0xBB, 0xBF}, plain...)} {
		data, err := text.Decode(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := render(t, data, Options{}); got != want {
			t.Errorf("%s imports otherwise:\n%s", name, got)
		}
	}
}

// TestImportReadsTheTopology checks the fields the goldens hold against the documents, so that
// a golden rewritten with -update cannot hide a wrong mapping.
func TestImportReadsTheTopology(t *testing.T) {
	res, err := Import(readTestdata(t, "enterprise-2015.xml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Deployment.Spec
	o := s.OCS
	if strings.Join(fqdnStrings(s.SIPDomains), ",") != "fabrikam.com,fabrikam.net" {
		t.Errorf("sipDomains %v: the default domain first", s.SIPDomains)
	}
	if o.Version != v1alpha1.SfB2015 || o.Edition != v1alpha1.EnterpriseEdition || o.PoolFQDN != "pool01.fabrikam.com" || o.ExternalWebFQDN != "lyncweb.fabrikam.com" {
		t.Errorf("pool %+v", o)
	}
	if len(o.FrontEnds) != 3 || o.FrontEnds[0].IP != "10.1.0.11" || o.FrontEnds[2].IP != "" {
		t.Errorf("front ends %+v (0.0.0.0 is no address)", o.FrontEnds)
	}
	if d := o.Director; d == nil || d.FQDN != "dir01.fabrikam.com" || d.IP != "10.1.0.21" || d.ExternalWebFQDN != "dirweb.fabrikam.com" {
		t.Errorf("director %+v", o.Director)
	}
	e := o.Edge
	if e == nil || e.InternalFQDN != "edgepool.fabrikam.com" || e.InternalIP != "172.16.0.11" || e.AccessFQDN != "sip.fabrikam.com" || e.AccessIP != "203.0.113.10" ||
		e.WebConferencingFQDN != "webconf.fabrikam.com" || e.WebConferencingIP != "203.0.113.11" || e.AVFQDN != "av.fabrikam.com" || e.AVIP != "203.0.113.12" {
		t.Errorf("edge %+v", e)
	}
	if oos := o.OfficeOnlineServer; oos == nil || oos.InternalFQDN != "oos.fabrikam.com" || oos.InternalIP != "10.1.0.31" {
		t.Errorf("office online %+v", oos)
	}
	for _, w := range []string{"RoleName=MediationServer", "Machine Fqdn=edge02.fabrikam.com", "ConfiguredIPAddress=203.0.113.10", "load-balancer address"} {
		if !strings.Contains(strings.Join(res.Warnings, "\n"), w) {
			t.Errorf("no warning about %s in %q", w, res.Warnings)
		}
	}
	single, err := Import(readTestdata(t, "single-ip-edge-2019.xml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e := single.Deployment.Spec.OCS.Edge; e.WebConferencingPort != 444 || e.AccessIP != "198.51.100.10" || e.WebConferencingIP != "198.51.100.10" {
		t.Errorf("single-IP edge %+v", e)
	}
	std, err := Import(readTestdata(t, "standard-2019.xml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if o := std.Deployment.Spec.OCS; o.Edition != v1alpha1.StandardEdition || o.PoolFQDN != "sfb01.contoso.com" || o.PoolIP != "" || o.Version != v1alpha1.SfB2019 || std.Deployment.Name != "contoso-com" {
		t.Errorf("standard %+v", o)
	}
}

func fqdnStrings(in []v1alpha1.FQDN) []string {
	out := make([]string, len(in))
	for i, f := range in {
		out[i] = string(f)
	}
	return out
}
