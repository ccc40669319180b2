package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// childOutcome is what applying one child did.
type childOutcome int

const (
	childUnchanged childOutcome = iota
	childCreated
	childUpdated
	childConflict
)

// createOnlyResourceVersion is the resourceVersion ucdeploy puts on an apply when its cache has no
// child of that name. An apply that creates ignores it; an apply to an existing object must match
// the object's resourceVersion or fail with a conflict, and no object in a namespace can have
// version 1 (the first write to the cluster's etcd, which precedes every namespace). So the apply
// creates the child or writes nothing, and needs no read before it (docs/performance.md, "Round 2").
const createOnlyResourceVersion = "1"

// applyChild makes the live object match desired with one server-side apply, but only when it
// differs: a reconcile that changes nothing writes nothing. The live object is read through
// reader (a label-scoped cache). An object of the same name that this UCDeployment does not
// control is left untouched and reported as a conflict.
func (r *UCDeploymentReconciler) applyChild(ctx context.Context, reader client.Reader, owner *v1alpha1.UCDeployment, desired, live client.Object) (childOutcome, error) {
	key := client.ObjectKeyFromObject(desired)
	err := reader.Get(ctx, key, live)
	switch {
	case apierrors.IsNotFound(err):
		// On the first reconcile of a generation a missing child is expected not to exist yet:
		// create it blind. After that, a miss more likely means that the cache lags behind our
		// own create, or that a foreign object holds the name (a NameConflict stall): read first,
		// so that no later reconcile sends a write that is bound to fail.
		if owner.Status.ObservedGeneration != owner.Generation {
			err := r.apply(ctx, desired, createOnlyResourceVersion)
			if err == nil {
				return childCreated, nil
			}
			if !apierrors.IsConflict(err) {
				return 0, err
			}
		}
		// Something holds the name: a foreign object the label-scoped cache cannot see, or a
		// child of ours the cache has not caught up with. Only the API server can tell.
		err := r.APIReader.Get(ctx, key, live)
		if apierrors.IsNotFound(err) {
			if err := r.apply(ctx, desired, createOnlyResourceVersion); err != nil {
				return 0, err
			}
			return childCreated, nil
		}
		if err != nil {
			return 0, fmt.Errorf("reading %s: %w", key, err)
		}
	case err != nil:
		return 0, fmt.Errorf("reading %s: %w", key, err)
	}
	if !isControlledBy(live, owner) {
		return childConflict, nil
	}
	if upToDate(desired, live) {
		return childUnchanged, nil
	}
	if err := r.apply(ctx, desired, ""); err != nil {
		return 0, err
	}
	return childUpdated, nil
}

