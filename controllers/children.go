package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
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

// applyChild makes the live object match desired with one server-side apply, but only when it
// differs: a reconcile that changes nothing writes nothing. The live object is read through
// reader (a label-scoped cache). An object of the same name that this UCDeployment does not
// control is left untouched and reported as a conflict.
func (r *UCDeploymentReconciler) applyChild(ctx context.Context, reader client.Reader, owner *v1alpha1.UCDeployment, desired, live client.Object) (childOutcome, error) {
	key := client.ObjectKeyFromObject(desired)
	err := reader.Get(ctx, key, live)
	switch {
	case apierrors.IsNotFound(err):
		// The cache holds only labelled children: ask the API server whether a foreign object
		// holds the name before claiming it.
		if err := r.APIReader.Get(ctx, key, live); err == nil {
			return childConflict, nil
		} else if !apierrors.IsNotFound(err) {
			return 0, fmt.Errorf("checking %s: %w", key, err)
		}
		if err := r.apply(ctx, desired); err != nil {
			return 0, err
		}
		return childCreated, nil
	case err != nil:
		return 0, fmt.Errorf("reading %s: %w", key, err)
	}
	if !isControlledBy(live, owner) {
		return childConflict, nil
	}
	if upToDate(desired, live) {
		return childUnchanged, nil
	}
	if err := r.apply(ctx, desired); err != nil {
		return 0, err
	}
	return childUpdated, nil
}

// apply sends desired as a server-side apply patch owned by the controller's field manager.
func (r *UCDeploymentReconciler) apply(ctx context.Context, desired client.Object) error {
	var content map[string]any
	if u, ok := desired.(*unstructured.Unstructured); ok {
		content = u.DeepCopy().Object // ToUnstructured would return u's own map
	} else {
		var err error
		if content, err = runtime.DefaultUnstructuredConverter.ToUnstructured(desired); err != nil {
			return fmt.Errorf("converting %s: %w", desired.GetName(), err)
		}
	}
	delete(content, "status")
	unstructured.RemoveNestedField(content, "metadata", "creationTimestamp")
	u := &unstructured.Unstructured{Object: content}
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
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
	for k, v := range desired.Data {
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

// appliedDataKeys returns the data keys ucdeploy's apply owns, from the object's managed fields.
func appliedDataKeys(obj *corev1.ConfigMap) (map[string]bool, bool) {
	for _, mf := range obj.ManagedFields {
		if mf.Manager != FieldOwner || mf.Operation != metav1.ManagedFieldsOperationApply || mf.FieldsV1 == nil {
			continue
		}
		var fields map[string]map[string]any
		if err := json.Unmarshal(mf.FieldsV1.Raw, &fields); err != nil {
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
		privateKeyEqual(d.PrivateKey, l.PrivateKey)
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
