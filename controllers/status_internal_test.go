package controllers

import (
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// TestReadiness: Ready is decided by the first blocker that applies, in the documented order,
// and only a spec or cluster change can clear the stalled ones.
func TestReadiness(t *testing.T) {
	planError := plan.Plan{Findings: []plan.Finding{{Severity: plan.SeverityError, Code: plan.CodeAVAuthenticationPort, Path: "spec.ocs.edge.avAuthenticationPort", Message: "443"}}}
	waiting := certificateSummary{ready: 1, total: 2, statuses: []v1alpha1.CertificateStatus{{Name: "c-pool", Ready: true}, {Name: "c-edge", Message: "issuing"}}}
	allReady := certificateSummary{ready: 2, total: 2}
	conflict := applied{ran: true, dnsConfigMaps: applyResult{conflicts: []string{"ConfigMap uc/c-dns-internal"}}}
	failed := applied{ran: true, certificates: applyResult{failed: []string{"Certificate uc/c-pool"}, err: errors.New("boom")}}
	both := applied{ran: true, certificates: failed.certificates, dnsConfigMaps: conflict.dnsConfigMaps}
	for _, tc := range []struct {
		name    string
		in      statusInput
		certs   certificateSummary
		reason  string
		stalled bool
	}{
		{"everything done", statusInput{applied: applied{ran: true}}, allReady, v1alpha1.ReasonSucceeded, false},
		{"a plan error beats everything", statusInput{plan: planError, issuerRefusal: "x", applied: both}, waiting, v1alpha1.ReasonPlanHasErrors, true},
		{"a refused issuer beats a conflict", statusInput{issuerRefusal: "ClusterIssuer x is not allowed", applied: conflict}, allReady, v1alpha1.ReasonIssuerNotAllowed, true},
		{"a name conflict stalls", statusInput{applied: both}, allReady, v1alpha1.ReasonNameConflict, true},
		{"an apply error progresses (it is retried)", statusInput{applied: failed, issuerProblems: []string{"ClusterIssuer x"}}, waiting, v1alpha1.ReasonApplyFailed, false},
		{"a DNSEndpoint apply error counts too", statusInput{applied: applied{ran: true, endpoints: endpointsResult{applyResult: failed.certificates}}}, allReady, v1alpha1.ReasonApplyFailed, false},
		{"a missing issuer is named before the certificates", statusInput{issuerProblems: []string{"ClusterIssuer late-ca does not exist"}}, waiting, v1alpha1.ReasonIssuerNotReady, false},
		{"a missing issuer with every certificate ready does not block", statusInput{issuerProblems: []string{"ClusterIssuer x"}}, allReady, v1alpha1.ReasonSucceeded, false},
		{"certificates still issuing", statusInput{}, waiting, v1alpha1.ReasonCertificatesNotReady, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := readiness(tc.in, tc.certs, 7)
			if r.reason != tc.reason || r.stalled != tc.stalled || r.message == "" {
				t.Errorf("readiness = %+v; want reason %s, stalled %v and a message", r, tc.reason, tc.stalled)
			}
			var list []metav1.Condition
			conditions{list: &list, generation: 3}.setReady(r)
			ready := meta.FindStatusCondition(list, v1alpha1.ConditionReady)
			if ready == nil || ready.Reason != tc.reason || ready.ObservedGeneration != 3 || (ready.Status == metav1.ConditionTrue) != (tc.reason == v1alpha1.ReasonSucceeded) {
				t.Errorf("Ready %+v", ready)
			}
			// kstatus: Reconciling only while progressing, Stalled only while stalled.
			progressing := tc.reason != v1alpha1.ReasonSucceeded && !tc.stalled
			if got := meta.IsStatusConditionTrue(list, v1alpha1.ConditionReconciling); got != progressing {
				t.Errorf("Reconciling %v, want %v", got, progressing)
			}
			if got := meta.IsStatusConditionTrue(list, v1alpha1.ConditionStalled); got != tc.stalled {
				t.Errorf("Stalled %v, want %v", got, tc.stalled)
			}
		})
	}
}
