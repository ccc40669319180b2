// Package e2e proves ucdeploy end to end: real cert-manager controllers issue every planned
// certificate, the public ones from Pebble over ACME DNS-01 (the challenge records go through
// BIND's external view), the internal ones from the lab's enterprise CA; the x509 certificates
// carry exactly the planned names, and every planned record answers from BIND in its view.
package e2e

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/cert-manager/cert-manager/pkg/util/pki"
	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/controllers"
	"github.com/ucdeploy/ucdeploy/internal/cli"
	"github.com/ucdeploy/ucdeploy/internal/dnsverify"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/lab/labtest"
	"github.com/ucdeploy/ucdeploy/internal/manager"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// issuanceTimeout bounds one issuance. A public certificate comes from Pebble over DNS-01, and
// cert-manager's DNS-01 self-check sleeps 60 s after it sees the challenge record. cert-manager
// also never runs two challenges for one name at once (its challenge scheduler): contoso-ee and
// contoso-se both put mail.contoso.com and autodiscover.contoso.com on certificates, so with every
// sample applied at once a certificate may wait for two or three minutes of the other's first.
const issuanceTimeout = 5 * time.Minute

func TestRealIssuance(t *testing.T) {
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{
		GarbageCollector: true,
		CertManager:      true,
		ACME:             true,
		Manager: &lab.ManagerOptions{InProcess: true, AsUser: true,
			Options: manager.Options{MetricsAddr: "0", ProbeAddr: "0", MaxConcurrentReconciles: 4, SyncPeriod: time.Hour,
				// The lab's BIND serves on loopback (internal/lab/named).
				DNSVerifyNameservers: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
				DNSVerifyPorts:       controllers.AnyPort}},
		Log: func(f string, a ...any) { fmt.Printf("lab: "+f+"\n", a...) },
	})
	if err != nil {
		t.Fatalf("starting the lab: %v", err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			saveLogsOnFailure(t, l)
			_ = l.Stop()
		}
	})
	kubeconfig := filepath.Join(l.Dir, "e2e-admin.kubeconfig")
	if err := l.WriteAdminKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	pools := map[string]*x509.CertPool{}
	for class, issuer := range map[string]string{plan.IssuerPublic: lab.PublicIssuer, plan.IssuerInternal: lab.InternalIssuer} {
		if pools[class], err = l.CAPool(issuer); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	// Every sample applied at once, each in a namespace of its own, then checked one by one: each
	// DNS-01 challenge waits a minute in cert-manager's self-check (internal/lab/certmanager.go),
	// so issuing one sample after another would take minutes each.
	samples := labtest.Samples(t, l.Root)
	keys := make([]client.ObjectKey, len(samples))
	for i, s := range samples {
		ucd := s.DeepCopy()
		ucd.Namespace = labtest.Namespace(t, l.Client, "e2e-")
		if err := l.Client.Create(ctx, ucd); err != nil {
			t.Fatal(err)
		}
		keys[i] = client.ObjectKeyFromObject(ucd)
	}
	for i, s := range samples {
		t.Run(s.Name, func(t *testing.T) { testSample(t, l, kubeconfig, pools, s, keys[i]) })
	}
	t.Logf("every sample issued and verified in %s", time.Since(start).Round(time.Second))
	t.Run("public chains are Pebble's", func(t *testing.T) { checkPebbleChains(t, l, samples, keys) })
	checkCAA(t, l)

	t.Run("spec change re-issues with the new name", func(t *testing.T) {
		// The sample contoso-ee, issued above (an issuance over ACME takes over a minute).
		key := keys[slices.IndexFunc(samples, func(s v1alpha1.UCDeployment) bool { return s.Name == "contoso-ee" })]
		ns := key.Namespace
		waitReady(t, l.Client, key)
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			u := &v1alpha1.UCDeployment{}
			if err := l.Client.Get(ctx, key, u); err != nil {
				return err
			}
			u.Spec.SIPDomains = append(u.Spec.SIPDomains, "northwind.com")
			return l.Client.Update(ctx, u)
		})
		if err != nil {
			t.Fatal(err)
		}
		live := waitReady(t, l.Client, key)
		p := plan.Compute(live.Name, &live.Spec)
		for _, pc := range p.Certificates {
			if !slices.Contains(pc.DNSNames, "sip.northwind.com") {
				continue
			}
			labtest.Eventually(t, issuanceTimeout, pc.Name+" re-issued with sip.northwind.com", func() error {
				leaf, err := readLeaf(l.Client, ns, pc.SecretName)
				if err != nil {
					return err
				}
				return namesAsPlanned(leaf, pc)
			})
			checkLeaf(t, issued(t, l.Client, ns, pc.SecretName), pc, pools)
		}

		// Deleting the UCDeployment removes every child (the garbage collector follows the owner references).
		if err := l.Client.Delete(ctx, live); err != nil {
			t.Fatal(err)
		}
		labtest.Eventually(t, 60*time.Second, "children garbage-collected", func() error {
			var certs cmapi.CertificateList
			var cms corev1.ConfigMapList
			sel := client.MatchingLabels{"uc.ucdeploy.io/deployment": live.Name}
			if err := l.Client.List(ctx, &certs, client.InNamespace(ns), sel); err != nil {
				return err
			}
			if err := l.Client.List(ctx, &cms, client.InNamespace(ns), sel); err != nil {
				return err
			}
			if n := len(certs.Items) + len(cms.Items); n > 0 {
				return fmt.Errorf("%d Certificates and %d ConfigMaps left", len(certs.Items), len(cms.Items))
			}
			return nil
		})
	})

	t.Run("DNSRecordsVerified follows a wrong nameserver", func(t *testing.T) { testWrongNameserver(t, l) })

	t.Run("pkcs12 keystores, install scripts, export and renewal", func(t *testing.T) { testPKCS12(t, l, kubeconfig, pools) })

	// Nothing the lab started outlives it.
	saveLogsOnFailure(t, l)
	if err := l.Stop(); err != nil {
		t.Errorf("stopping the lab: %v", err)
	}
	stopped = true
	labtest.Eventually(t, 20*time.Second, "no child processes left", func() error {
		out, _ := exec.Command("pgrep", "-P", strconv.Itoa(os.Getpid())).Output()
		if pids := strings.Fields(string(out)); len(pids) > 0 {
			return fmt.Errorf("child processes still running: %v", pids)
		}
		return nil
	})
}

