package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/bench/workload"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// deployments generates the n deployments of a phase in namespaces <prefix>-0 ..., creates the
// namespaces, and returns the deployments with the function that deletes what the phase created.
func (e *env) deployments(ctx context.Context, prefix string, n int) ([]workload.Deployment, func(), error) {
	namespaces := workload.Namespaces(prefix, e.cfg.Namespaces)
	for _, ns := range namespaces {
		if err := e.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, nil, err
		}
	}
	ds, err := workload.Generate(e.samples, n, namespaces)
	if err != nil {
		return nil, nil, err
	}
	return ds, func() { e.cleanUp(context.WithoutCancel(ctx), namespaces) }, nil
}

// managedDeployments is deployments with a manager started for the phase; the returned function
// stops the manager too.
func (e *env) managedDeployments(ctx context.Context, prefix string, n int) ([]workload.Deployment, *benchManager, func(), error) {
	ds, cleanUp, err := e.deployments(ctx, prefix, n)
	if err != nil {
		return nil, nil, nil, err
	}
	mgr, err := e.startManager(ctx, prefix, prefix, 0)
	if err != nil {
		cleanUp()
		return nil, nil, nil, err
	}
	return ds, mgr, func() { _ = mgr.stop(); cleanUp() }, nil
}

// createAll creates objs with e.cfg.Creators goroutines through the harness's client, calling
// created (if not nil) with each created object.
func (e *env) createAll(ctx context.Context, objs []client.Object, created func(client.Object)) error {
	return e.forEach(ctx, objs, func(obj client.Object) error {
		if err := e.client.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
		}
		if created != nil {
			created(obj)
		}
		return nil
	})
}

// forEach calls do on every object of objs from e.cfg.Creators goroutines, and stops at the first
// error.
func (e *env) forEach(ctx context.Context, objs []client.Object, do func(client.Object) error) error {
	var wg sync.WaitGroup
	next := make(chan client.Object)
	errs := make(chan error, e.cfg.Creators)
	for range e.cfg.Creators {
		wg.Go(func() {
			for obj := range next {
				if err := do(obj); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for _, obj := range objs {
		select {
		case next <- obj:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

// objectsOf returns copies of the UCDeployments of ds to create, their keys, and the keys of
// their planned Certificates.
func objectsOf(ds []workload.Deployment) (objs []client.Object, ucdKeys, certKeys []types.NamespacedName) {
	for _, d := range ds {
		ucdKeys = append(ucdKeys, client.ObjectKeyFromObject(d.Object))
		for _, c := range d.Plan.Certificates {
			certKeys = append(certKeys, types.NamespacedName{Namespace: d.Object.Namespace, Name: c.Name})
		}
		objs = append(objs, d.Object.DeepCopy())
	}
	return objs, ucdKeys, certKeys
}

// untilCertificatesExist creates objs and returns the time from the first create until every
// Certificate of keys exists, and the CPU spent meanwhile (by mgr too, if not nil).
func (e *env) untilCertificatesExist(ctx context.Context, objs []client.Object, keys []types.NamespacedName, mgr *benchManager, what string) (float64, CPU, error) {
	certs := newTracker(keys, exists)
	e.watch.track(true, certs)
	defer e.watch.untrack(certs)
	clock := e.clock(mgr)
	cpu0 := clock.read()
	t0 := time.Now()
	if err := e.createAll(ctx, objs, nil); err != nil {
		return 0, CPU{}, err
	}
	done, err := certs.wait(ctx, e.cfg.Timeout, what)
	if err != nil {
		return 0, CPU{}, err
	}
	return done.Sub(t0).Seconds(), clock.read().Sub(cpu0), nil
}

// sentinel creates a one-certificate UCDeployment in namespace warm-<tag>, waits until it is
// Ready and the manager has stopped writing.
func (e *env) sentinel(ctx context.Context, tag string) error {
	ns := "warm-" + tag
	if err := e.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	var shape *v1alpha1.UCDeployment
	for i := range e.samples {
		if shape == nil || len(plan.Compute(e.samples[i].Name, &e.samples[i].Spec).Certificates) < len(plan.Compute(shape.Name, &shape.Spec).Certificates) {
			shape = &e.samples[i]
		}
	}
	obj := &v1alpha1.UCDeployment{ObjectMeta: metav1.ObjectMeta{Name: "sentinel", Namespace: ns}, Spec: *shape.Spec.DeepCopy()}
	t := newTracker([]types.NamespacedName{client.ObjectKeyFromObject(obj)}, ucdReady)
	e.watch.track(false, t)
	defer e.watch.untrack(t)
	existing := &v1alpha1.UCDeployment{}
	if err := e.client.Get(ctx, client.ObjectKeyFromObject(obj), existing); err == nil {
		t.observe(existing) // already Ready from an earlier start
	} else if err := e.client.Create(ctx, obj); err != nil {
		return err
	}
	if _, err := t.wait(ctx, 2*time.Minute, "sentinel Ready"); err != nil {
		return err
	}
	return e.quiet(ctx, &e.managerWrites, time.Second, 30*time.Second)
}

// quiet waits until p has seen no write for window, at most timeout.
func (e *env) quiet(ctx context.Context, p *writeCounter, window, timeout time.Duration) error {
	last := p.Writes().Total
	lastChange := time.Now()
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, false, func(context.Context) (bool, error) {
		if w := p.Writes().Total; w != last {
			last, lastChange = w, time.Now()
		}
		return time.Since(lastChange) >= window, nil
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("writes did not stop within %s", timeout)
	}
	return err
}

// cleanUp deletes what a phase created in namespaces, all namespaces at once: the namespaces
// stay (the lab runs no namespace controller to finish deleting them), empty.
func (e *env) cleanUp(ctx context.Context, namespaces []string) {
	var wg sync.WaitGroup
	for _, ns := range append(namespaces, "warm-"+strings.SplitN(namespaces[0], "-", 2)[0]) {
		del := func(obj client.Object, opts ...client.DeleteAllOfOption) {
			wg.Go(func() {
				if err := e.client.DeleteAllOf(ctx, obj, append(opts, client.InNamespace(ns))...); err != nil && !apierrors.IsNotFound(err) {
					e.log("clean-up of %T in %s: %v", obj, ns, err)
				}
			})
		}
		for _, obj := range []client.Object{
			&v1alpha1.UCDeployment{}, &cmapi.Certificate{}, &cmapi.CertificateRequest{}, &networkingv1.Ingress{}, &corev1.Event{},
		} {
			del(obj)
		}
		del(&corev1.ConfigMap{}, client.MatchingLabels{render.LabelManagedBy: render.ManagedBy})
		del(&corev1.Secret{}, client.MatchingLabels{render.LabelManagedBy: render.ManagedBy})
		// Secrets cert-manager issued carry its own labels, not ucdeploy's.
		del(&corev1.Secret{}, client.HasLabels{"controller.cert-manager.io/fao"})
	}
	wg.Wait()
}
