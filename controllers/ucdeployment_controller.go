// Package controllers holds the UCDeployment reconciler: it reads a UCDeployment, asks the planner
// what should exist, applies it with server-side apply and reports the truth in status. All
// decisions about what exists live in internal/plan and internal/render; this package only does I/O.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/metrics"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// FieldOwner is the server-side apply field manager of every object ucdeploy writes.
const FieldOwner = "ucdeploy"

// conflictRetry is how often a NameConflict is looked at again: the foreign object is not in the
// (label-scoped) cache, so its deletion raises no event.
const conflictRetry = time.Minute

// UCDeploymentReconciler reconciles UCDeployments into cert-manager Certificates and DNS ConfigMaps.
type UCDeploymentReconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	client.Client
	// APIReader reads from the API server directly; used only to tell a missing child from a
	// foreign object the label-scoped cache cannot see.
	APIReader client.Reader
	// Patcher sends the children's server-side applies and the status patches.
	Patcher *Patcher
	// AllowedClusterIssuers, when not empty, are the only ClusterIssuers a UCDeployment may name:
	// one naming another is stalled (IssuerNotAllowed) and nothing new is applied for it.
	AllowedClusterIssuers []string
	// Recorder emits events on the UCDeployment.
	Recorder events.EventRecorder
	// DNSEndpoints discovers and reads external-dns's optional DNSEndpoint kind; nil treats the
	// CRD as not installed.
	DNSEndpoints *DNSEndpointKind
	// DNSVerifier checks the planned records at the nameservers of spec.dns.verify; nil disables
	// verification (dnsverify.go).
	DNSVerifier *DNSVerifier
}

