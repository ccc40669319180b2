// Package controllers holds the UCDeployment reconciler: it reads a UCDeployment, asks the planner
// what should exist, applies it with server-side apply and reports the truth in status. All
// decisions about what exists live in internal/plan and internal/render; this package only does I/O.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	"github.com/ucdeploy/ucdeploy/internal/childwriter"
	"github.com/ucdeploy/ucdeploy/internal/metrics"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

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
	// Writer sends the children's server-side applies and the status patches.
	Writer *childwriter.Writer
	// AllowedClusterIssuers, when not empty, are the only ClusterIssuers a UCDeployment may name:
	// one naming another is stalled (IssuerNotAllowed) and nothing new is applied for it.
	AllowedClusterIssuers []string
	// Recorder emits events on the UCDeployment.
	Recorder events.EventRecorder
	// DNSEndpoints discovers and reads external-dns's optional DNSEndpoint kind; nil treats the
	// CRD as not installed.
	DNSEndpoints *DNSEndpointWatch
	// DNSVerifier checks the planned records at the nameservers of spec.dns.verify; nil disables
	// verification (dnsverify.go).
	DNSVerifier *DNSVerifier
	// ServedVerifier checks what the listeners of spec.certificates.verifyServed serve; nil
	// disables the check (served.go).
	ServedVerifier *ServedVerifier

	// generations remembers which generation of each UCDeployment this process has applied.
	generations appliedGenerations
	// writes remembers when this process last wrote each UCDeployment's status.
	writes statusWrites
}

