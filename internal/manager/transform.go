package manager

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/controllers"
)

// trimManagedFields is the cache's transform: it drops the managedFields the controller never
// reads before an object is stored. The controller reads exactly one entry, ucdeploy's own
// server-side apply entry of a DNS ConfigMap (to tell which data keys it owns); every other entry,
// and every entry of every other kind, is dead weight held for each cached object. `make bench`
// measured 14 MiB less peak RSS at N=1000 (docs/performance.md).
func trimManagedFields(obj any) (any, error) {
	o, ok := obj.(client.Object)
	if !ok {
		return obj, nil // a tombstone (DeletedFinalStateUnknown)
	}
	mf := o.GetManagedFields()
	if len(mf) == 0 {
		return obj, nil
	}
	var kept []metav1.ManagedFieldsEntry
	if _, isConfigMap := o.(*corev1.ConfigMap); isConfigMap {
		for _, f := range mf {
			if f.Manager == controllers.FieldOwner && f.Operation == metav1.ManagedFieldsOperationApply {
				kept = append(kept, f)
			}
		}
	}
	o.SetManagedFields(kept)
	return o, nil
}
