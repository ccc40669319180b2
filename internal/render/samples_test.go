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
