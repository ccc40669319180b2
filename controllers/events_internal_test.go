package controllers

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// TestStallBegins: a stall is announced when it begins, with a new reason or for a new
// generation, and not again on every retry that finds it unchanged.
func TestStallBegins(t *testing.T) {
	stalled := func(reason string, gen int64) []metav1.Condition {
		return []metav1.Condition{{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: reason, ObservedGeneration: gen, Message: "m"}}
	}
	for _, tc := range []struct {
		name          string
		before, after []metav1.Condition
		announce      bool
	}{
		{"not stalled", nil, nil, false},
		{"stall begins", nil, stalled(v1alpha1.ReasonNameConflict, 1), true},
		{"same stall on a retry", stalled(v1alpha1.ReasonNameConflict, 1), stalled(v1alpha1.ReasonNameConflict, 1), false},
		{"another reason", stalled(v1alpha1.ReasonNameConflict, 1), stalled(v1alpha1.ReasonPlanHasErrors, 1), true},
		{"same reason, new generation", stalled(v1alpha1.ReasonPlanHasErrors, 1), stalled(v1alpha1.ReasonPlanHasErrors, 2), true},
	} {
		ucd := &v1alpha1.UCDeployment{Status: v1alpha1.UCDeploymentStatus{Conditions: tc.before}}
		got := stallBegins(ucd, v1alpha1.UCDeploymentStatus{Conditions: tc.after})
		if (got != nil) != tc.announce {
			t.Errorf("%s: announced %v, want %v", tc.name, got != nil, tc.announce)
		}
	}
}

// TestIssuerKeys: the index holds each issuer a deployment names once, by kind and name, with
// the CRD's default kind.
func TestIssuerKeys(t *testing.T) {
	ucd := &v1alpha1.UCDeployment{}
	ucd.Spec.Certificates.PublicIssuerRef = &v1alpha1.IssuerRef{Name: "ca"}
	ucd.Spec.Certificates.InternalIssuerRef = &v1alpha1.IssuerRef{Name: "ca", Kind: "ClusterIssuer"}
	if got := issuerKeys(ucd); len(got) != 1 || got[0] != "ClusterIssuer/ca" {
		t.Errorf("same issuer twice: %v", got)
	}
	ucd.Spec.Certificates.InternalIssuerRef = &v1alpha1.IssuerRef{Name: "corp", Kind: "Issuer"}
	if got := issuerKeys(ucd); len(got) != 2 || got[0] != "ClusterIssuer/ca" || got[1] != "Issuer/corp" {
		t.Errorf("two issuers: %v", got)
	}
}
