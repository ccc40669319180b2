package lab_test

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/lab/named"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// TestZonesOfSharedName: two deployments that publish one zone with different CNAMEs for one
// name (contoso-ee and fabrikam-sfb both publish autodiscover.fabrikam.com) make one zone that
// loads: the first deployment's CNAME answers, the other is left out as a comment, and every
// other record of both is kept.
func TestZonesOfSharedName(t *testing.T) {
	cm := func(ns, body string) corev1.ConfigMap {
		return corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x-dns-external", Labels: map[string]string{render.LabelView: "external"}},
			Data:       map[string]string{render.ZoneKey("fabrikam.com"): body},
		}
	}
	zones := lab.ZonesOf([]corev1.ConfigMap{
		cm("b", "$ORIGIN fabrikam.com.\n$TTL 3600\nautodiscover 3600 IN CNAME mail.fabrikam.com.\nmail 3600 IN A 198.51.100.60\n"),
		cm("a", "$ORIGIN fabrikam.com.\n$TTL 3600\nautodiscover 3600 IN CNAME mail.contoso.com.\n@ 3600 IN MX 10 mail.contoso.com.\n"),
	})[named.External]
	if len(zones) != 1 {
		t.Fatalf("zones %v", zones)
	}
	zp := dns.NewZoneParser(strings.NewReader(zones[0].Body), "fabrikam.com.", "")
	var got []string
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		got = append(got, strings.Join(strings.Fields(rr.String()), " "))
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("the merged zone does not parse: %v\n%s", err, zones[0].Body)
	}
	want := []string{
		"autodiscover.fabrikam.com. 3600 IN CNAME mail.contoso.com.",
		"fabrikam.com. 3600 IN MX 10 mail.contoso.com.",
		"mail.fabrikam.com. 3600 IN A 198.51.100.60",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s\nzone:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), zones[0].Body)
	}
	if !strings.Contains(zones[0].Body, "; left out") {
		t.Errorf("the conflicting CNAME is not noted:\n%s", zones[0].Body)
	}
}
