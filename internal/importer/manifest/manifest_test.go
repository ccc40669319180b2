package manifest

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/decode"
)

// TestYAMLDecodes: the YAML carries no status, no empty certificates/dns sections and no
// creationTimestamp, and internal/decode reads it back to the same spec.
func TestYAMLDecodes(t *testing.T) {
	d := &v1alpha1.UCDeployment{ObjectMeta: metav1.ObjectMeta{Name: "contoso", Namespace: "uc"}, Spec: v1alpha1.UCDeploymentSpec{
		SIPDomains: []v1alpha1.FQDN{"contoso.com"},
		OCS:        &v1alpha1.OCSSpec{Version: v1alpha1.SfB2019, Edition: v1alpha1.StandardEdition, PoolFQDN: "sfb01.contoso.com"},
	}}
	out, err := YAML(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"status", "certificates", "dns:", "creationTimestamp"} {
		if strings.Contains(string(out), absent) {
			t.Errorf("the YAML holds %q:\n%s", absent, out)
		}
	}
	objs, err := decode.Decode("x.yaml", out)
	if err != nil || len(objs) != 1 || objs[0].Namespace != "uc" || objs[0].Spec.OCS.PoolFQDN != "sfb01.contoso.com" {
		t.Fatalf("decode: %v %+v\n%s", err, objs, out)
	}
}
