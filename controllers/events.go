package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// announce emits the events of one reconcile: what its writes did (one event per reconcile that
// changed something, not one per child), a stall when it begins, and each renewed certificate.
// Events are derived from the status transition old → st, so a condition that persists across
// retries is announced once.
func (r *UCDeploymentReconciler) announce(ucd *v1alpha1.UCDeployment, in statusInput, st v1alpha1.UCDeploymentStatus) {
	all := in.applied.all()
	if len(all.created) > 0 {
		r.Recorder.Eventf(ucd, nil, corev1.EventTypeNormal, "Created", "Apply", "created %s", joinRefs(all.created))
	}
	if len(all.updated) > 0 {
		r.Recorder.Eventf(ucd, nil, corev1.EventTypeNormal, "Updated", "Apply", "updated %s to match the plan", joinRefs(all.updated))
	}
	if all.err != nil {
		r.Recorder.Eventf(ucd, nil, corev1.EventTypeWarning, v1alpha1.ReasonApplyFailed, "Apply", "%s: %v", joinRefs(all.failed), all.err)
	}
	if stalled := stallBegins(ucd, st); stalled != nil {
		r.Recorder.Eventf(ucd, nil, corev1.EventTypeWarning, stalled.Reason, "Plan", "%s", stalled.Message)
	}
	r.announceRenewals(ucd, in.plan, st.Certificates)
}

// stallBegins returns the new status's Stalled condition when the previous status did not
// already report the same stall for this generation.
func stallBegins(ucd *v1alpha1.UCDeployment, st v1alpha1.UCDeploymentStatus) *metav1.Condition {
	now := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionStalled)
	if now == nil {
		return nil
	}
	before := meta.FindStatusCondition(ucd.Status.Conditions, v1alpha1.ConditionStalled)
	if before != nil && before.Reason == now.Reason && before.ObservedGeneration == now.ObservedGeneration {
		return nil
	}
	return now
}
