package manager

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/controllers"
)

// lastAppliedAnnotation is where `kubectl apply` (client-side) keeps a full copy of what it applied.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// trimForCache is the cache's transform: before an object is stored it drops what the controller
// never reads, which would otherwise be held in memory for every cached object:
//   - managedFields, except ucdeploy's own server-side apply entry of a DNS ConfigMap (read to tell
//     which data keys it owns);
//   - kubectl's last-applied-configuration annotation, a second copy of a UCDeployment applied
//     with client-side `kubectl apply`;
//   - the values of a DNS ConfigMap's data, replaced by their digests
//     (controllers.DigestConfigMapData).
//
// Cached objects are only read and compared, never written back, so nothing dropped here can reach
// the API server. docs/performance.md has the measurements.
func trimForCache(obj any) (any, error) {
	o, ok := obj.(client.Object)
	if !ok {
		return obj, nil // a tombstone (DeletedFinalStateUnknown)
	}
	if mf := o.GetManagedFields(); len(mf) > 0 {
		var kept []metav1.ManagedFieldsEntry
		if _, isConfigMap := o.(*corev1.ConfigMap); isConfigMap {
			for _, f := range mf {
				if f.Manager == controllers.FieldOwner && f.Operation == metav1.ManagedFieldsOperationApply {
					kept = append(kept, f)
				}
			}
		}
		o.SetManagedFields(kept)
	}
	if a := o.GetAnnotations(); a[lastAppliedAnnotation] != "" {
		delete(a, lastAppliedAnnotation)
		o.SetAnnotations(a)
	}
	if cm, isConfigMap := o.(*corev1.ConfigMap); isConfigMap {
		controllers.DigestConfigMapData(cm)
	}
	return o, nil
}