// +kubebuilder:rbac:groups=uc.ucdeploy.io,resources=ucdeployments,verbs=get;list;watch
// +kubebuilder:rbac:groups=uc.ucdeploy.io,resources=ucdeployments/status,verbs=get;patch
// +kubebuilder:rbac:groups=cert-manager.io,resources=certificates,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one UCDeployment's children and status in line with its spec.
func (r *UCDeploymentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	ucd := &v1alpha1.UCDeployment{}
	if err := r.Get(ctx, req.NamespacedName, ucd); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.Forget(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !ucd.DeletionTimestamp.IsZero() {
		metrics.Forget(ucd.Namespace, ucd.Name)
		return ctrl.Result{}, nil // owner references let the garbage collector remove the children
	}

	// R-PKI-01 judges the public certificates' lifetime on the day they are issued: today. An
	// ACME public issuer adds the rules of its profile.
	opts := append([]plan.Option{plan.IssuedOn(time.Now())}, r.publicIssuerOptions(ctx, ucd)...)
	start := time.Now()
	o := &observation{plan: plan.Compute(ucd.Name, &ucd.Spec, opts...)}
	metrics.ObservePlan(time.Since(start))
	o.issuerRefusal = r.issuerRefusal(ucd, o.plan)
	// With a plan error or a refused issuer, apply nothing new; existing children and their
	// Secrets stay as they are.
	switch {
	case o.plan.HasErrors():
		if !stalledOn(ucd, v1alpha1.ReasonPlanHasErrors) {
			r.Recorder.Eventf(ucd, nil, corev1.EventTypeWarning, v1alpha1.ReasonPlanHasErrors, "Plan", planErrorMessage(o.plan.Findings))
		}
	case o.issuerRefusal != "":
		if !stalledOn(ucd, v1alpha1.ReasonIssuerNotAllowed) {
			r.Recorder.Eventf(ucd, nil, corev1.EventTypeWarning, v1alpha1.ReasonIssuerNotAllowed, "Plan", o.issuerRefusal)
		}
	default:
		r.applyAll(ctx, ucd, o)
	}
	if err := r.observeCertificates(ctx, ucd, o); err != nil {
		return ctrl.Result{}, err
	}
	if len(o.certificates) < len(o.plan.Certificates) || !allReady(o.certificates) {
		var err error
		if o.issuers, err = r.issuerProblems(ctx, ucd, o.plan); err != nil {
			return ctrl.Result{}, err
		}
	}
	o.dnsVerify = r.DNSVerifier.verifyDNS(ctx, ucd, o.plan)
	st := desiredStatus(ucd, o)
	r.announceRenewals(ucd, o.plan, st.Certificates)
	metrics.Record(ucd.Namespace, ucd.Name, &st)
	if err := r.patchStatus(ctx, ucd, st); err != nil {
		return ctrl.Result{}, err
	}
	switch {
	case o.applyErr != nil:
		log.Error(o.applyErr, "applying children")
		return ctrl.Result{}, o.applyErr
	case len(o.conflicts) > 0:
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	case o.endpoints == endpointsCRDMissing:
		// No event tells when the CRD arrives: look again when the discovery answer expires.
		return ctrl.Result{RequeueAfter: r.DNSEndpoints.recheck()}, nil
	}
	return ctrl.Result{RequeueAfter: o.dnsVerify.requeueAfter}, nil
}

// applyAll applies the desired Certificates, ConfigMaps and DNSEndpoints and prunes the ones the
// plan or the spec dropped.
func (r *UCDeploymentReconciler) applyAll(ctx context.Context, ucd *v1alpha1.UCDeployment, o *observation) {
	var errs []error
	desiredCerts := render.Certificates(ucd, o.plan)
	for _, c := range desiredCerts {
		errs = append(errs, r.applyOne(ctx, r.Client, ucd, o, c, &cmapi.Certificate{}, "Certificate"))
	}
	dnsOK := true
	for _, cm := range render.ConfigMaps(ucd, o.plan) {
		n := len(o.conflicts)
		err := r.applyOne(ctx, r.Client, ucd, o, cm, &corev1.ConfigMap{}, "ConfigMap")
		dnsOK = dnsOK && err == nil && len(o.conflicts) == n
		errs = append(errs, err)
	}
	o.dnsApplied = dnsOK
	errs = append(errs, r.applyOne(ctx, r.Client, ucd, o, render.InstallConfigMap(ucd, o.plan), &corev1.ConfigMap{}, "ConfigMap"))
	errs = append(errs, r.prune(ctx, ucd, desiredCerts))
	if err := r.applyDNSEndpoints(ctx, ucd, o); err != nil {
		o.endpointsErr = err
		errs = append(errs, err)
	}
	o.applyErr = errors.Join(errs...)
	// One event per reconcile that changed something, not one per child: per-child events were
	// almost half of the manager's writes (docs/performance.md, "Round 1").
	if len(o.created) > 0 {
		r.Recorder.Eventf(ucd, nil, corev1.EventTypeNormal, "Created", "Apply", "created %s", strings.Join(o.created, ", "))
	}
	if len(o.updated) > 0 {
		r.Recorder.Eventf(ucd, nil, corev1.EventTypeNormal, "Updated", "Apply", "updated %s to match the plan", strings.Join(o.updated, ", "))
	}
}

// applyOne applies one child, reading the live object through reader, and records events and
// conflicts.
func (r *UCDeploymentReconciler) applyOne(ctx context.Context, reader client.Reader, ucd *v1alpha1.UCDeployment, o *observation, desired, live client.Object, kind string) error {
	outcome, err := r.applyChild(ctx, reader, ucd, desired, live)
	if err != nil {
		r.Recorder.Eventf(ucd, nil, corev1.EventTypeWarning, v1alpha1.ReasonApplyFailed, "Apply", "%s %s: %v", kind, desired.GetName(), err)
		return err
	}
	switch outcome {
	case childCreated:
		o.created = append(o.created, kind+" "+desired.GetName())
	case childUpdated:
		o.updated = append(o.updated, kind+" "+desired.GetName())
	case childConflict:
		ref := fmt.Sprintf("%s %s/%s", kind, desired.GetNamespace(), desired.GetName())
		o.conflicts = append(o.conflicts, ref)
		if !stalledOn(ucd, v1alpha1.ReasonNameConflict) { // one event per occurrence, not one per retry
			r.Recorder.Eventf(ucd, nil, corev1.EventTypeWarning, v1alpha1.ReasonNameConflict, "Apply",
				"%s exists and is not controlled by this UCDeployment; left untouched", ref)
		}
	}
	return nil
}

// prune deletes the Certificates this UCDeployment controls that the plan no longer contains. The
// two DNS ConfigMaps always exist, so they are never pruned.
func (r *UCDeploymentReconciler) prune(ctx context.Context, ucd *v1alpha1.UCDeployment, desired []*cmapi.Certificate) error {
	want := make(map[string]bool, len(desired))
	for _, c := range desired {
		want[c.Name] = true
	}
	var list cmapi.CertificateList
	if err := r.List(ctx, &list, client.InNamespace(ucd.Namespace), client.MatchingLabels{render.LabelDeployment: ucd.Name}); err != nil {
		return fmt.Errorf("listing Certificates: %w", err)
	}
	var errs []error
	for i := range list.Items {
		c := &list.Items[i]
		if want[c.Name] || !isControlledBy(c, ucd) || !c.DeletionTimestamp.IsZero() {
			continue
		}
		if err := r.Delete(ctx, c, client.Preconditions{UID: &c.UID}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting Certificate %s: %w", c.Name, err))
			continue
		}
		r.Recorder.Eventf(ucd, c, corev1.EventTypeNormal, "DeleteCertificate", "Delete", "deleted Certificate %s: no longer in the plan", c.Name)
	}
	return errors.Join(errs...)
}

// observeCertificates reads the live planned Certificates this UCDeployment controls.
func (r *UCDeploymentReconciler) observeCertificates(ctx context.Context, ucd *v1alpha1.UCDeployment, o *observation) error {
	o.certificates = map[string]*cmapi.Certificate{}
	for _, pc := range o.plan.Certificates {
		c := &cmapi.Certificate{}
		err := r.Get(ctx, client.ObjectKey{Namespace: ucd.Namespace, Name: pc.Name}, c)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading Certificate %s: %w", pc.Name, err)
		}
		if isControlledBy(c, ucd) {
			o.certificates[pc.Name] = c
		}
	}
	return nil
}

