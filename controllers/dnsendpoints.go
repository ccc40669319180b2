package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// RBAC for external-dns's DNSEndpoints (spec.dns.dnsEndpoint). Discovery needs no rule.
// +kubebuilder:rbac:groups=externaldns.k8s.io,resources=dnsendpoints,verbs=get;list;watch;create;patch;delete

// DefaultDNSEndpointRecheck is how long the answer "the DNSEndpoint CRD is not installed" is
// trusted before discovery is asked again, and how soon a UCDeployment waiting for the CRD is
// reconciled again.
const DefaultDNSEndpointRecheck = 2 * time.Minute

// cacheSyncTimeout bounds the wait for the DNSEndpoint cache's first list.
const cacheSyncTimeout = 30 * time.Second

// DNSEndpointWatch knows whether external-dns's DNSEndpoint CRD is installed and, once it is,
// reads DNSEndpoints from a label-scoped informer cache whose events trigger reconciles.
//
// The CRD is optional, so the kind cannot be part of the manager's cache, which must know every
// kind it is given when it is built. Instead the first reconcile that finds the kind served
// (RESTMapper lookup; a negative answer is kept for Recheck so that discovery is not asked on
// every reconcile) builds a cache of its own for it, restricted to ucdeploy's labels, adds it to
// the manager and makes the controller watch it. From then on DNSEndpoints are read from that
// cache: a reconcile that changes nothing sends no request about them, as for the other
// children. The cache and watch stay for the life of the process; after the CRD is removed, the
// controller must be restarted to stop watching it.
type DNSEndpointWatch struct {
	// Mapper tells whether the API server serves the kind.
	Mapper meta.RESTMapper
	// NewCache builds the cache DNSEndpoints are read from (label-scoped, like the manager's).
	NewCache func() (cache.Cache, error)
	// Recheck is how long "not installed" is trusted; DefaultDNSEndpointRecheck when zero.
	Recheck time.Duration

	// start registers a built cache with the manager and the controller's watch on it; set by
	// SetupWithManager.
	start func(ctx context.Context, c cache.Cache) error

	mu         sync.Mutex
	absentAt   time.Time   // when discovery last said the kind is not served
	cache      cache.Cache // the DNSEndpoint cache, once the kind was found
	synced     bool        // whether cache has synced
	syncFailed time.Time   // when waiting for the sync last timed out
	syncErr    error       // and why
}

// recheck returns Recheck or its default.
func (k *DNSEndpointWatch) recheck() time.Duration {
	if k == nil || k.Recheck <= 0 {
		return DefaultDNSEndpointRecheck
	}
	return k.Recheck
}

// watching reports whether the DNSEndpoint cache is running and synced.
func (k *DNSEndpointWatch) watching() bool {
	if k == nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.synced
}

// Reader returns the reader of DNSEndpoints, starting the cache and the watch the first time the
// kind is found; nil and no error when the CRD is not installed.
func (k *DNSEndpointWatch) Reader(ctx context.Context) (client.Reader, error) {
	if k == nil || k.Mapper == nil {
		return nil, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cache == nil {
		if !k.absentAt.IsZero() && time.Since(k.absentAt) < k.recheck() {
			return nil, nil
		}
		gvk := render.DNSEndpointGVK
		if _, err := k.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			if meta.IsNoMatchError(err) {
				k.absentAt = time.Now()
				return nil, nil
			}
			return nil, fmt.Errorf("discovering %s: %w", gvk, err)
		}
		if k.NewCache == nil || k.start == nil {
			return nil, errors.New("the DNSEndpoint cache is not set up (SetupWithManager)")
		}
		c, err := k.NewCache()
		if err != nil {
			return nil, fmt.Errorf("building the DNSEndpoint cache: %w", err)
		}
		if err := k.start(ctx, c); err != nil {
			return nil, fmt.Errorf("starting the DNSEndpoint cache: %w", err)
		}
		// The cache now belongs to the manager: keep it even if its first sync is slow, so that
		// the next reconcile waits for it again instead of starting another one.
		k.cache = c
	}
	if !k.synced {
		// A cache that cannot sync (most likely no list/watch permission) must not hold up every
		// reconcile: after a failed wait, fail fast until Recheck has passed.
		if !k.syncFailed.IsZero() && time.Since(k.syncFailed) < k.recheck() {
			return nil, k.syncErr
		}
		syncCtx, cancel := context.WithTimeout(ctx, cacheSyncTimeout)
		defer cancel()
		_, err := k.cache.GetInformer(syncCtx, newDNSEndpoint())
		if err == nil && !k.cache.WaitForCacheSync(syncCtx) {
			err = fmt.Errorf("not synced within %s (is list/watch on dnsendpoints.externaldns.k8s.io allowed?)", cacheSyncTimeout)
		}
		if err != nil {
			k.syncFailed, k.syncErr = time.Now(), fmt.Errorf("watching DNSEndpoints: %w", err)
			return nil, k.syncErr
		}
		k.synced = true
	}
	return k.cache, nil
}

