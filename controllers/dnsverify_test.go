package controllers_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/dnsverify/dnstest"
	"github.com/ucdeploy/ucdeploy/internal/lab/named"
	"github.com/ucdeploy/ucdeploy/internal/lab/named/namedtest"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// serveRecords starts a real named whose views serve the planned records of ucds, and stops it
// at the end of the test.
func serveRecords(t *testing.T, ucds ...v1alpha1.UCDeployment) *named.Server {
	t.Helper()
	var records []plan.Record
	for _, u := range ucds {
		records = append(records, plan.Compute(u.Name, &u.Spec).DNSRecords...)
	}
	return namedtest.Serve(t, records)
}

// verifyAt is a spec.dns.verify naming an internal and an external nameserver, every 30 s.
func verifyAt(internal, external string) *v1alpha1.DNSVerifySpec {
	return &v1alpha1.DNSVerifySpec{
		Internal: &v1alpha1.DNSViewVerify{Nameservers: []v1alpha1.Nameserver{v1alpha1.Nameserver(internal)}},
		External: &v1alpha1.DNSViewVerify{Nameservers: []v1alpha1.Nameserver{v1alpha1.Nameserver(external)}},
		Interval: &metav1.Duration{Duration: 30 * time.Second},
	}
}

// setVerify replaces spec.dns.verify of the UCDeployment key.
func setVerify(t *testing.T, key client.ObjectKey, v *v1alpha1.DNSVerifySpec) {
	t.Helper()
	update(t, key, &v1alpha1.UCDeployment{}, func(o client.Object) { o.(*v1alpha1.UCDeployment).Spec.DNS.Verify = v })
}

// TestDNSRecordsVerified follows DNSRecordsVerified through a real named: True when both views
// answer as planned, False naming the records when the spec points a view at the wrong
// nameserver, True again when fixed, Unknown when a nameserver does not answer. Ready does not
// depend on it.
func TestDNSRecordsVerified(t *testing.T) {
	s := sample(t, "contoso-ee")
	srv := serveRecords(t, s)
	internal, external := srv.Addr(named.Internal), srv.Addr(named.External)
	s.Spec.DNS.Verify = verifyAt(internal, external)
	ucd := create(t, s, namespace(t))
	key := client.ObjectKeyFromObject(ucd)

	got := waitCondition(t, key, v1alpha1.ConditionDNSRecordsVerified, "True/"+v1alpha1.ReasonRecordsVerified)
	if got.Status.DNS.Mismatches != nil {
		t.Errorf("mismatches while verified: %+v", got.Status.DNS.Mismatches)
	}

	// The external view asked at the internal view's address: the external records answer otherwise.
	setVerify(t, key, verifyAt(internal, internal))
	got = waitCondition(t, key, v1alpha1.ConditionDNSRecordsVerified, "False/"+v1alpha1.ReasonRecordsMismatched)
	ms := got.Status.DNS.Mismatches
	if len(ms) == 0 || len(ms) > 20 {
		t.Fatalf("%d mismatches, want 1..20", len(ms))
	}
	for _, m := range ms {
		if m.View != v1alpha1.ExternalView || m.Nameserver != internal || m.Want == m.Got {
			t.Errorf("mismatch %+v: want an external record asked at %s", m, internal)
		}
	}
	msg := conditionMessage(got, v1alpha1.ConditionDNSRecordsVerified)
	if !strings.Contains(msg, ms[0].Name) {
		t.Errorf("message %q does not name the first mismatch %s", msg, ms[0].Name)
	}
	series := deploymentSeries(scrape(t)["ucdeploy_dns_records_mismatched"], key.Namespace, key.Name)
	if len(series) != 2 {
		t.Errorf("ucdeploy_dns_records_mismatched series %v, want internal and external", series)
	}
	// Ready does not depend on it: issued certificates make the deployment Ready all the same.
	markCertificatesReady(t, ucd)
	got = waitCondition(t, key, v1alpha1.ConditionReady, "True/"+v1alpha1.ReasonSucceeded)
	if c := condition(got, v1alpha1.ConditionDNSRecordsVerified); c != "False/"+v1alpha1.ReasonRecordsMismatched {
		t.Errorf("DNSRecordsVerified %s while Ready, want still False", c)
	}

	setVerify(t, key, verifyAt(internal, external))
	waitCondition(t, key, v1alpha1.ConditionDNSRecordsVerified, "True/"+v1alpha1.ReasonRecordsVerified)

	// A nameserver that does not answer: a UDP socket nobody reads.
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = silent.Close() }()
	setVerify(t, key, verifyAt(internal, silent.LocalAddr().String()))
	got = waitCondition(t, key, v1alpha1.ConditionDNSRecordsVerified, "Unknown/"+v1alpha1.ReasonNameserverUnreachable)
	// Named without the transport's error: "timeout" against "refused" would tell a port
	// scanner apart (issue 29, item 4).
	if msg := conditionMessage(got, v1alpha1.ConditionDNSRecordsVerified); !strings.Contains(msg, silent.LocalAddr().String()+" (external view)") || strings.Contains(msg, "timeout") {
		t.Errorf("message %q does not name the silent nameserver, or names the transport's error", msg)
	}

	stopVerifying(t, key)
}

