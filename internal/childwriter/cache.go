package childwriter

import (
	"bytes"
	"crypto/sha256"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// lastAppliedAnnotation is where `kubectl apply` (client-side) keeps a full copy of what it applied.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// digestsAnnotation marks a cached ConfigMap whose data values were replaced by their SHA-256
// digests. Only cached copies carry it; the API server never sees it.
const digestsAnnotation = "uc.ucdeploy.io/cached-data-digests"

// CacheTransform is the cache's transform: before an object is stored it drops what the
// controller never reads, which would otherwise be held for every cached object:
//   - managedFields, except ucdeploy's own entries of a ConfigMap (DataUpToDate reads which data
//     keys they hold) and, of any other object, ucdeploy's Update entry without its field set
//     (its presence tells Apply that Create made the object and its fields must be adopted);
//   - kubectl's last-applied-configuration annotation (a second copy of the object);
//   - a ConfigMap's data values, replaced by their digests: the controller only compares them
//     with what it would write, which DataUpToDate answers from the digests.
//
// Cached objects are only read and compared, never written back, so nothing dropped here can
// reach the API server.
func CacheTransform(obj any) (any, error) {
	o, ok := obj.(client.Object)
	if !ok {
		return obj, nil // a tombstone (DeletedFinalStateUnknown)
	}
	cm, isConfigMap := o.(*corev1.ConfigMap)
	if mf := o.GetManagedFields(); len(mf) > 0 {
		var kept []metav1.ManagedFieldsEntry
		for _, f := range mf {
			switch {
			case f.Manager != FieldOwner:
			case isConfigMap:
				kept = append(kept, f)
			case isCreateEntry(f):
				f.FieldsV1, f.Time = nil, nil
				kept = append(kept, f)
			}
		}
		o.SetManagedFields(kept)
	}
	if a := o.GetAnnotations(); a[lastAppliedAnnotation] != "" {
		delete(a, lastAppliedAnnotation)
		o.SetAnnotations(a)
	}
	if isConfigMap {
		digestData(cm)
	}
	return o, nil
}

// digestData replaces every data value of cm by its digest, once: an informer may hand the
// transform an object it already transformed. The transform owns the freshly decoded object, so
// its maps are changed in place.
func digestData(cm *corev1.ConfigMap) {
	if len(cm.Data) == 0 || cm.Annotations[digestsAnnotation] != "" {
		return
	}
	for k, v := range cm.Data {
		cm.Data[k] = digest(v)
	}
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[digestsAnnotation] = digestKind
}

// digestKind names the digest in the cache marker: the first 16 bytes of SHA-256, kept as raw
// bytes. It only tells a value ucdeploy would write from another; 128 bits make a false match
// out of reach, and 16 bytes instead of 64 hex characters per data key are most of what a
// cached ConfigMap holds (docs/performance.md, "Round 3").
const digestKind = "sha256-128"

func digest(v string) string {
	sum := sha256.Sum256([]byte(v))
	return string(sum[:16])
}

// DataUpToDate reports whether every desired data key of a ConfigMap holds its desired value and
// ucdeploy owns no other key, by its create or its applies (a key dropped from the plan must be
// removed by an apply).
// Keys another writer added are theirs: server-side apply keeps them, so they are no drift. live
// may come from the cache (digested) or from the API server (in full).
func DataUpToDate(desired, live *corev1.ConfigMap) bool {
	digested := live.Annotations[digestsAnnotation] != ""
	for k, v := range desired.Data {
		if digested {
			v = digest(v)
		}
		if lv, ok := live.Data[k]; !ok || lv != v {
			return false
		}
	}
	owned, ok := ownedDataKeys(live)
	if !ok {
		return false
	}
	for k := range owned {
		if _, want := desired.Data[k]; !want {
			return false
		}
	}
	return true
}

// ownedDataKeys returns the data keys ucdeploy's managed-fields entries own; false when it has
// none (ucdeploy never wrote the object) or one cannot be read.
func ownedDataKeys(cm *corev1.ConfigMap) (map[string]bool, bool) {
	keys := map[string]bool{}
	found := false
	field := "data"
	for _, own := range cm.ManagedFields {
		if own.Manager != FieldOwner || own.FieldsV1 == nil {
			continue
		}
		var set fieldpath.Set
		if err := set.FromJSON(bytes.NewReader(own.FieldsV1.GetRawBytes())); err != nil {
			return nil, false
		}
		found = true
		if data, ok := set.Children.Get(fieldpath.PathElement{FieldName: &field}); ok {
			data.Members.Iterate(func(pe fieldpath.PathElement) {
				if pe.FieldName != nil {
					keys[*pe.FieldName] = true
				}
			})
		}
	}
	return keys, found
}
