package controllers

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/dnsverify"
	"github.com/ucdeploy/ucdeploy/internal/dnsverify/dnstest"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// withVerify is a deployment whose spec.dns.verify names one internal nameserver.
func withVerify(ns string) *v1alpha1.UCDeployment {
	ucd := &v1alpha1.UCDeployment{}
	ucd.Name, ucd.Namespace = "d", "n"
	ucd.Spec.DNS.Verify = &v1alpha1.DNSVerifySpec{Internal: &v1alpha1.DNSViewVerify{Nameservers: []v1alpha1.Nameserver{v1alpha1.Nameserver(ns)}}}
	return ucd
}

func TestVerificationDisabledWithoutTheFlag(t *testing.T) {
	for name, v := range map[string]*DNSVerifier{"no verifier": nil, "empty allow-list": {}} {
		got := v.verifyDNS(context.Background(), withVerify("10.0.0.53:53"), plan.Plan{})
		if !got.enabled || got.status != metav1.ConditionUnknown || got.reason != v1alpha1.ReasonVerificationDisabled ||
			!strings.Contains(got.message, "--dns-verify-nameservers") || got.requeueAfter != 0 {
			t.Errorf("%s: %+v", name, got)
		}
	}
	plain := withVerify("10.0.0.53:53")
	plain.Spec.DNS.Verify = nil
	if got := (&DNSVerifier{}).verifyDNS(context.Background(), plain, plan.Plan{}); got.enabled {
		t.Errorf("without spec.dns.verify the condition must be absent: %+v", got)
	}
}

func TestAllowListNamesTheNameserversOutsideIt(t *testing.T) {
	v := &DNSVerifier{Allowed: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("fd00::/8")}}
	ucd := withVerify("10.0.0.53:53")
	// Port 22 of an allowed host is outside too: only port 53 is allowed by default (issue 29,
	// item 4).
	ucd.Spec.DNS.Verify.External = &v1alpha1.DNSViewVerify{Nameservers: []v1alpha1.Nameserver{"10.0.1.53:53", "[fd00::53]:53", "[2001:db8::53]:53", "10.0.0.54:22"}}
	got := v.verifyDNS(context.Background(), ucd, plan.Plan{})
	// The message names the nameservers, never the manager's allow-list.
	want := "nameservers outside the manager's --dns-verify-nameservers or --dns-verify-ports are not queried: 10.0.1.53:53, [2001:db8::53]:53, 10.0.0.54:22"
	if got.reason != v1alpha1.ReasonVerificationDisabled || got.message != want {
		t.Errorf("got %s %q\nwant %s %q", got.reason, got.message, v1alpha1.ReasonVerificationDisabled, want)
	}
}

// TestAllowListPorts: --dns-verify-ports allows other ports than 53, and only those.
func TestAllowListPorts(t *testing.T) {
	v := &DNSVerifier{Allowed: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}, Ports: []PortRange{{53, 53}, {5300, 5400}}}
	for ns, want := range map[string]bool{"10.0.0.53:53": true, "10.0.0.53:5353": true, "10.0.0.53:5401": false, "10.0.0.53:22": false} {
		ap := netip.MustParseAddrPort(ns)
		if got := v.allows(ap); got != want {
			t.Errorf("%s allowed: %v, want %v", ns, got, want)
		}
	}
}