// stopVerifying removes spec.dns.verify and waits until DNSRecordsVerified is gone.
func stopVerifying(t *testing.T, key client.ObjectKey) {
	t.Helper()
	setVerify(t, key, nil)
	eventually(t, 30*time.Second, "DNSRecordsVerified removed", func() error {
		if c := condition(get(t, key), v1alpha1.ConditionDNSRecordsVerified); c != "" {
			return fmt.Errorf("still %s", c)
		}
		return nil
	})
}

// TestDNSVerificationOutsideTheAllowList: a nameserver outside --dns-verify-nameservers is not
// queried, and the condition says which one.
func TestDNSVerificationOutsideTheAllowList(t *testing.T) {
	s := sample(t, "tailspin-mail")
	s.Spec.DNS.Verify = verifyAt("127.0.0.1:53", "192.0.2.53:53")
	ucd := create(t, s, namespace(t))
	got := waitCondition(t, client.ObjectKeyFromObject(ucd), v1alpha1.ConditionDNSRecordsVerified, "Unknown/"+v1alpha1.ReasonVerificationDisabled)
	msg := conditionMessage(got, v1alpha1.ConditionDNSRecordsVerified)
	if !strings.Contains(msg, "192.0.2.53:53") || strings.Contains(msg, "127.0.0.1:53") {
		t.Errorf("message %q must name 192.0.2.53:53 and only it", msg)
	}
}

// conditionMessage returns the message of condition typ.
func conditionMessage(ucd *v1alpha1.UCDeployment, typ string) string {
	for _, c := range ucd.Status.Conditions {
		if c.Type == typ {
			return c.Message
		}
	}
	return ""
}

// TestSlowNameserverHoldsNoWorker (issue 29, item 2): six deployments verified at a nameserver
// that takes 1.5 s per answer (each pass would run until its 30 s deadline) hold none of the
// manager's four reconcile workers: another tenant's new deployment gets its status within
// seconds, not after the slow passes.
func TestSlowNameserverHoldsNoWorker(t *testing.T) {
	slow := dnstest.Serve(t, dnstest.Hostile{Records: 1, Delay: 1500 * time.Millisecond})
	ns := namespace(t)
	for i := range 6 {
		s := sample(t, "tailspin-mail")
		s.Name = fmt.Sprintf("slow-%d", i)
		s.Spec.DNS.Verify = verifyAt(slow, slow)
		create(t, s, ns)
	}
	// Let the workers pick the slow deployments up and their passes start (a reconcile that ran
	// a pass itself would now hold its worker for up to 30 s).
	time.Sleep(time.Second)

	start := time.Now()
	other := create(t, sample(t, "contoso-ee"), namespace(t))
	eventually(t, 20*time.Second, "the other tenant's deployment has a status", func() error {
		if g := get(t, client.ObjectKeyFromObject(other)).Status.ObservedGeneration; g < 1 {
			return fmt.Errorf("observedGeneration %d", g)
		}
		return nil
	})
	took := time.Since(start)
	t.Logf("the other deployment's first status after %s", took.Round(time.Millisecond))
	if took > 8*time.Second {
		t.Errorf("the other deployment waited %s for a worker", took)
	}
}
