package controllers

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/childwriter"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// applyResult is what applying a set of children did. Each entry reads "Kind namespace/name".
type applyResult struct {
	created, updated []string
	// conflicts are the names held by objects this UCDeployment does not control (left untouched).
	conflicts []string
	// failed are the children whose apply failed, with the errors in err.
	failed []string
	err    error
}

// ok reports whether every child now matches the plan.
func (a applyResult) ok() bool { return a.err == nil && len(a.conflicts) == 0 }

// quiet reports whether the apply wrote nothing and met nothing wrong.
func (a applyResult) quiet() bool {
	return a.ok() && len(a.created) == 0 && len(a.updated) == 0 && len(a.failed) == 0
}

// join returns the results of a and b together.
func (a applyResult) join(b applyResult) applyResult {
	return applyResult{
		created:   append(append([]string(nil), a.created...), b.created...),
		updated:   append(append([]string(nil), a.updated...), b.updated...),
		conflicts: append(append([]string(nil), a.conflicts...), b.conflicts...),
		failed:    append(append([]string(nil), a.failed...), b.failed...),
		err:       errors.Join(a.err, b.err),
	}
}

// childOutcome is what reconciling one child did.
type childOutcome int

const (
	childUnchanged childOutcome = iota
	childCreated
	childUpdated
	childConflict
)

// applyChildren reconciles each desired child of one kind, reading the live ones through reader
// into objects made by newLive, and returns what it did.
func (r *UCDeploymentReconciler) applyChildren(ctx context.Context, reader client.Reader, ucd *v1alpha1.UCDeployment, kind string, desired []client.Object, newLive func() client.Object) applyResult {
	var res applyResult
	var errs []error
	for _, d := range desired {
		ref := fmt.Sprintf("%s %s/%s", kind, d.GetNamespace(), d.GetName())
		outcome, err := r.reconcileChild(ctx, reader, ucd, d, newLive())
		switch {
		case err != nil:
			res.failed = append(res.failed, ref)
			errs = append(errs, err)
		case outcome == childCreated:
			res.created = append(res.created, ref)
		case outcome == childUpdated:
			res.updated = append(res.updated, ref)
		case outcome == childConflict:
			res.conflicts = append(res.conflicts, ref)
		}
	}
	res.err = errors.Join(errs...)
	return res
}

// reconcileChild makes the live object match desired, creating it or applying over it, but only
// when it differs: a reconcile that changes nothing writes nothing. The live object is read through
// reader (a label-scoped cache). An object of the same name that this UCDeployment does not
// control is left untouched and reported as a conflict.
func (r *UCDeploymentReconciler) reconcileChild(ctx context.Context, reader client.Reader, owner *v1alpha1.UCDeployment, desired, live client.Object) (childOutcome, error) {
	key := client.ObjectKeyFromObject(desired)
	err := reader.Get(ctx, key, live)
	switch {
	case apierrors.IsNotFound(err):
		return r.ensureChild(ctx, owner, desired, live)
	case err != nil:
		return 0, fmt.Errorf("reading %s: %w", key, err)
	}
	return r.updateChild(ctx, owner, desired, live)
}

// ensureChild creates a child the cache does not hold. When this process has not yet applied the
// owner's current generation, a missing child most likely does not exist: it is created blind,
// with no read. Otherwise a miss more likely means that the cache lags behind our own create, or
// that a foreign object holds the name, which only the API server can tell: read it first, so
// that no write is sent that is bound to fail.
func (r *UCDeploymentReconciler) ensureChild(ctx context.Context, owner *v1alpha1.UCDeployment, desired, live client.Object) (childOutcome, error) {
	if !r.generations.applied(owner) {
		err := r.Writer.Create(ctx, desired)
		if err == nil {
			return childCreated, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return 0, err
		}
	}
	err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(desired), live)
	if apierrors.IsNotFound(err) {
		if err := r.Writer.Create(ctx, desired); err != nil {
			return 0, err
		}
		return childCreated, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s %s: %w", desired.GetObjectKind().GroupVersionKind().Kind, desired.GetName(), err)
	}
	return r.updateChild(ctx, owner, desired, live)
}

// updateChild applies desired over a live child this UCDeployment controls, when they differ.
func (r *UCDeploymentReconciler) updateChild(ctx context.Context, owner *v1alpha1.UCDeployment, desired, live client.Object) (childOutcome, error) {
	if !isControlledBy(live, owner) {
		return childConflict, nil
	}
	foreign := foreignScriptKeys(desired, live)
	current := upToDate(desired, live)
	if current && len(foreign) == 0 {
		return childUnchanged, nil
	}
	if !current {
		if err := r.Writer.Apply(ctx, desired, live); err != nil {
			return 0, err
		}
	}
	if len(foreign) > 0 {
		if err := r.Writer.RemoveDataKeys(ctx, live.(*corev1.ConfigMap), foreign); err != nil {
			return 0, err
		}
	}
	return childUpdated, nil
}

// foreignScriptKeys returns the data keys of the live install ConfigMap that the plan does not
// hold, sorted; nil for any other child. Administrators run its scripts elevated, so a script
// someone with configmaps update added is removed, not kept as another writer's key (the DNS
// ConfigMaps keep such keys: server-side apply leaves them to their owner).
func foreignScriptKeys(desired, live client.Object) []string {
	d, ok := desired.(*corev1.ConfigMap)
	if !ok || d.Labels[render.LabelContent] != "install" {
		return nil
	}
	var foreign []string
	for k := range live.(*corev1.ConfigMap).Data {
		if _, want := d.Data[k]; !want {
			foreign = append(foreign, k)
		}
	}
	slices.Sort(foreign)
	return foreign
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
		return childwriter.DataUpToDate(d, live.(*corev1.ConfigMap))
	case *unstructured.Unstructured:
		l, ok := live.(*unstructured.Unstructured)
		return ok && d.GroupVersionKind() == render.DNSEndpointGVK && dnsEndpointUpToDate(d, l)
	}
	return false
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

// joinRefs lists child references for a message.
func joinRefs(refs []string) string { return strings.Join(refs, ", ") }
