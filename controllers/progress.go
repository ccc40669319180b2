package controllers

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// progressInterval is how often, at most, the status of a deployment whose Certificates are being
// issued is rewritten only to show more of them ready. cert-manager readies a deployment's
// Certificates one after the other over seconds to minutes; writing each step would cost the API
// server a whole status write per Certificate (docs/performance.md, "Round 3"). Ready, any other
// reason for not being Ready (an issuer problem, a failed apply, a stall) and a new generation are
// written at once; a message cert-manager gives one Certificate waits as long as the progress.
const progressInterval = 10 * time.Second

// statusWrites remembers when this process last wrote each UCDeployment's status.
type statusWrites struct {
	m sync.Map // types.NamespacedName → time.Time
}

func (w *statusWrites) record(key types.NamespacedName, at time.Time) { w.m.Store(key, at) }

func (w *statusWrites) forget(key types.NamespacedName) { w.m.Delete(key) }

// progressWait is how long to hold back a status that differs from the written one only by the
// progress of issuance, or 0 to write it now.
func (w *statusWrites) progressWait(key types.NamespacedName, old, st v1alpha1.UCDeploymentStatus, in statusInput, now time.Time) time.Duration {
	if !issuingProgress(old, st) || !in.applied.all().quiet() {
		return 0
	}
	v, ok := w.m.Load(key)
	if !ok {
		return 0
	}
	return max(0, progressInterval-now.Sub(v.(time.Time)))
}

// issuingProgress reports whether the written status old and the new status st both say the same
// generation is waiting for Certificates to be issued: what changed between them is how many are
// ready, which can wait for the next write.
func issuingProgress(old, st v1alpha1.UCDeploymentStatus) bool {
	o := meta.FindStatusCondition(old.Conditions, v1alpha1.ConditionReady)
	n := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
	return o != nil && n != nil && old.ObservedGeneration == st.ObservedGeneration &&
		o.Reason == v1alpha1.ReasonCertificatesNotReady && n.Reason == v1alpha1.ReasonCertificatesNotReady
}