// +kubebuilder:rbac:groups=uc.ucdeploy.io,resources=ucdeployments,verbs=get;list;watch
// +kubebuilder:rbac:groups=uc.ucdeploy.io,resources=ucdeployments/status,verbs=get;patch
// +kubebuilder:rbac:groups=cert-manager.io,resources=certificates,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=cert-manager.io,resources=certificaterequests,verbs=get;list
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one UCDeployment's children and status in line with its spec: plan, apply,
// observe, then a status computed from those three alone.
func (r *UCDeploymentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ucd := &v1alpha1.UCDeployment{}
	if err := r.Get(ctx, req.NamespacedName, ucd); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !ucd.DeletionTimestamp.IsZero() {
		r.forget(req.NamespacedName)
		return ctrl.Result{}, nil // owner references let the garbage collector remove the children
	}

	in := statusInput{plan: r.plan(ctx, ucd)}
	in.issuerRefusal = r.issuerRefusal(ucd, in.plan)
	// With a plan error or a refused issuer, apply nothing new; existing children and their
	// Secrets stay as they are.
	if !in.plan.HasErrors() && in.issuerRefusal == "" {
		in.applied = r.applyAll(ctx, ucd, in.plan)
	} else {
		in.applied.endpoints = r.observeDNSEndpoints(ctx, ucd)
	}
	if err := r.observe(ctx, ucd, &in); err != nil {
		return ctrl.Result{}, err
	}
	in.dnsVerify = r.DNSVerifier.verifyDNS(ctx, ucd, in.plan)
	in.served = r.ServedVerifier.verifyServed(ctx, ucd, in.plan, in.certificates)

	st := desiredStatus(ucd, in)
	metrics.Record(ucd.Namespace, ucd.Name, &st)
	if wait := r.writes.progressWait(req.NamespacedName, ucd.Status, st, in, time.Now()); wait > 0 {
		// Only more Certificates are ready than the status says: the next write, at most
		// progressInterval after the last, carries it. Nothing to announce: nothing was applied
		// and the written status is unchanged.
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	r.announce(ucd, in, st)
	if justCreated(in) {
		// The status would only say that Certificates created a moment ago are not issued yet;
		// issuance usually completes within the settle time, so the status is written once, then
		// (docs/performance.md, "Round 3"). Should it take longer, this reconcile's requeue writes
		// the progress.
		return ctrl.Result{RequeueAfter: certificateSettle}, nil
	}
	if err := r.patchStatus(ctx, ucd, st); err != nil {
		return ctrl.Result{}, err
	}
	return r.result(ctx, in)
}

// justCreated reports whether this reconcile created Certificates and everything else went as
// planned: the status would then describe a moment that passes within certificateSettle.
func justCreated(in statusInput) bool {
	all := in.applied.all()
	return len(in.applied.certificates.created) > 0 && all.ok() && in.issuerRefusal == "" && !in.plan.HasErrors()
}

// plan runs the planner. R-PKI-01 judges the public certificates' lifetime on the day they are
// issued: today. An ACME public issuer adds the rules of its profile. The DNS ConfigMaps are
// measured as they will be written, so that one over 1 MiB is an Error finding before any write.
func (r *UCDeploymentReconciler) plan(ctx context.Context, ucd *v1alpha1.UCDeployment) plan.Plan {
	opts := append([]plan.Option{plan.IssuedOn(time.Now()), plan.MeasuredBy(render.DataSizes(ucd))}, r.publicIssuerOptions(ctx, ucd)...)
	start := time.Now()
	p := plan.Compute(ucd.Name, &ucd.Spec, opts...)
	metrics.ObservePlan(time.Since(start))
	return p
}

// applied is what one reconcile's writes did, by kind of child.
type applied struct {
	// ran is false when the plan's errors or a refused issuer held every write back.
	ran                                      bool
	certificates, dnsConfigMaps, installData applyResult
	pruned                                   applyResult
	endpoints                                endpointsResult
}

// all is every write's result together.
func (a applied) all() applyResult {
	return a.certificates.join(a.dnsConfigMaps).join(a.installData).join(a.pruned).join(a.endpoints.applyResult)
}

// applyAll applies the desired Certificates, ConfigMaps and DNSEndpoints and prunes the
// Certificates the plan dropped.
func (r *UCDeploymentReconciler) applyAll(ctx context.Context, ucd *v1alpha1.UCDeployment, p plan.Plan) applied {
	desiredCerts := render.Certificates(ucd, p)
	a := applied{
		ran:           true,
		certificates:  r.applyChildren(ctx, r.Client, ucd, "Certificate", objects(desiredCerts), func() client.Object { return &cmapi.Certificate{} }),
		dnsConfigMaps: r.applyChildren(ctx, r.Client, ucd, "ConfigMap", objects(render.ConfigMaps(ucd, p)), newConfigMap),
		installData:   r.applyChildren(ctx, r.Client, ucd, "ConfigMap", objects([]*corev1.ConfigMap{render.InstallConfigMap(ucd, p)}), newConfigMap),
		pruned:        r.pruneCertificates(ctx, ucd, desiredCerts),
		endpoints:     r.applyDNSEndpoints(ctx, ucd, p),
	}
	if a.all().err == nil {
		r.generations.record(ucd)
	}
	return a
}

func newConfigMap() client.Object { return &corev1.ConfigMap{} }

// objects returns xs as client.Objects.
func objects[T client.Object](xs []T) []client.Object {
	out := make([]client.Object, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// controllerIndex is the Certificate field index of the UID of the object that controls it: the
// UCDeployment's own Certificates are found without going through every one in its namespace.
const controllerIndex = "metadata.ownerReferences.controller"

// controllerUID is controllerIndex's value for an object.
func controllerUID(obj client.Object) []string {
	if ref := metav1.GetControllerOf(obj); ref != nil {
		return []string{string(ref.UID)}
	}
	return nil
}

// pruneCertificates deletes the Certificates this UCDeployment controls that the plan no longer
// contains. The DNS and install ConfigMaps always exist, so they are never pruned.
func (r *UCDeploymentReconciler) pruneCertificates(ctx context.Context, ucd *v1alpha1.UCDeployment, desired []*cmapi.Certificate) applyResult {
	want := make(map[string]bool, len(desired))
	for _, c := range desired {
		want[c.Name] = true
	}
	var list cmapi.CertificateList
	if err := r.List(ctx, &list, client.InNamespace(ucd.Namespace), client.MatchingFields{controllerIndex: string(ucd.UID)}); err != nil {
		return applyResult{err: fmt.Errorf("listing Certificates: %w", err)}
	}
	var res applyResult
	var errs []error
	for i := range list.Items {
		c := &list.Items[i]
		if want[c.Name] || !c.DeletionTimestamp.IsZero() { // the index holds only what ucd controls
			continue
		}
		if err := r.Delete(ctx, c, client.Preconditions{UID: &c.UID}); err != nil && !apierrors.IsNotFound(err) {
			res.failed = append(res.failed, "Certificate "+c.Namespace+"/"+c.Name)
			errs = append(errs, fmt.Errorf("deleting Certificate %s: %w", c.Name, err))
			continue
		}
		r.Recorder.Eventf(ucd, c, corev1.EventTypeNormal, "DeleteCertificate", "Delete", "deleted Certificate %s: no longer in the plan", c.Name)
	}
	res.err = errors.Join(errs...)
	return res
}

// observe reads the planned Certificates this UCDeployment controls and, while some are not
// Ready, the issuers they need.
func (r *UCDeploymentReconciler) observe(ctx context.Context, ucd *v1alpha1.UCDeployment, in *statusInput) error {
	in.certificates = map[string]*cmapi.Certificate{}
	for _, pc := range in.plan.Certificates {
		c := &cmapi.Certificate{}
		err := r.Get(ctx, client.ObjectKey{Namespace: ucd.Namespace, Name: pc.Name}, c)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading Certificate %s: %w", pc.Name, err)
		}
		if isControlledBy(c, ucd) {
			in.certificates[pc.Name] = c
		}
	}
	if len(in.certificates) == len(in.plan.Certificates) && allReady(in.certificates) {
		return nil
	}
	var err error
	in.issuerProblems, err = r.issuerProblems(ctx, ucd, in.plan)
	return err
}

// result is what the reconcile asks of the queue: a retry with backoff after a failed write, a
// look again later at a name conflict or a missing DNSEndpoint CRD, and otherwise the next DNS
// verification pass, if one is due.
func (r *UCDeploymentReconciler) result(ctx context.Context, in statusInput) (ctrl.Result, error) {
	a := in.applied
	all := a.all()
	switch {
	case all.err != nil:
		logf.FromContext(ctx).Error(all.err, "applying children")
		return ctrl.Result{}, all.err
	case len(all.conflicts) > 0:
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	case a.endpoints.state == endpointsCRDMissing:
		// No event tells when the CRD arrives: look again when the discovery answer expires.
		return ctrl.Result{RequeueAfter: r.DNSEndpoints.recheck()}, nil
	}
	return ctrl.Result{RequeueAfter: earliest(in.dnsVerify.requeueAfter, in.served.requeueAfter)}, nil
}

// earliest is the shortest of the durations that are not zero, or zero when all are.
func earliest(ds ...time.Duration) time.Duration {
	var out time.Duration
	for _, d := range ds {
		if d > 0 && (out == 0 || d < out) {
			out = d
		}
	}
	return out
}

// forget drops what the process keeps about a UCDeployment that is gone.
func (r *UCDeploymentReconciler) forget(key types.NamespacedName) {
	metrics.Forget(key.Namespace, key.Name)
	r.generations.forget(key)
	r.writes.forget(key)
	r.ServedVerifier.forget(key)
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
	if err := r.Writer.PatchStatus(ctx, ucd, data); err != nil {
		return err
	}
	r.writes.record(client.ObjectKeyFromObject(ucd), time.Now())
	return nil
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
// are watched from the moment their CRD is found (DNSEndpointWatch).
func (r *UCDeploymentReconciler) SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1alpha1.UCDeployment{}, issuerIndex, issuerKeys); err != nil {
		return fmt.Errorf("indexing UCDeployments by issuer: %w", err)
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &cmapi.Certificate{}, controllerIndex, controllerUID); err != nil {
		return fmt.Errorf("indexing Certificates by controller: %w", err)
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.UCDeployment{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, statusChanged)))
	if r.DNSVerifier != nil {
		// A verification pass runs outside the reconcile and requeues its deployment when it ends.
		b = b.WatchesRawSource(source.Channel(r.DNSVerifier.Ended(), &handler.TypedEnqueueRequestForObject[*v1alpha1.UCDeployment]{}))
	}
	c, err := b.
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
	if r.ServedVerifier != nil {
		// A finished pass enqueues its deployment (served.go).
		if err := c.Watch(source.Channel(r.ServedVerifier.events, &handler.EnqueueRequestForObject{})); err != nil {
			return fmt.Errorf("watching served-certificate passes: %w", err)
		}
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
