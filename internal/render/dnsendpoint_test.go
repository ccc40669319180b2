package render_test

import (
	"fmt"
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// withDNSEndpoints returns contosoUCD with spec.dns.dnsEndpoint set.
func withDNSEndpoints(enabled bool, views ...v1alpha1.DNSView) *v1alpha1.UCDeployment {
	ucd := contosoUCD()
	ucd.Spec.DNS.DNSEndpoint = &v1alpha1.DNSEndpointSpec{Enabled: enabled, Views: views}
	return ucd
}

func TestDNSEndpointViews(t *testing.T) {
	for _, tc := range []struct {
		name string
		ucd  *v1alpha1.UCDeployment
		want []plan.View
	}{
		{"not set", contosoUCD(), nil},
		{"disabled", withDNSEndpoints(false, v1alpha1.ExternalView), nil},
		{"enabled without views means external", withDNSEndpoints(true), []plan.View{plan.ViewExternal}},
		{"internal", withDNSEndpoints(true, v1alpha1.InternalView), []plan.View{plan.ViewInternal}},
		{"both, internal first", withDNSEndpoints(true, v1alpha1.ExternalView, v1alpha1.InternalView), []plan.View{plan.ViewInternal, plan.ViewExternal}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := render.DNSEndpointViews(tc.ucd); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("views %v, want %v", got, tc.want)
			}
			if got := render.DNSEndpoints(tc.ucd, contosoPlan()); len(got) != len(tc.want) {
				t.Errorf("%d DNSEndpoints, want %d", len(got), len(tc.want))
			}
		})
	}
}

// TestTarget checks the target formats against external-dns's rules (endpoint.NewMXRecord,
// endpoint.NewSRVRecord and the CRD source's trailing-dot check), written out by hand.
func TestTarget(t *testing.T) {
	for _, tc := range []struct{ typ, data, want string }{
		{"A", "131.107.155.10", "131.107.155.10"},
		{"CNAME", "mail.contoso.com.", "mail.contoso.com"},
		{"SRV", "0 0 5061 sip.contoso.com.", "0 0 5061 sip.contoso.com."},
		{"SRV", "0  0 443 sip.contoso.com", "0 0 443 sip.contoso.com."},
		{"MX", "10 mail.contoso.com.", "10 mail.contoso.com"},
		{"MX", "20 mail2.contoso.com", "20 mail2.contoso.com"},
	} {
		got := render.Endpoints([]plan.Record{{Name: "x.contoso.com", Type: tc.typ, Data: tc.data}})[0].Targets[0]
		if got != tc.want {
			t.Errorf("%s %q: target %q, want %q", tc.typ, tc.data, got, tc.want)
		}
	}
}

func TestEndpointsGroupByNameAndType(t *testing.T) {
	records := []plan.Record{
		{Name: "sip.contoso.com", Type: "A", TTL: 3600, Data: "131.107.155.11"},
		{Name: "contoso.com", Type: "MX", TTL: 3600, Data: "20 mail2.contoso.com."},
		{Name: "sip.contoso.com", Type: "A", TTL: 300, Data: "131.107.155.10"},
		{Name: "contoso.com", Type: "MX", TTL: 3600, Data: "10 mail.contoso.com."},
		{Name: "sip.contoso.com", Type: "A", TTL: 3600, Data: "131.107.155.10"},
		{Name: "_sip._tls.contoso.com", Type: "SRV", TTL: 3600, Data: "0 0 443 sip.contoso.com."},
	}
	want := []render.Endpoint{
		{DNSName: "_sip._tls.contoso.com", RecordType: "SRV", RecordTTL: 3600, Targets: []string{"0 0 443 sip.contoso.com."}},
		{DNSName: "contoso.com", RecordType: "MX", RecordTTL: 3600, Targets: []string{"10 mail.contoso.com", "20 mail2.contoso.com"}},
		{DNSName: "sip.contoso.com", RecordType: "A", RecordTTL: 300, Targets: []string{"131.107.155.10", "131.107.155.11"}},
	}
	if got := render.Endpoints(records); !reflect.DeepEqual(got, want) {
		t.Errorf("endpoints\n%+v\nwant\n%+v", got, want)
	}
	if got := render.Endpoints(nil); got == nil || len(got) != 0 {
		t.Errorf("no records: %#v, want an empty list", got)
	}
}

func TestDNSEndpointsObjects(t *testing.T) {
	ucd := withDNSEndpoints(true, v1alpha1.InternalView, v1alpha1.ExternalView)
	p := contosoPlan()
	objs := render.DNSEndpoints(ucd, p)
	if len(objs) != 2 {
		t.Fatalf("%d DNSEndpoints, want 2", len(objs))
	}
	for i, view := range []plan.View{plan.ViewInternal, plan.ViewExternal} {
		u := objs[i]
		if u.GetAPIVersion() != "externaldns.k8s.io/v1alpha1" || u.GetKind() != "DNSEndpoint" {
			t.Errorf("%s: %s %s", u.GetName(), u.GetAPIVersion(), u.GetKind())
		}
		checkMeta(t, metaOf(u.GetName(), u.GetNamespace(), u.GetLabels(), u.GetAnnotations(), u.GetOwnerReferences()), "contoso-uc-dns-"+string(view), map[string]string{
			"app.kubernetes.io/managed-by": "ucdeploy", "uc.ucdeploy.io/deployment": "contoso-uc", "uc.ucdeploy.io/view": string(view),
		})
		got, err := endpointsOf(u)
		if err != nil {
			t.Fatal(err)
		}
		if want := render.Endpoints(p.RecordsFor(view)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: endpoints %+v, want %+v", u.GetName(), got, want)
		}
	}
	golden(t, "dnsendpoints.yaml.golden", yamlDocuments(t, objs))
}

// metaOf gathers an unstructured object's metadata for checkMeta.
func metaOf(name, namespace string, labels, annotations map[string]string, owners []metav1.OwnerReference) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels, Annotations: annotations, OwnerReferences: owners}
}

// endpointsOf reads spec.endpoints of a rendered DNSEndpoint.
func endpointsOf(u *unstructured.Unstructured) ([]render.Endpoint, error) {
	var spec struct {
		Endpoints []render.Endpoint `json:"endpoints"`
	}
	content, _, err := unstructured.NestedMap(u.Object, "spec")
	if err != nil {
		return nil, fmt.Errorf("DNSEndpoint %s: %w", u.GetName(), err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(content, &spec); err != nil {
		return nil, fmt.Errorf("DNSEndpoint %s: spec: %w", u.GetName(), err)
	}
	return spec.Endpoints, nil
}