// saveLogsOnFailure keeps the lab's logs and zone files of a failed test (`go test -artifacts`).
func saveLogsOnFailure(t *testing.T, l *lab.Lab) {
	if !t.Failed() {
		return
	}
	if err := l.SaveLogs(t.ArtifactDir()); err != nil {
		t.Error(err)
	}
}

// publicIssuerOptions are the options the controller plans s with for its public ClusterIssuer
// (its ACME account URI goes into the CAA records, R-PKI-11), read as the issuer is now.
func publicIssuerOptions(t *testing.T, l *lab.Lab, s v1alpha1.UCDeployment) []plan.Option {
	t.Helper()
	ref := s.Spec.Certificates.PublicIssuerRef
	if ref == nil || ref.KindOrDefault() != cmapi.ClusterIssuerKind {
		return nil
	}
	iss := &cmapi.ClusterIssuer{}
	if err := l.Client.Get(context.Background(), client.ObjectKey{Name: ref.Name}, iss); err != nil {
		t.Fatalf("reading ClusterIssuer %s: %v", ref.Name, err)
	}
	return controllers.PublicIssuerOptions(iss)
}

// testSample waits until sample s, applied as key, is Ready, and checks its certificates against
// the plan and their CAs, its records in BIND, and `ucdeploy status`.
func testSample(t *testing.T, l *lab.Lab, kubeconfig string, pools map[string]*x509.CertPool, s v1alpha1.UCDeployment, key client.ObjectKey) {
	live := waitReady(t, l.Client, key)
	ns := key.Namespace
	p := plan.Compute(s.Name, &s.Spec, publicIssuerOptions(t, l, s)...)
	if len(live.Status.Certificates) != len(p.Certificates) {
		t.Fatalf("status lists %d certificates, plan %d", len(live.Status.Certificates), len(p.Certificates))
	}
	for i, cs := range live.Status.Certificates {
		pc := p.Certificates[i]
		if cs.Name != pc.Name || int(cs.DNSNameCount) != len(pc.DNSNames) || cs.Role != pc.Role || !slices.Equal(cs.Services, pc.Services) {
			t.Errorf("status certificate %+v differs from plan %+v", cs, pc)
		}
		if !cs.Ready || cs.NotAfter == nil {
			t.Errorf("%s: ready %v notAfter %v", cs.Name, cs.Ready, cs.NotAfter)
		}
		checkLeaf(t, issued(t, l.Client, ns, pc.SecretName), pc, pools)
	}
	checkRecords(t, l, p)
	checkStatusCommand(t, kubeconfig, live, p)
}

