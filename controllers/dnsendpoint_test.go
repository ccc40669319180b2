package controllers_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// dnsEndpointGVK is external-dns's kind, written out here rather than taken from render.
var dnsEndpointGVK = schema.GroupVersionKind{Group: "externaldns.k8s.io", Version: "v1alpha1", Kind: "DNSEndpoint"}

// TestDNSEndpoints enables spec.dns.dnsEndpoint before external-dns's CRD exists (the status says
// CRDNotInstalled and Ready is unaffected), installs the real CRD (config/crd/external, copied
// from external-dns) and follows the DNSEndpoints through drift, view changes and disabling.
func TestDNSEndpoints(t *testing.T) {
	ctx := context.Background()
	s := sample(t, "contoso-ee")
	s.Spec.DNS.DNSEndpoint = &v1alpha1.DNSEndpointSpec{Enabled: true} // views default to [external]
	ucd := create(t, s, namespace(t))
	key := client.ObjectKeyFromObject(ucd)
	p := plan.Compute(s.Name, &s.Spec)
	if live := get(t, key); !slices.Equal(live.Spec.DNS.DNSEndpoint.Views, []v1alpha1.DNSView{"external"}) {
		t.Errorf("views %v: the API server should default them to [external]", live.Spec.DNS.DNSEndpoint.Views)
	}

	if crdInstalled(t) {
		t.Log("the DNSEndpoint CRD is already installed (-count > 1?): skipping the CRDNotInstalled part")
	} else {
		start := time.Now()
		got := waitCondition(t, key, "DNSEndpointsReady", "False/CRDNotInstalled")
		if c := findCondition(got, "DNSEndpointsReady"); !strings.Contains(c.Message, "externaldns.k8s.io/v1alpha1") || !strings.Contains(c.Message, "ConfigMaps") {
			t.Errorf("CRDNotInstalled message %q should name the CRD and point at the ConfigMaps", c.Message)
		}
		waitCertificates(t, ucd, p)
		markCertificatesReady(t, ucd)
		done := waitCondition(t, key, "Ready", "True/Succeeded")
		if condition(done, "DNSEndpointsReady") != "False/CRDNotInstalled" || len(done.Status.DNS.DNSEndpoints) != 0 {
			t.Errorf("a missing CRD must leave Ready alone and list no DNSEndpoint: %+v %v", done.Status.Conditions, done.Status.DNS.DNSEndpoints)
		}
		t.Logf("CRDNotInstalled and Ready=True in %s", time.Since(start).Round(time.Millisecond))

		start = time.Now()
		installDNSEndpointCRD(t)
		waitCondition(t, key, "DNSEndpointsReady", "True/EndpointsPublished")
		t.Logf("DNSEndpoints published %s after the CRD was installed", time.Since(start).Round(time.Millisecond))
	}
	done := waitCondition(t, key, "DNSEndpointsReady", "True/EndpointsPublished")
	if condition(done, "Ready") != "True/Succeeded" && condition(done, "Ready") != "False/CertificatesNotReady" {
		t.Errorf("Ready %s", condition(done, "Ready"))
	}
	if !slices.Equal(done.Status.DNS.DNSEndpoints, []string{"contoso-ee-dns-external"}) {
		t.Errorf("status.dns.dnsEndpoints %v", done.Status.DNS.DNSEndpoints)
	}
	checkDNSEndpoints(t, ucd, p, plan.ViewExternal)

	t.Run("steady state writes nothing", func(t *testing.T) {
		quiet(t, 6*time.Second) // three sync periods, each reconciling every UCDeployment
	})

	t.Run("drift is repaired", func(t *testing.T) {
		ekey := client.ObjectKey{Namespace: ucd.Namespace, Name: "contoso-ee-dns-external"}
		e := dnsEndpoint(t, ekey)
		if err := unstructured.SetNestedSlice(e.Object, []any{map[string]any{"dnsName": "evil.contoso.com", "recordType": "A", "targets": []any{"192.0.2.1"}}}, "spec", "endpoints"); err != nil {
			t.Fatal(err)
		}
		if err := k8s.Update(ctx, e); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "endpoints reverted", func() error {
			if n := len(endpointsOf(t, dnsEndpoint(t, ekey))); n < 2 {
				return fmt.Errorf("%d endpoints", n)
			}
			return nil
		})
		checkDNSEndpoints(t, ucd, p, plan.ViewExternal)
	})

	setViews := func(enabled bool, views ...v1alpha1.DNSView) {
		t.Helper()
		update(t, key, &v1alpha1.UCDeployment{}, func(o client.Object) {
			o.(*v1alpha1.UCDeployment).Spec.DNS.DNSEndpoint = &v1alpha1.DNSEndpointSpec{Enabled: enabled, Views: views}
		})
	}
	t.Run("both views", func(t *testing.T) {
		setViews(true, "internal", "external")
		got := waitCondition(t, key, "DNSEndpointsReady", "True/EndpointsPublished")
		if !slices.Equal(got.Status.DNS.DNSEndpoints, []string{"contoso-ee-dns-internal", "contoso-ee-dns-external"}) {
			t.Errorf("status.dns.dnsEndpoints %v", got.Status.DNS.DNSEndpoints)
		}
		checkDNSEndpoints(t, ucd, p, plan.ViewInternal, plan.ViewExternal)
	})
	t.Run("internal only prunes external", func(t *testing.T) {
		setViews(true, "internal")
		waitCondition(t, key, "DNSEndpointsReady", "True/EndpointsPublished")
		eventually(t, 30*time.Second, "external DNSEndpoint pruned", func() error { return absent(t, ucd, "contoso-ee-dns-external") })
		checkDNSEndpoints(t, ucd, p, plan.ViewInternal)
	})
	t.Run("disabled prunes all", func(t *testing.T) {
		setViews(false, "internal")
		got := waitCondition(t, key, "DNSEndpointsReady", "")
		eventually(t, 30*time.Second, "internal DNSEndpoint pruned", func() error { return absent(t, ucd, "contoso-ee-dns-internal") })
		eventually(t, 30*time.Second, "status.dns.dnsEndpoints emptied", func() error {
			if got = get(t, key); len(got.Status.DNS.DNSEndpoints) != 0 {
				return fmt.Errorf("status.dns.dnsEndpoints %v", got.Status.DNS.DNSEndpoints)
			}
			return nil
		})
	})
}

