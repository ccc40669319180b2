package render_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/decode"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
	"github.com/ucdeploy/ucdeploy/internal/zone/zonetest"
)

// sampleDeployments decodes every config/samples file the way the CLI does (defaults applied).
func sampleDeployments(t *testing.T) []*v1alpha1.UCDeployment {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "samples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	var out []*v1alpha1.UCDeployment
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := decode.Decode(f, data)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ds {
			out = append(out, &v1alpha1.UCDeployment{ObjectMeta: metav1.ObjectMeta{Name: ds[i].Name, Namespace: "uc"}, Spec: ds[i].Spec})
		}
	}
	return out
}

// TestSampleZonesLoadInBIND loads every zone file of every sample's ConfigMaps with
// named-checkzone: the Lync/SfB records (simple URLs, lyncdiscover, the XMPP SRV of 2015, the
// DNS-load-balanced pool, TeamsOnly's online records) included.
func TestSampleZonesLoadInBIND(t *testing.T) {
	for _, ucd := range sampleDeployments(t) {
		p := plan.Compute(ucd.Name, &ucd.Spec)
		for _, cm := range render.ConfigMaps(ucd, p) {
			for key, text := range cm.Data {
				z, ok := strings.CutSuffix(key, ".zone")
				if !ok {
					continue
				}
				t.Run(cm.Name+"/"+key, func(t *testing.T) { zonetest.CheckZone(t, z, text) })
			}
		}
	}
}

// TestSfBCertificateRequestsGolden: the requests of the Skype for Business samples, in the
// product's own words (Request-CsCertificate -New -Type for SfB, New-ExchangeCertificate for the
// others, R-SFB-03).
func TestSfBCertificateRequestsGolden(t *testing.T) {
	for _, ucd := range sampleDeployments(t) {
		if ucd.Spec.OCS == nil || ucd.Spec.OCS.Version == v1alpha1.OCS2007R2 {
			continue
		}
		p := plan.Compute(ucd.Name, &ucd.Spec)
		t.Run(ucd.Name, func(t *testing.T) {
			got := render.CertificateRequests(p)
			golden(t, "certificate-requests-"+ucd.Name+".ps1.golden", got)
		})
	}
}

// TestItem09PinPointZonesLoadInBIND (issue 26 item 9): with the Dialin simple URL of the
// Skype for Business 2019 sample moved into a domain of its own, the internal ConfigMap holds a
// pin-point zone of that name and no zone for its domain, the external one holds the domain, and
// every zone file loads in named-checkzone.
func TestItem09PinPointZonesLoadInBIND(t *testing.T) {
	const dialin, domain = "dialin.conf-contoso.net", "conf-contoso.net"
	var sfb *v1alpha1.UCDeployment
	for _, ucd := range sampleDeployments(t) {
		if ucd.Spec.OCS != nil && ucd.Spec.OCS.Version == v1alpha1.SfB2019 && ucd.Spec.OCS.PoolIP != "" {
			sfb = ucd
			break
		}
	}
	if sfb == nil {
		t.Fatal("no Skype for Business 2019 sample with a pool address")
	}
	sfb = sfb.DeepCopy()
	if sfb.Spec.OCS.SimpleURLs == nil {
		sfb.Spec.OCS.SimpleURLs = &v1alpha1.SimpleURLsSpec{}
	}
	sfb.Spec.OCS.SimpleURLs.Dialin = dialin
	p := plan.Compute(sfb.Name, &sfb.Spec)
	want := map[string][2]string{ // view: the zone key it must hold, the one it must not
		string(plan.ViewInternal): {dialin + ".zone", domain + ".zone"},
		string(plan.ViewExternal): {domain + ".zone", dialin + ".zone"},
	}
	for _, cm := range render.ConfigMaps(sfb, p) {
		view := cm.Labels["uc.ucdeploy.io/view"]
		if w, ok := want[view]; ok {
			if _, has := cm.Data[w[0]]; !has {
				t.Errorf("%s lacks %s", cm.Name, w[0])
			}
			if _, has := cm.Data[w[1]]; has {
				t.Errorf("%s holds %s", cm.Name, w[1])
			}
			delete(want, view)
		}
	}
	if len(want) != 0 {
		t.Errorf("no ConfigMap for the views %v", want)
	}
	checkZones(t, sfb, p)
}

// checkZones loads every zone file of the ConfigMaps of ucd's plan p with named-checkzone.
func checkZones(t *testing.T, ucd *v1alpha1.UCDeployment, p plan.Plan) {
	t.Helper()
	for _, cm := range render.ConfigMaps(ucd, p) {
		for key, text := range cm.Data {
			if z, ok := strings.CutSuffix(key, ".zone"); ok {
				t.Run(cm.Name+"/"+key, func(t *testing.T) { zonetest.CheckZone(t, z, text) })
			}
		}
	}
}

// TestItem18ChallengeCNAMEsLoadInBIND (issue 26 item 18, R-PKI-13): with
// spec.dns.acmeChallengeDelegation on every sample, the external zone files hold the
// _acme-challenge CNAMEs and every zone still loads in named-checkzone.
func TestItem18ChallengeCNAMEsLoadInBIND(t *testing.T) {
	var cnames int
	for _, ucd := range sampleDeployments(t) {
		ucd = ucd.DeepCopy()
		ucd.Spec.DNS.ACMEChallengeDelegation = "acme.ucdeploy-dns.net"
		p := plan.Compute(ucd.Name, &ucd.Spec)
		for _, r := range p.DNSRecords {
			if strings.HasPrefix(r.Name, "_acme-challenge.") && r.Type == "CNAME" && strings.HasSuffix(r.Data, ".acme.ucdeploy-dns.net.") {
				cnames++
			}
		}
		checkZones(t, ucd, p)
	}
	if cnames == 0 {
		t.Fatal("no sample got an _acme-challenge CNAME: the zones checked hold none")
	}
}