func TestVerdict(t *testing.T) {
	m := dnsverify.Mismatch{View: "external", Nameserver: "192.0.2.53:53", Name: "sip.contoso.com", Type: "A", Want: "203.0.113.10", Got: "(NXDOMAIN)"}
	for name, tc := range map[string]struct {
		res                   dnsverify.Result
		status                metav1.ConditionStatus
		reason, messagePrefix string
	}{
		"verified": {dnsverify.Result{Checked: 12, Counts: map[string]int{"internal": 0}},
			metav1.ConditionTrue, v1alpha1.ReasonRecordsVerified, "12 planned record sets answer as planned"},
		"mismatched": {dnsverify.Result{Checked: 12, Counts: map[string]int{"external": 1}, Mismatches: []dnsverify.Mismatch{m}},
			metav1.ConditionFalse, v1alpha1.ReasonRecordsMismatched,
			"1 planned record sets answer otherwise (status.dns.mismatches), first: external sip.contoso.com A at 192.0.2.53:53: want 203.0.113.10, got (NXDOMAIN)"},
		"unreachable wins": {dnsverify.Result{Counts: map[string]int{"external": 1}, Mismatches: []dnsverify.Mismatch{m},
			Unreachable: []dnsverify.Unreachable{{View: "internal", Nameserver: "10.0.0.53:53", Error: "timeout"}}},
			metav1.ConditionUnknown, v1alpha1.ReasonNameserverUnreachable, "nameservers do not answer: 10.0.0.53:53 (internal view); the others answer 1"},
	} {
		t.Run(name, func(t *testing.T) {
			status, reason, msg := verdict(tc.res)
			if status != tc.status || reason != tc.reason || !strings.HasPrefix(msg, tc.messagePrefix) {
				t.Errorf("got %s %s %q\nwant %s %s %q…", status, reason, msg, tc.status, tc.reason, tc.messagePrefix)
			}
		})
	}
}

// TestVerdictMessagesAreBounded (issue 29, item 1): however long the answers and however many
// nameservers fail, the condition's message stays within a few KiB (the API refuses a condition
// message over 32 KiB, which made every status write fail), with the rest counted.
func TestVerdictMessagesAreBounded(t *testing.T) {
	long := strings.Repeat("203.0.113.99, ", 5000)
	res := dnsverify.Result{Counts: map[string]int{"external": 40}}
	for i := range 20 {
		res.Mismatches = append(res.Mismatches, dnsverify.Mismatch{View: "external", Nameserver: "192.0.2.53:53",
			Name: fmt.Sprintf("host%02d.contoso.com", i), Type: "A", Want: long, Got: long})
	}
	_, _, msg := verdict(res)
	if len(msg) > 2*maxListText || !strings.Contains(msg, "more") {
		t.Errorf("mismatch message of %d bytes: %.300s…", len(msg), msg)
	}
	for i := range 200 {
		res.Unreachable = append(res.Unreachable, dnsverify.Unreachable{View: "internal", Nameserver: fmt.Sprintf("10.0.%d.53:53", i), Error: "connection refused"})
	}
	_, _, msg = verdict(res)
	if len(msg) > 2*maxListText || !strings.Contains(msg, "… and ") || strings.Contains(msg, "refused") {
		t.Errorf("unreachable message of %d bytes, without transport errors and ending in … and N more: %.300s…", len(msg), msg)
	}
}