// TestDNSEndpointForeignObject puts a foreign DNSEndpoint where a child would go.
func TestDNSEndpointForeignObject(t *testing.T) {
	if !crdInstalled(t) {
		installDNSEndpointCRD(t)
	}
	ctx := context.Background()
	ns := namespace(t)
	foreign := &unstructured.Unstructured{}
	foreign.SetGroupVersionKind(dnsEndpointGVK)
	foreign.SetNamespace(ns)
	foreign.SetName("tailspin-mail-dns-external")
	if err := unstructured.SetNestedSlice(foreign.Object, []any{map[string]any{"dnsName": "x.example.com", "recordType": "A", "targets": []any{"192.0.2.7"}}}, "spec", "endpoints"); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	s := sample(t, "tailspin-mail")
	s.Spec.DNS.DNSEndpoint = &v1alpha1.DNSEndpointSpec{Enabled: true}
	ucd := create(t, s, ns)
	got := waitCondition(t, client.ObjectKeyFromObject(ucd), "Ready", "False/NameConflict")
	if msg := readyMessage(got); !strings.Contains(msg, "DNSEndpoint "+ns+"/tailspin-mail-dns-external") {
		t.Errorf("Ready message %q must name the DNSEndpoint", msg)
	}
	if condition(got, "DNSEndpointsReady") != "False/EndpointsNotPublished" {
		t.Errorf("DNSEndpointsReady %s", condition(got, "DNSEndpointsReady"))
	}
	live := dnsEndpoint(t, client.ObjectKeyFromObject(foreign))
	if live.GetResourceVersion() != foreign.GetResourceVersion() || len(live.GetOwnerReferences()) != 0 {
		t.Error("the foreign DNSEndpoint was modified")
	}
}

// checkDNSEndpoints checks that exactly the DNSEndpoints of views exist for ucd and that their
// endpoints are the plan's records in external-dns's target formats, one endpoint per name and
// type.
func checkDNSEndpoints(t *testing.T, ucd *v1alpha1.UCDeployment, p plan.Plan, views ...plan.View) {
	t.Helper()
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(dnsEndpointGVK.GroupVersion().WithKind("DNSEndpointList"))
	eventually(t, 30*time.Second, fmt.Sprintf("DNSEndpoints of %v", views), func() error {
		if err := k8s.List(context.Background(), list, client.InNamespace(ucd.Namespace), client.MatchingLabels{"uc.ucdeploy.io/deployment": ucd.Name}); err != nil {
			return err
		}
		var have, want []string
		for _, e := range list.Items {
			have = append(have, e.GetName())
		}
		for _, v := range views {
			want = append(want, ucd.Name+"-dns-"+string(v))
		}
		slices.Sort(have)
		slices.Sort(want)
		if !slices.Equal(have, want) {
			return fmt.Errorf("have %v, want %v", have, want)
		}
		return nil
	})
	for i := range list.Items {
		e := &list.Items[i]
		view := e.GetLabels()["uc.ucdeploy.io/view"]
		if e.GetName() != ucd.Name+"-dns-"+view || !metav1.IsControlledBy(e, ucd) || e.GetLabels()["app.kubernetes.io/managed-by"] != "ucdeploy" {
			t.Errorf("%s: labels %v owners %v", e.GetName(), e.GetLabels(), e.GetOwnerReferences())
		}
		want := map[string]bool{}
		for _, r := range p.RecordsFor(plan.View(view)) {
			want[fmt.Sprintf("%s %s %d %s", r.Name, r.Type, r.TTL, externalDNSTarget(t, r))] = true
		}
		have := map[string]bool{}
		seen := map[string]bool{}
		for _, ep := range endpointsOf(t, e) {
			if seen[ep.DNSName+" "+ep.RecordType] {
				t.Errorf("%s: two endpoints for %s %s", e.GetName(), ep.DNSName, ep.RecordType)
			}
			seen[ep.DNSName+" "+ep.RecordType] = true
			for _, target := range ep.Targets {
				checkTargetFormat(t, ep.RecordType, target)
				have[fmt.Sprintf("%s %s %d %s", ep.DNSName, ep.RecordType, ep.RecordTTL, target)] = true
			}
		}
		if names(have) != names(want) {
			t.Errorf("%s endpoints differ from the plan's %s records:\nhave %s\nwant %s", e.GetName(), view, names(have), names(want))
		}
	}
}