// patchStatus writes the status only when it changed.
func (r *UCDeploymentReconciler) patchStatus(ctx context.Context, ucd *v1alpha1.UCDeployment, st v1alpha1.UCDeploymentStatus) error {
	if equality.Semantic.DeepEqual(ucd.Status, st) {
		return nil
	}
	before := ucd.DeepCopy()
	ucd.Status = st
	data, err := client.MergeFrom(before).Data(ucd)
	if err != nil {
		return fmt.Errorf("computing the status patch: %w", err)
	}
	err = r.Patcher.patch(ctx, patchRequest{
		gvk: v1alpha1.GroupVersion.WithKind("UCDeployment"), namespace: ucd.Namespace, name: ucd.Name,
		subresource: "status", pt: types.MergePatchType, data: data,
	})
	if err != nil {
		return fmt.Errorf("patching status: %w", err)
	}
	return nil
}

func stalledOn(ucd *v1alpha1.UCDeployment, reason string) bool {
	for _, c := range ucd.Status.Conditions {
		if c.Type == v1alpha1.ConditionStalled && c.Reason == reason && c.ObservedGeneration == ucd.Generation {
			return true
		}
	}
	return false
}

// statusChanged passes updates whose status differs. A status write of ours therefore triggers
// one more reconcile, which reads the freshly cached status: if an earlier reconcile compared its
// result against a stale cached copy and skipped a needed patch, this one makes it. A reconcile
// that finds the status equal writes nothing, so this costs reads only.
var statusChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, okOld := e.ObjectOld.(*v1alpha1.UCDeployment)
		n, okNew := e.ObjectNew.(*v1alpha1.UCDeployment)
		return okOld && okNew && !equality.Semantic.DeepEqual(o.Status, n.Status)
	},
	CreateFunc:  func(event.CreateEvent) bool { return false },
	DeleteFunc:  func(event.DeleteEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// certificateSettle is how long a status change of a Certificate waits before it reconciles its
// UCDeployment. cert-manager moves a deployment's Certificates through issuing to Ready within
// moments of each other; one reconcile after the burst writes the status once instead of once per
// step (docs/performance.md).
const certificateSettle = time.Second

// settling is an event handler that delays the reconciles caused by updates that leave the
// object's generation alone (status, for a Certificate) by delay; the queue keeps one pending
// reconcile per UCDeployment, so a burst of such updates makes one. Creations, deletions and spec
// changes (drift) are reconciled at once.
type settling struct {
	handler.EventHandler
	delay time.Duration
}

// Update enqueues at once for a new generation and after the delay otherwise.
func (h settling) Update(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	if e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() {
		h.EventHandler.Update(ctx, e, q)
		return
	}
	h.EventHandler.Update(ctx, e, delayedQueue{q, h.delay})
}

// delayedQueue turns Add into AddAfter(delay).
type delayedQueue struct {
	workqueue.TypedRateLimitingInterface[reconcile.Request]
	delay time.Duration
}

// Add adds r after the queue's delay.
func (q delayedQueue) Add(r reconcile.Request) { q.AddAfter(r, q.delay) }

// Options tune the controller.
type Options struct {
	// MaxConcurrentReconciles is how many UCDeployments are reconciled at once.
	MaxConcurrentReconciles int
}

// SetupWithManager registers the reconciler: UCDeployments on generation changes, and the
// Certificates and ConfigMaps they own (drift, deletion, readiness). The DNSEndpoints they own
// are watched from the moment their CRD is found (DNSEndpointKind).
func (r *UCDeploymentReconciler) SetupWithManager(mgr ctrl.Manager, opts Options) error {
	c, err := ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.UCDeployment{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, statusChanged))).
		Watches(&cmapi.Certificate{}, settling{
			EventHandler: handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &v1alpha1.UCDeployment{}, handler.OnlyControllerOwner()),
			delay:        certificateSettle,
		}).
		Owns(&corev1.ConfigMap{}).
		Watches(&cmapi.ClusterIssuer{}, handler.EnqueueRequestsFromMapFunc(r.deploymentsForIssuer)).
		Watches(&cmapi.Issuer{}, handler.EnqueueRequestsFromMapFunc(r.deploymentsForIssuer)).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Build(r)
	if err != nil {
		return err
	}
	if r.DNSEndpoints != nil {
		owned := handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &v1alpha1.UCDeployment{}, handler.OnlyControllerOwner())
		r.DNSEndpoints.start = func(_ context.Context, dc cache.Cache) error {
			if err := mgr.Add(dc); err != nil {
				return err
			}
			return c.Watch(source.Kind[client.Object](dc, newDNSEndpoint(), owned))
		}
	}
	return nil
}