// TestSlowNameserverDelaysOnlyItsDeployment (issue 29, item 2): a pass runs outside the reconcile.
// verifyDNS returns at once (VerificationPending) even for a nameserver that takes a second per
// answer, and another deployment's pass at a fast nameserver ends, and is named on Ended, while
// the slow one still runs.
func TestSlowNameserverDelaysOnlyItsDeployment(t *testing.T) {
	v := &DNSVerifier{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Ports: AnyPort, Client: &dns.Client{Timeout: 3 * time.Second}}
	slow := withVerify(dnstest.Serve(t, dnstest.Hostile{Records: 1, Delay: time.Second}))
	slow.Name = "slow"
	fast := withVerify(dnstest.Serve(t, dnstest.Hostile{Records: 1}))
	fast.Name = "fast"
	var p plan.Plan
	for i := range 5 {
		p.DNSRecords = append(p.DNSRecords, plan.Record{View: plan.ViewInternal, Zone: "contoso.com", Name: fmt.Sprintf("h%d.contoso.com", i), Type: "A", TTL: 60, Data: "10.9.9.9"})
	}

	start := time.Now()
	for _, ucd := range []*v1alpha1.UCDeployment{slow, fast} {
		if got := v.verifyDNS(context.Background(), ucd, p); got.reason != v1alpha1.ReasonVerificationPending || got.requeueAfter <= 0 {
			t.Errorf("%s: %s %q; want VerificationPending with a requeue", ucd.Name, got.reason, got.message)
		}
	}
	if took := time.Since(start); took > 300*time.Millisecond {
		t.Errorf("verifyDNS took %s: the reconcile waited for the nameservers", took)
	}
	select {
	case e := <-v.Ended():
		if e.Object.Name != "fast" {
			t.Fatalf("%s ended first; want fast (slow needs 5 s)", e.Object.Name)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the fast deployment's pass did not end within 3 s")
	}
	if got := v.verifyDNS(context.Background(), fast, p); got.reason != v1alpha1.ReasonRecordsMismatched {
		t.Errorf("fast after its pass: %s %q; want RecordsMismatched (the test server answers other addresses)", got.reason, got.message)
	}
	if got := v.verifyDNS(context.Background(), slow, p); got.reason != v1alpha1.ReasonVerificationPending {
		t.Errorf("slow while its pass runs: %s; want still VerificationPending", got.reason)
	}
	t.Logf("fast verified %s after start, slow still running", time.Since(start).Round(time.Millisecond))
}

// TestPassesAreRateLimited (issue 29, item 4): however often a deployment's records change, a pass
// of it starts at most once per MinSpacing; meanwhile the last result stands and the reconcile is
// asked to come back when the spacing is over.
func TestPassesAreRateLimited(t *testing.T) {
	v := &DNSVerifier{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Ports: AnyPort,
		Client: &dns.Client{Timeout: time.Second}, MinSpacing: time.Hour}
	ucd := withVerify(dnstest.Serve(t, dnstest.Hostile{Records: 1}))
	records := func(data string) plan.Plan {
		return plan.Plan{DNSRecords: []plan.Record{{View: plan.ViewInternal, Zone: "contoso.com", Name: "h.contoso.com", Type: "A", TTL: 60, Data: data}}}
	}
	v.verifyDNS(context.Background(), ucd, records("10.9.9.1"))
	select {
	case <-v.Ended():
	case <-time.After(3 * time.Second):
		t.Fatal("the first pass did not end")
	}
	for i := range 5 { // five spec changes in a row
		got := v.verifyDNS(context.Background(), ucd, records(fmt.Sprintf("10.9.9.%d", i+2)))
		if got.reason != v1alpha1.ReasonRecordsMismatched || got.requeueAfter < 59*time.Minute {
			t.Errorf("change %d: %s, requeue after %s; want the first pass's result and a requeue when the hour is over", i, got.reason, got.requeueAfter)
		}
	}
	select {
	case e := <-v.Ended():
		t.Errorf("a second pass of %s ran within the spacing", e.Object.Name)
	case <-time.After(500 * time.Millisecond):
	}
}

// TestRestartKeepsTheStatusVerdict: a verifier that keeps no pass of a deployment (the manager
// restarted) shows the verdict its status already holds until its own first pass ends, instead
// of VerificationPending, so that a restart writes no status when the answers are the same
// (make bench: 0 writes after a restart); a refusal in the status is no verdict.
func TestRestartKeepsTheStatusVerdict(t *testing.T) {
	v := &DNSVerifier{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Ports: AnyPort, Client: &dns.Client{Timeout: 3 * time.Second}}
	ucd := withVerify(dnstest.Serve(t, dnstest.Hostile{Records: 1, Delay: time.Second}))
	p := plan.Plan{DNSRecords: []plan.Record{{View: plan.ViewInternal, Zone: "contoso.com", Name: "h.contoso.com", Type: "A", TTL: 60, Data: "10.9.9.9"}}}
	ucd.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionDNSRecordsVerified, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonRecordsVerified, Message: "as before"}}
	if got := v.verifyDNS(context.Background(), ucd, p); got.status != metav1.ConditionTrue || got.reason != v1alpha1.ReasonRecordsVerified || got.message != "as before" || got.requeueAfter <= 0 {
		t.Errorf("after a restart: %s %s %q (requeue %s); want the status's verdict and a requeue", got.status, got.reason, got.message, got.requeueAfter)
	}
	other := withVerify(dnstest.Serve(t, dnstest.Hostile{Records: 1, Delay: time.Second}))
	other.Name = "other"
	other.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionDNSRecordsVerified, Status: metav1.ConditionUnknown, Reason: v1alpha1.ReasonVerificationDisabled}}
	if got := v.verifyDNS(context.Background(), other, p); got.reason != v1alpha1.ReasonVerificationPending {
		t.Errorf("a refusal in the status: %s; want VerificationPending", got.reason)
	}
}