// verifyAt is a spec.dns.verify naming one nameserver per view, every 30 s (the shortest
// interval): a pass that ran before the lab loaded the records is repeated soon.
func verifyAt(internal, external string) *v1alpha1.DNSVerifySpec {
	return &v1alpha1.DNSVerifySpec{
		Internal: &v1alpha1.DNSViewVerify{Nameservers: []v1alpha1.Nameserver{v1alpha1.Nameserver(internal)}},
		External: &v1alpha1.DNSViewVerify{Nameservers: []v1alpha1.Nameserver{v1alpha1.Nameserver(external)}},
		Interval: &metav1.Duration{Duration: 30 * time.Second},
	}
}

// testWrongNameserver verifies the records of a deployment at the lab's BIND (spec.dns.verify),
// then points its external view at the internal view's address: DNSRecordsVerified goes False
// naming the external records, and True again once fixed. litware-seed shares no name with
// another sample (contoso-ee and contoso-se share contoso.com, tailspin-mail and tailspin-sfb
// tailspintoys.com, whose names then answer with the records of both, as they would in one real
// zone).
func testWrongNameserver(t *testing.T, l *lab.Lab) {
	ns := labtest.Namespace(t, l.Client, "e2e-")
	s := labtest.Sample(t, l.Root, "litware-seed")
	ucd := s.DeepCopy()
	ucd.Namespace = ns
	ucd.Spec.DNS.Verify = verifyAt(l.DNSAddr(plan.ViewInternal), l.DNSAddr(plan.ViewExternal))
	if err := l.Client.Create(context.Background(), ucd); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(ucd)
	labtest.WaitCondition(t, l.Client, key, v1alpha1.ConditionDNSRecordsVerified, "True/"+v1alpha1.ReasonRecordsVerified, 90*time.Second)
	setVerify := func(v *v1alpha1.DNSVerifySpec) {
		t.Helper()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			u := &v1alpha1.UCDeployment{}
			if err := l.Client.Get(context.Background(), key, u); err != nil {
				return err
			}
			u.Spec.DNS.Verify = v
			return l.Client.Update(context.Background(), u)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	setVerify(verifyAt(l.DNSAddr(plan.ViewInternal), l.DNSAddr(plan.ViewInternal)))
	live := labtest.WaitCondition(t, l.Client, key, v1alpha1.ConditionDNSRecordsVerified, "False/"+v1alpha1.ReasonRecordsMismatched, 30*time.Second)
	p := plan.Compute(live.Name, &live.Spec)
	external := map[string]bool{}
	for _, r := range p.RecordsFor(plan.ViewExternal) {
		external[r.Name] = true
	}
	if len(live.Status.DNS.Mismatches) == 0 {
		t.Fatal("DNSRecordsVerified is False without mismatches")
	}
	for _, m := range live.Status.DNS.Mismatches {
		if m.View != v1alpha1.ExternalView || !external[m.Name] || m.Nameserver != l.DNSAddr(plan.ViewInternal) {
			t.Errorf("mismatch %+v: want a planned external record asked at the internal view", m)
		}
	}
	setVerify(verifyAt(l.DNSAddr(plan.ViewInternal), l.DNSAddr(plan.ViewExternal)))
	labtest.WaitCondition(t, l.Client, key, v1alpha1.ConditionDNSRecordsVerified, "True/"+v1alpha1.ReasonRecordsVerified, 30*time.Second)
}

// checkRecords expects every record set of the plan (view, name, type) to answer from BIND in
// its view (internal/dnsverify). Deployments that publish into the same zone share it in the lab,
// as two $INCLUDEs in one zone file would (contoso-ee and contoso-se both publish contoso.com), so
// a name two of them plan answers with the records of both: each record set is compared with the
// union of what the lab's UCDeployments plan for it.
func checkRecords(t *testing.T, l *lab.Lab, p plan.Plan) {
	t.Helper()
	key := func(r plan.Record) string { return string(r.View) + " " + r.Name + " " + r.Type }
	mine := map[string]bool{}
	for _, r := range p.DNSRecords {
		mine[key(r)] = true
	}
	nameservers := map[string][]string{
		string(plan.ViewInternal): {l.DNSAddr(plan.ViewInternal)},
		string(plan.ViewExternal): {l.DNSAddr(plan.ViewExternal)},
	}
	c := &dns.Client{Timeout: 2 * time.Second}
	labtest.Eventually(t, 30*time.Second, "every planned record answers from BIND", func() error {
		var all v1alpha1.UCDeploymentList
		if err := l.Client.List(context.Background(), &all); err != nil {
			return err
		}
		// The lab serves the first deployment's CNAME where several plan one name (lab.ZonesOf),
		// in namespace/name order.
		slices.SortFunc(all.Items, func(a, b v1alpha1.UCDeployment) int {
			return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
		})
		var want []plan.Record
		cname := map[string]bool{}
		for _, d := range all.Items {
			for _, r := range plan.Compute(d.Name, &d.Spec, publicIssuerOptions(t, l, d)...).DNSRecords {
				if !mine[key(r)] || (r.Type == "CNAME" && cname[key(r)]) {
					continue
				}
				cname[key(r)] = r.Type == "CNAME"
				want = append(want, r)
			}
		}
		res := dnsverify.Verify(context.Background(), c, want, nameservers)
		if !res.Verified() {
			return fmt.Errorf("mismatches %+v, unreachable %+v", res.Mismatches, res.Unreachable)
		}
		return nil
	})
}

// checkPebbleChains: the tls.crt of every public certificate of the samples holds the leaf and
// exactly the intermediate Pebble's management interface serves (/intermediates/0), which
// Pebble's root (/roots/0) signed.
func checkPebbleChains(t *testing.T, l *lab.Lab, samples []v1alpha1.UCDeployment, keys []client.ObjectKey) {
	intermediate, err := l.ACMEIntermediate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	root, err := l.CACertificate(lab.PublicIssuer)
	if err != nil {
		t.Fatal(err)
	}
	if err := intermediate.CheckSignatureFrom(root); err != nil {
		t.Fatalf("Pebble's intermediate %s is not signed by its root %s: %v", intermediate.Subject, root.Subject, err)
	}
	for i, s := range samples {
		for _, pc := range plan.Compute(s.Name, &s.Spec).Certificates {
			if pc.Issuer != plan.IssuerPublic {
				continue
			}
			chain := issued(t, l.Client, keys[i].Namespace, pc.SecretName)
			if len(chain) != 2 || !chain[1].Equal(intermediate) {
				t.Errorf("%s: tls.crt holds %d certificates; want the leaf and Pebble's intermediate %s", pc.Name, len(chain), intermediate.Subject)
			}
		}
	}
}

// checkCAA: the CAA records a sample publishes (R-PKI-05, exchange-se-hybrid's spec.dns.caa)
// answer from BIND's external view. They name letsencrypt.org, not the identity Pebble announces
// (lab.PebbleCAAIdentity): Pebble's validation authority does not check CAA at all (Let's
// Encrypt's production CA does), so in the lab they cannot block issuance, and this test says so
// by expecting both facts.
func checkCAA(t *testing.T, l *lab.Lab) {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion("adatum.com.", dns.TypeCAA)
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, l.DNSAddr(plan.ViewExternal))
	if err != nil {
		t.Fatalf("CAA query: %v", err)
	}
	var issuers []string
	for _, rr := range r.Answer {
		if caa, ok := rr.(*dns.CAA); ok && caa.Tag == "issue" {
			issuers = append(issuers, caa.Value)
		}
	}
	if len(issuers) == 0 || slices.ContainsFunc(issuers, func(v string) bool { return strings.HasPrefix(v, lab.PebbleCAAIdentity) }) {
		t.Errorf("CAA issue at adatum.com: %q; want the sample's letsencrypt.org, which Pebble (%s) ignores", issuers, lab.PebbleCAAIdentity)
	}
}