// endpoint is what the test reads of one of external-dns's endpoints.
type endpoint struct {
	DNSName    string
	RecordType string
	RecordTTL  int64
	Targets    []string
}

func endpointsOf(t *testing.T, e *unstructured.Unstructured) []endpoint {
	t.Helper()
	items, _, err := unstructured.NestedSlice(e.Object, "spec", "endpoints")
	if err != nil {
		t.Fatal(err)
	}
	var out []endpoint
	for _, item := range items {
		m := item.(map[string]any)
		ep := endpoint{DNSName: m["dnsName"].(string), RecordType: m["recordType"].(string)}
		if ttl, ok := m["recordTTL"].(int64); ok {
			ep.RecordTTL = ttl
		}
		targets, _, _ := unstructured.NestedStringSlice(m, "targets")
		ep.Targets = targets
		out = append(out, ep)
	}
	return out
}

// externalDNSTarget is the target external-dns expects for a zone-file record (its
// docs/sources/crd.md and mx-record.md): names without the trailing dot, except SRV's target.
func externalDNSTarget(t *testing.T, r plan.Record) string {
	switch r.Type {
	case "A", "SRV":
		return r.Data
	case "CNAME", "MX":
		return strings.TrimSuffix(r.Data, ".")
	}
	t.Fatalf("record type %s: no external-dns format in this test", r.Type)
	return ""
}

// checkTargetFormat applies external-dns's target checks (endpoint.CheckEndpoint, NewMXRecord,
// NewSRVRecord, and the CRD source's trailing-dot rule).
func checkTargetFormat(t *testing.T, typ, target string) {
	t.Helper()
	f := strings.Fields(target)
	ok := false
	switch typ {
	case "A":
		ip := net.ParseIP(target)
		ok = ip != nil && ip.To4() != nil
	case "CNAME":
		ok = len(f) == 1 && !strings.HasSuffix(target, ".")
	case "MX":
		ok = len(f) == 2 && !strings.HasSuffix(f[1], ".")
	case "SRV":
		ok = len(f) == 4 && strings.HasSuffix(f[3], ".")
	}
	if !ok {
		t.Errorf("%s target %q does not pass external-dns's checks", typ, target)
	}
}

// crdInstalled reports whether the DNSEndpoint CRD is served.
func crdInstalled(t *testing.T) bool {
	t.Helper()
	_, err := k8s.RESTMapper().RESTMapping(dnsEndpointGVK.GroupKind(), dnsEndpointGVK.Version)
	return err == nil
}

// installDNSEndpointCRD installs external-dns's CRD from config/crd/external and waits until it is
// served.
func installDNSEndpointCRD(t *testing.T) {
	t.Helper()
	_, err := envtest.InstallCRDs(testLab.Config, envtest.CRDInstallOptions{
		Paths:              []string{filepath.Join(testLab.Root, "config", "crd", "external")},
		ErrorIfPathMissing: true,
	})
	if err != nil {
		t.Fatalf("installing the DNSEndpoint CRD: %v", err)
	}
}

func dnsEndpoint(t *testing.T, key client.ObjectKey) *unstructured.Unstructured {
	t.Helper()
	e := &unstructured.Unstructured{}
	e.SetGroupVersionKind(dnsEndpointGVK)
	if err := k8s.Get(context.Background(), key, e); err != nil {
		t.Fatalf("reading DNSEndpoint %s: %v", key, err)
	}
	return e
}

// absent returns nil once the DNSEndpoint name of ucd's namespace is gone.
func absent(t *testing.T, ucd *v1alpha1.UCDeployment, name string) error {
	t.Helper()
	e := &unstructured.Unstructured{}
	e.SetGroupVersionKind(dnsEndpointGVK)
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ucd.Namespace, Name: name}, e)
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return err
	}
	return fmt.Errorf("%s still exists", name)
}

// quiet fails unless the manager writes nothing for d, after waiting for a 3 s window without
// writes (in-flight work settling).
func quiet(t *testing.T, d time.Duration) {
	t.Helper()
	eventually(t, 30*time.Second, "quiet", func() error {
		before := managerWrites.Load()
		time.Sleep(3 * time.Second)
		if n := managerWrites.Load() - before; n != 0 {
			return fmt.Errorf("%d writes", n)
		}
		return nil
	})
	writes := managerWrites.Load()
	time.Sleep(d)
	if n := managerWrites.Load() - writes; n != 0 {
		t.Errorf("%d write requests in %s of steady state; want 0", n, d)
	}
}

func findCondition(ucd *v1alpha1.UCDeployment, typ string) metav1.Condition {
	for _, c := range ucd.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}
