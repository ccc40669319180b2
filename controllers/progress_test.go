package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// statusWith is a status of generation gen whose Ready condition has reason (no condition for "").
func statusWith(gen int64, reason, ready string) v1alpha1.UCDeploymentStatus {
	st := v1alpha1.UCDeploymentStatus{ObservedGeneration: gen, CertificatesReady: ready}
	if reason != "" {
		status := metav1.ConditionFalse
		if reason == v1alpha1.ReasonSucceeded {
			status = metav1.ConditionTrue
		}
		st.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: status, Reason: reason}}
	}
	return st
}

// TestProgressWait: only a status that still waits for the same generation's Certificates, after
// a reconcile that applied nothing, is held back, and only until progressInterval has passed
// since this process last wrote it.
func TestProgressWait(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "d"}
	t0 := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	issuing := statusWith(1, v1alpha1.ReasonCertificatesNotReady, "1/4")
	more := statusWith(1, v1alpha1.ReasonCertificatesNotReady, "3/4")
	quiet := statusInput{}
	created := statusInput{applied: applied{certificates: applyResult{created: []string{"Certificate/x"}}}}
	for _, c := range []struct {
		name    string
		written bool // this process wrote the status at t0
		old, st v1alpha1.UCDeploymentStatus
		in      statusInput
		after   time.Duration
		want    time.Duration
	}{
		{"more ready, 3 s after the write", true, issuing, more, quiet, 3 * time.Second, progressInterval - 3*time.Second},
		{"more ready, interval over", true, issuing, more, quiet, progressInterval, 0},
		{"all ready is written at once", true, issuing, statusWith(1, v1alpha1.ReasonSucceeded, "4/4"), quiet, time.Second, 0},
		{"an issuer problem is written at once", true, issuing, statusWith(1, v1alpha1.ReasonIssuerNotReady, "1/4"), quiet, time.Second, 0},
		{"a new generation is written at once", true, issuing, statusWith(2, v1alpha1.ReasonCertificatesNotReady, "0/5"), quiet, time.Second, 0},
		{"the first status is written at once", true, v1alpha1.UCDeploymentStatus{}, more, quiet, time.Second, 0},
		{"a reconcile that applied something writes", true, issuing, more, created, time.Second, 0},
		{"a status another process wrote is not held back", false, issuing, more, quiet, time.Second, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var w statusWrites
			if c.written {
				w.record(key, t0)
			}
			if got := w.progressWait(key, c.old, c.st, c.in, t0.Add(c.after)); got != c.want {
				t.Errorf("progressWait = %v, want %v", got, c.want)
			}
		})
	}
}