// apply sends desired as a server-side apply patch owned by the controller's field manager, taking
// over fields other managers set on a child it controls (drift is repaired, not negotiated). A
// non-empty resourceVersion is sent as a precondition.
func (r *UCDeploymentReconciler) apply(ctx context.Context, desired client.Object, resourceVersion string) error {
	u, err := ApplyContent(desired)
	if err != nil {
		return err
	}
	u.SetResourceVersion(resourceVersion)
	data, err := u.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encoding %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	err = r.Patcher.patch(ctx, patchRequest{
		gvk: u.GroupVersionKind(), namespace: u.GetNamespace(), name: u.GetName(),
		pt: types.ApplyPatchType, data: data,
		params: map[string]string{"fieldManager": FieldOwner, "force": "true"},
	})
	if err != nil {
		return fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}

// ApplyContent returns what ucdeploy sends to server-side apply for obj: a copy of it without
// status and creationTimestamp, which an applier must not claim.
func ApplyContent(obj client.Object) (*unstructured.Unstructured, error) {
	var content map[string]any
	if u, ok := obj.(*unstructured.Unstructured); ok {
		content = u.DeepCopy().Object // ToUnstructured would return u's own map
	} else {
		var err error
		if content, err = runtime.DefaultUnstructuredConverter.ToUnstructured(obj); err != nil {
			return nil, fmt.Errorf("converting %s: %w", obj.GetName(), err)
		}
	}
	delete(content, "status")
	unstructured.RemoveNestedField(content, "metadata", "creationTimestamp")
	return &unstructured.Unstructured{Object: content}, nil
}

// upToDate reports whether live already carries every field ucdeploy sets on desired. Fields other
// writers own (cert-manager's status, other labels and annotations) are ignored.
func upToDate(desired, live client.Object) bool {
	if !subset(desired.GetLabels(), live.GetLabels()) || !hasOwnerRefs(live, desired) {
		return false
	}
	switch d := desired.(type) {
	case *cmapi.Certificate:
		l := live.(*cmapi.Certificate)
		return certificateSpecEqual(&d.Spec, &l.Spec)
	case *corev1.ConfigMap:
		return configMapDataUpToDate(d, live.(*corev1.ConfigMap))
	case *unstructured.Unstructured:
		l, ok := live.(*unstructured.Unstructured)
		return ok && d.GroupVersionKind() == render.DNSEndpointGVK && dnsEndpointUpToDate(d, l)
	}
	return false
}

// configMapDataUpToDate reports whether every desired key holds its desired value and ucdeploy's
// field manager owns no other key (a key dropped from the plan must be removed by an apply). Keys
// another writer added are theirs: server-side apply keeps them, so they must not count as drift
// or the controller would re-apply forever.
func configMapDataUpToDate(desired, live *corev1.ConfigMap) bool {
	digested := live.Annotations[cachedDigestsAnnotation] != ""
	for k, v := range desired.Data {
		if digested {
			v = digest(v)
		}
		if lv, ok := live.Data[k]; !ok || lv != v {
			return false
		}
	}
	owned, ok := appliedDataKeys(live)
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

// cachedDigestsAnnotation marks a cached ConfigMap whose data values DigestConfigMapData replaced by
// their digests. Only cached copies carry it; the API server never sees it.
const cachedDigestsAnnotation = "uc.ucdeploy.io/cached-data-digests"

// DigestConfigMapData replaces every data value of cm by its SHA-256 digest and marks cm as
// digested. The manager's cache applies it to the DNS ConfigMaps it holds: their zone files and
// scripts are most of their size and the controller only ever compares them with what it would
// write (configMapDataUpToDate), which the digests answer as well (docs/performance.md, "Round 2").
func DigestConfigMapData(cm *corev1.ConfigMap) {
	if len(cm.Data) == 0 || cm.Annotations[cachedDigestsAnnotation] != "" {
		return
	}
	data := make(map[string]string, len(cm.Data))
	for k, v := range cm.Data {
		data[k] = digest(v)
	}
	cm.Data = data
	annotations := make(map[string]string, len(cm.Annotations)+1)
	maps.Copy(annotations, cm.Annotations)
	annotations[cachedDigestsAnnotation] = "sha256"
	cm.Annotations = annotations
}

func digest(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// appliedDataKeys returns the data keys ucdeploy's apply owns, from the object's managed fields.
func appliedDataKeys(obj *corev1.ConfigMap) (map[string]bool, bool) {
	for _, mf := range obj.ManagedFields {
		if mf.Manager != FieldOwner || mf.Operation != metav1.ManagedFieldsOperationApply || mf.FieldsV1 == nil {
			continue
		}
		var fields map[string]map[string]any
		if err := json.Unmarshal(mf.FieldsV1.GetRawBytes(), &fields); err != nil {
			return nil, false
		}
		keys := map[string]bool{}
		for k := range fields["f:data"] {
			if name, ok := strings.CutPrefix(k, "f:"); ok {
				keys[name] = true
			}
		}
		return keys, true
	}
	return nil, false
}

// certificateSpecEqual compares the Certificate fields ucdeploy sets.
func certificateSpecEqual(d, l *cmapi.CertificateSpec) bool {
	return d.SecretName == l.SecretName &&
		d.CommonName == l.CommonName &&
		reflect.DeepEqual(d.DNSNames, l.DNSNames) &&
		reflect.DeepEqual(d.Usages, l.Usages) &&
		d.IssuerRef == l.IssuerRef &&
		reflect.DeepEqual(d.Duration, l.Duration) &&
		reflect.DeepEqual(d.RenewBefore, l.RenewBefore) &&
		privateKeyEqual(d.PrivateKey, l.PrivateKey) &&
		reflect.DeepEqual(d.Keystores, l.Keystores)
}

func privateKeyEqual(d, l *cmapi.CertificatePrivateKey) bool {
	if d == nil || l == nil {
		return d == l
	}
	return d.Algorithm == l.Algorithm && d.Size == l.Size && d.RotationPolicy == l.RotationPolicy
}

func subset(want, have map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func hasOwnerRefs(live, desired client.Object) bool {
	for _, want := range desired.GetOwnerReferences() {
		found := false
		for _, have := range live.GetOwnerReferences() {
			if have.UID == want.UID && have.Controller != nil && *have.Controller {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func isControlledBy(obj client.Object, owner *v1alpha1.UCDeployment) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Controller != nil && *ref.Controller && ref.UID == owner.UID {
			return true
		}
	}
	return false
}