// newDNSEndpoint returns an empty DNSEndpoint to read into.
func newDNSEndpoint() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(render.DNSEndpointGVK)
	return u
}

// endpointsState is what became of a UCDeployment's DNSEndpoints in one reconcile.
type endpointsState int

const (
	// endpointsNotApplied: enabled but not (all) applied: the deployment is stalled, or an apply
	// failed or met a foreign object.
	endpointsNotApplied endpointsState = iota
	// endpointsPublished: every selected view's DNSEndpoint matches the plan.
	endpointsPublished
	// endpointsCRDMissing: enabled, but the DNSEndpoint CRD is not installed.
	endpointsCRDMissing
	// endpointsPruned: disabled, and none of this UCDeployment's DNSEndpoints is left.
	endpointsPruned
)

// endpointsResult is what a reconcile did to, and knows of, a UCDeployment's DNSEndpoints.
type endpointsResult struct {
	state endpointsState
	// names are the DNSEndpoints of the UCDeployment that exist, sorted.
	names []string
	applyResult
}

// applyDNSEndpoints applies the DNSEndpoints of the selected views and deletes the others this
// UCDeployment controls. Nothing is read about DNSEndpoints while the feature is off and none was
// ever published, unless their cache is running anyway (then reading is free).
func (r *UCDeploymentReconciler) applyDNSEndpoints(ctx context.Context, ucd *v1alpha1.UCDeployment, p plan.Plan) endpointsResult {
	desired := render.DNSEndpoints(ucd, p)
	enabled := len(desired) > 0
	if !enabled && !r.DNSEndpoints.watching() && !publishedEndpoints(ucd) {
		return endpointsResult{state: endpointsPruned}
	}
	reader, err := r.DNSEndpoints.Reader(ctx)
	switch {
	case err != nil:
		return endpointsResult{applyResult: applyResult{err: err}}
	case reader == nil && enabled:
		return endpointsResult{state: endpointsCRDMissing}
	case reader == nil:
		return endpointsResult{state: endpointsPruned} // nothing can exist without the CRD
	}
	res := endpointsResult{applyResult: r.applyChildren(ctx, reader, ucd, "DNSEndpoint", objects(desired), func() client.Object { return newDNSEndpoint() })}
	pruned := r.pruneDNSEndpoints(ctx, reader, ucd, desired)
	res.applyResult = res.join(pruned)
	switch {
	case enabled && res.ok():
		res.state = endpointsPublished
		for _, d := range desired {
			res.names = append(res.names, d.GetName())
		}
	case !enabled && pruned.err == nil:
		res.state = endpointsPruned
	default:
		res.names = liveEndpointNames(ctx, reader, ucd)
	}
	return res
}

