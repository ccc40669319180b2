package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// tracker waits until every wanted object has been seen satisfying a predicate, and records
// when that happened. The benchmark's informers feed it every add and update, so the end of a
// phase is seen through a watch, within milliseconds, without polling the API server.
type tracker struct {
	pred      func(client.Object) bool
	mu        sync.Mutex
	pending   map[types.NamespacedName]bool
	done      chan struct{}
	completed time.Time
}

func newTracker(keys []types.NamespacedName, pred func(client.Object) bool) *tracker {
	t := &tracker{pred: pred, pending: make(map[types.NamespacedName]bool, len(keys)), done: make(chan struct{})}
	for _, k := range keys {
		t.pending[k] = true
	}
	if len(t.pending) == 0 {
		t.completed = time.Now()
		close(t.done)
	}
	return t
}

func (t *tracker) observe(obj client.Object) {
	key := types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.pending[key] || !t.pred(obj) {
		return
	}
	delete(t.pending, key)
	if len(t.pending) == 0 {
		t.completed = time.Now()
		close(t.done)
	}
}

// wait blocks until the tracker completes, ctx ends or timeout passes; it returns the completion
// time.
func (t *tracker) wait(ctx context.Context, timeout time.Duration, what string) (time.Time, error) {
	select {
	case <-t.done:
		return t.completed, nil
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	case <-time.After(timeout):
		t.mu.Lock()
		defer t.mu.Unlock()
		var some []string
		for k := range t.pending {
			if len(some) == 5 {
				break
			}
			some = append(some, k.String())
		}
		return time.Time{}, fmt.Errorf("%s: %d objects still pending after %s, e.g. %s", what, len(t.pending), timeout, strings.Join(some, ", "))
	}
}

// watcher is the benchmark's own view of the cluster: informers on Certificates and
// UCDeployments (the bench process's memory, not the manager's), the trackers they feed, and the
// stand-in for cert-manager.
type watcher struct {
	cache cache.Cache
	mu    sync.Mutex
	certs map[*tracker]bool
	ucds  map[*tracker]bool
}

func newWatcher(ctx context.Context, c cache.Cache) (*watcher, error) {
	w := &watcher{cache: c, certs: map[*tracker]bool{}, ucds: map[*tracker]bool{}}
	for _, f := range []struct {
		obj      client.Object
		trackers map[*tracker]bool
	}{{&cmapi.Certificate{}, w.certs}, {&v1alpha1.UCDeployment{}, w.ucds}} {
		inf, err := c.GetInformer(ctx, f.obj)
		if err != nil {
			return nil, err
		}
		feed := func(obj any) {
			o, ok := obj.(client.Object)
			if !ok {
				return
			}
			w.mu.Lock()
			ts := make([]*tracker, 0, len(f.trackers))
			for t := range f.trackers {
				ts = append(ts, t)
			}
			w.mu.Unlock()
			for _, t := range ts {
				t.observe(o)
			}
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    feed,
			UpdateFunc: func(_, obj any) { feed(obj) },
		}); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// track registers t for Certificates (certs true) or UCDeployments until untrack.
func (w *watcher) track(certs bool, t *tracker) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if certs {
		w.certs[t] = true
	} else {
		w.ucds[t] = true
	}
}

func (w *watcher) untrack(t *tracker) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.certs, t)
	delete(w.ucds, t)
}

// ucdReady: the UCDeployment's status describes its generation and Ready is True.
func ucdReady(obj client.Object) bool {
	u, ok := obj.(*v1alpha1.UCDeployment)
	return ok && u.Status.ObservedGeneration == u.Generation && conditionTrue(u, v1alpha1.ConditionReady)
}

// conditionTrue: the UCDeployment's condition typ is True for its generation.
func conditionTrue(obj client.Object, typ string) bool {
	u, ok := obj.(*v1alpha1.UCDeployment)
	if !ok {
		return false
	}
	c := meta.FindStatusCondition(u.Status.Conditions, typ)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == u.Generation
}

// certReady: cert-manager (or the stand-in) reports the Certificate Ready for its generation.
func certReady(obj client.Object) bool {
	c, ok := obj.(*cmapi.Certificate)
	if !ok {
		return false
	}
	for _, cond := range c.Status.Conditions {
		if cond.Type == cmapi.CertificateConditionReady {
			return cond.Status == cmmeta.ConditionTrue && cond.ObservedGeneration == c.Generation
		}
	}
	return false
}

func exists(client.Object) bool { return true }

// standIn plays cert-manager for the phases that do not measure signing: it watches Certificates
// labelled as ucdeploy's, in namespaces it is told to serve, and marks each one Ready for its
// generation through the status subresource, as controllers/suite_test.go's
// markCertificatesReady does: one status patch per Certificate.
type standIn struct {
	client  client.Client // the benchmark's own (administrator) client, not through any proxy
	cache   cache.Cache
	queue   workqueue.TypedRateLimitingInterface[types.NamespacedName]
	mu      sync.Mutex
	serve   func(namespace string) bool
	workers int
}

func startStandIn(ctx context.Context, c client.Client, ca cache.Cache, workers int, serve func(string) bool) (*standIn, error) {
	s := &standIn{
		client: c, cache: ca, workers: workers, serve: serve,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[types.NamespacedName](),
			workqueue.TypedRateLimitingQueueConfig[types.NamespacedName]{Name: "bench-stand-in"}),
	}
	inf, err := ca.GetInformer(ctx, &cmapi.Certificate{})
	if err != nil {
		return nil, err
	}
	enqueue := func(obj any) {
		c, ok := obj.(*cmapi.Certificate)
		if !ok || c.Labels[render.LabelManagedBy] != render.ManagedBy || certReady(c) || !s.serves(c.Namespace) {
			return
		}
		s.queue.Add(types.NamespacedName{Namespace: c.Namespace, Name: c.Name})
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return nil, err
	}
	for range workers {
		go func() {
			for s.work(ctx) {
			}
		}()
	}
	go func() { <-ctx.Done(); s.queue.ShutDown() }()
	return s, nil
}

// setServes changes which namespaces the stand-in serves.
func (s *standIn) setServes(serve func(string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serve = serve
}

func (s *standIn) serves(ns string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serve(ns)
}

func (s *standIn) work(ctx context.Context) bool {
	key, shutdown := s.queue.Get()
	if shutdown {
		return false
	}
	defer s.queue.Done(key)
	c := &cmapi.Certificate{}
	if err := s.cache.Get(ctx, key, c); err != nil || certReady(c) {
		s.queue.Forget(key)
		return true
	}
	before := c.DeepCopy()
	lab.SetCertificateReady(c)
	if err := s.client.Status().Patch(ctx, c, client.MergeFrom(before)); err != nil {
		if ctx.Err() == nil {
			s.queue.AddRateLimited(key)
		}
		return true
	}
	s.queue.Forget(key)
	return true
}