// checkStatusCommand runs `ucdeploy status` (the kubectl plugin's `kubectl ucd status`) on the
// live object and expects every certificate, every record and every finding in its output.
func checkStatusCommand(t *testing.T, kubeconfig string, live *v1alpha1.UCDeployment, p plan.Plan) {
	t.Helper()
	var out, errOut strings.Builder
	if code := cli.Status([]string{"--kubeconfig", kubeconfig, "-n", live.Namespace, live.Name}, &out, &errOut); code != cli.ExitOK {
		t.Fatalf("ucdeploy status exit %d: %s", code, errOut.String())
	}
	text := out.String()
	want := []string{"Ready=True"}
	for _, c := range p.Certificates {
		// The CN and the SANs come from the Certificate objects: the status carries only the
		// number of names.
		want = append(want, c.Name, c.CommonName, strings.Join(c.DNSNames, ", "))
	}
	for _, r := range p.DNSRecords {
		want = append(want, r.Data)
	}
	for _, f := range p.Findings {
		want = append(want, f.Code)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("ucdeploy status output lacks %q:\n%s", w, text)
		}
	}
}

// checkLeaf compares an issued certificate with the plan and verifies its chain (the rest of
// its Secret's tls.crt as intermediates) against the one CA of its class, Pebble's root for the
// public class, and that the other lab CA does not verify it.
func checkLeaf(t *testing.T, chain []*x509.Certificate, pc plan.Certificate, pools map[string]*x509.CertPool) {
	t.Helper()
	leaf := chain[0]
	intermediates := x509.NewCertPool()
	for _, c := range chain[1:] {
		intermediates.AddCert(c)
	}
	if err := namesAsPlanned(leaf, pc); err != nil {
		t.Error(err)
	}
	other := plan.IssuerPublic
	if pc.Issuer == plan.IssuerPublic {
		other = plan.IssuerInternal
	}
	for _, name := range pc.DNSNames {
		opts := x509.VerifyOptions{DNSName: name, Roots: pools[pc.Issuer], Intermediates: intermediates, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if _, err := leaf.Verify(opts); err != nil {
			t.Errorf("%s: does not verify for %s against the %s CA: %v", pc.Name, name, pc.Issuer, err)
		}
		opts.Roots = pools[other]
		if _, err := leaf.Verify(opts); err == nil {
			t.Errorf("%s: verifies for %s against the %s CA too; it must chain only to the %s CA", pc.Name, name, other, pc.Issuer)
		}
	}
}

// namesAsPlanned compares an issued certificate's names with the plan. The enterprise CA keeps
// the request as it is: the SANs in the planned order and the planned CN. An ACME CA decides
// itself: Pebble, like Let's Encrypt, sorts and deduplicates the SANs, and its classic profile
// promotes the first of them to the CN; so for a public certificate the SANs must be the planned
// set and the CN one of them.
func namesAsPlanned(leaf *x509.Certificate, pc plan.Certificate) error {
	if pc.Issuer == plan.IssuerPublic {
		if got, want := slices.Sorted(slices.Values(leaf.DNSNames)), slices.Sorted(slices.Values(pc.DNSNames)); !slices.Equal(got, want) {
			return fmt.Errorf("%s: x509 SANs %v; planned %v", pc.Name, leaf.DNSNames, pc.DNSNames)
		}
		if !slices.Contains(pc.DNSNames, leaf.Subject.CommonName) {
			return fmt.Errorf("%s: subject CN %q is none of the planned names %v", pc.Name, leaf.Subject.CommonName, pc.DNSNames)
		}
		return nil
	}
	if !slices.Equal(leaf.DNSNames, pc.DNSNames) || leaf.Subject.CommonName != pc.CommonName {
		return fmt.Errorf("%s: x509 CN %q SANs %v; planned %q %v", pc.Name, leaf.Subject.CommonName, leaf.DNSNames, pc.CommonName, pc.DNSNames)
	}
	return nil
}

// issued returns the chain in a Secret's tls.crt, leaf first.
func issued(t *testing.T, c client.Client, ns, secret string) []*x509.Certificate {
	t.Helper()
	chain, err := readChain(c, ns, secret)
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

// readLeaf parses the first certificate of a Secret's tls.crt.
func readLeaf(c client.Client, ns, name string) (*x509.Certificate, error) {
	chain, err := readChain(c, ns, name)
	if err != nil {
		return nil, err
	}
	return chain[0], nil
}

// readChain parses every certificate of a Secret's tls.crt.
func readChain(c client.Client, ns, name string) ([]*x509.Certificate, error) {
	s := &corev1.Secret{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
		return nil, fmt.Errorf("reading Secret %s: %w", name, err)
	}
	chain, err := pki.DecodeX509CertificateChainBytes(s.Data[corev1.TLSCertKey])
	if err != nil {
		return nil, fmt.Errorf("Secret %s: tls.crt: %w", name, err)
	}
	return chain, nil
}

func waitReady(t *testing.T, c client.Client, key client.ObjectKey) *v1alpha1.UCDeployment {
	t.Helper()
	return labtest.WaitCondition(t, c, key, "Ready", "True/Succeeded", issuanceTimeout)
}