// observeDNSEndpoints is what a stalled reconcile, which writes nothing, knows of the
// DNSEndpoints: the names of those that exist.
func (r *UCDeploymentReconciler) observeDNSEndpoints(ctx context.Context, ucd *v1alpha1.UCDeployment) endpointsResult {
	if render.DNSEndpointViews(ucd) == nil && !r.DNSEndpoints.watching() && !publishedEndpoints(ucd) {
		return endpointsResult{}
	}
	reader, err := r.DNSEndpoints.Reader(ctx)
	if err != nil || reader == nil {
		return endpointsResult{}
	}
	return endpointsResult{names: liveEndpointNames(ctx, reader, ucd)}
}

// liveEndpointNames lists the DNSEndpoints ucd controls, or none when they cannot be read.
func liveEndpointNames(ctx context.Context, reader client.Reader, ucd *v1alpha1.UCDeployment) []string {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(render.DNSEndpointListGVK)
	if err := reader.List(ctx, list, client.InNamespace(ucd.Namespace), client.MatchingLabels{render.LabelDeployment: ucd.Name}); err != nil {
		return nil
	}
	var names []string
	for i := range list.Items {
		if isControlledBy(&list.Items[i], ucd) && list.Items[i].GetDeletionTimestamp().IsZero() {
			names = append(names, list.Items[i].GetName())
		}
	}
	slices.Sort(names)
	return names
}

// pruneDNSEndpoints deletes the DNSEndpoints ucd controls that are not desired.
func (r *UCDeploymentReconciler) pruneDNSEndpoints(ctx context.Context, reader client.Reader, ucd *v1alpha1.UCDeployment, desired []*unstructured.Unstructured) applyResult {
	want := map[string]bool{}
	for _, d := range desired {
		want[d.GetName()] = true
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(render.DNSEndpointListGVK)
	if err := reader.List(ctx, list, client.InNamespace(ucd.Namespace), client.MatchingLabels{render.LabelDeployment: ucd.Name}); err != nil {
		return applyResult{err: fmt.Errorf("listing DNSEndpoints: %w", err)}
	}
	var res applyResult
	var errs []error
	for i := range list.Items {
		e := &list.Items[i]
		if want[e.GetName()] || !isControlledBy(e, ucd) || !e.GetDeletionTimestamp().IsZero() {
			continue
		}
		uid := e.GetUID()
		if err := r.Delete(ctx, e, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
			res.failed = append(res.failed, "DNSEndpoint "+e.GetNamespace()+"/"+e.GetName())
			errs = append(errs, fmt.Errorf("deleting DNSEndpoint %s: %w", e.GetName(), err))
			continue
		}
		r.Recorder.Eventf(ucd, e, corev1.EventTypeNormal, "DeleteDNSEndpoint", "Delete", "deleted DNSEndpoint %s: %s", e.GetName(), pruneReason(ucd))
	}
	res.err = errors.Join(errs...)
	return res
}

func pruneReason(ucd *v1alpha1.UCDeployment) string {
	if render.DNSEndpointViews(ucd) == nil {
		return "spec.dns.dnsEndpoint is not enabled"
	}
	return "its view is not in spec.dns.dnsEndpoint.views"
}

// publishedEndpoints reports whether the status says DNSEndpoints were published and not pruned.
// It decides only whether to look for DNSEndpoints to prune while the feature is off and their
// watch has not started (starting it costs a discovery call and a cache); what exists is then read
// from the cluster, not from the status.
func publishedEndpoints(ucd *v1alpha1.UCDeployment) bool {
	return ucd.Status.DNS != nil && len(ucd.Status.DNS.DNSEndpoints) > 0 ||
		meta.FindStatusCondition(ucd.Status.Conditions, v1alpha1.ConditionDNSEndpointsReady) != nil
}

// dnsEndpointUpToDate compares spec.endpoints, which ucdeploy owns entirely (the list is atomic).
func dnsEndpointUpToDate(desired, live *unstructured.Unstructured) bool {
	want, _, err1 := unstructured.NestedSlice(desired.Object, "spec", "endpoints")
	have, _, err2 := unstructured.NestedSlice(live.Object, "spec", "endpoints")
	if err1 != nil || err2 != nil {
		return false
	}
	if len(want) == 0 && len(have) == 0 {
		return true
	}
	return equality.Semantic.DeepEqual(want, have)
}
