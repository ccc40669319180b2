// Package bench is ucdeploy's performance benchmark (`make bench`, bench/cmd): in one process and
// against one lab API server it measures, for N realistic UCDeployments, how long the ucdeploy
// manager takes to converge, against a floor (a bare client writing the same objects) and a peer
// (cert-manager's ingress-shim making the same Certificates from Ingresses); how many API writes
// it makes, during convergence and when idle; how much memory it uses; and the planner's cost.
// docs/performance.md explains the method and records the results.
package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/bench/workload"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
	ucdscheme "github.com/ucdeploy/ucdeploy/internal/scheme"
)

// Config says what to measure.
type Config struct {
	// Ns are the numbers of UCDeployments, one row each.
	Ns []int
	// Idle is the idle window measured at IdleN; IdleOthers the one at every other N (0 skips it).
	Idle, IdleOthers time.Duration
	// IdleN is the N of the long idle window; 0 means the largest N.
	IdleN int
	// IdleSyncPeriod is the manager's --sync-period during idle windows.
	IdleSyncPeriod time.Duration
	// RealN is the N of the run with real cert-manager issuance; 0 skips it.
	RealN int
	// CostsN is the number of deployments whose objects measure the cost of each kind of
	// request (requestCosts); 0 skips it.
	CostsN int
	// Concurrency is the manager's --max-concurrent-reconciles, and the worker count of the floor
	// and of ingress-shim ("the same concurrency").
	Concurrency int
	// Creators is how many goroutines create the UCDeployments (and the Ingresses).
	Creators int
	// StandInWorkers is how many goroutines mark Certificates Ready.
	StandInWorkers int
	// Namespaces is how many namespaces the N UCDeployments are spread over.
	Namespaces int
	// Timeout bounds each wait for convergence.
	Timeout time.Duration
	// ManagerArgs are extra ucdeploy flags.
	ManagerArgs []string
	// ManagerEnv are extra environment variables of the manager process (KEY=VALUE).
	ManagerEnv []string
	// ManagerBinary runs this ucdeploy binary instead of building the module's main package
	// (to measure a modified controller).
	ManagerBinary string
	// SkipFloor and SkipIngressShim leave those phases out (for quick experiments; the rows then
	// lack their columns).
	SkipFloor, SkipIngressShim, SkipPlanner bool
	// PlannerShort measures the planner for 100 ms a case instead of testing.Benchmark's 1 s.
	PlannerShort bool
	// KeepLogs keeps the directory of logs and kubeconfigs after a successful run (it is always
	// kept after a failure).
	KeepLogs bool
	// TraceWrites logs every write of the manager (noisy; for debugging).
	TraceWrites bool
	// Log receives progress lines.
	Log func(format string, args ...any)
}

// DefaultConfig is `make bench`.
func DefaultConfig() Config {
	return Config{
		Ns:             []int{100, 500, 1000},
		Idle:           60 * time.Second,
		IdleOthers:     10 * time.Second,
		IdleSyncPeriod: 5 * time.Second,
		RealN:          100,
		CostsN:         1000,
		Concurrency:    defaultConcurrency(),
		Creators:       4,
		StandInWorkers: 4,
		Namespaces:     10,
		Timeout:        10 * time.Minute,
	}
}

// ShortConfig is `-short`, and the test: N=20, a 5 s idle window with a 2 s sync period, real
// issuance of 8, the planner for 100 ms a case.
func ShortConfig() Config {
	c := DefaultConfig()
	c.Ns = []int{20}
	c.Idle, c.IdleOthers = 5*time.Second, 0
	c.IdleSyncPeriod = 2 * time.Second // so that the 5 s window sees resyncs
	c.RealN = 8
	c.CostsN = 20
	c.Timeout = 2 * time.Minute
	c.PlannerShort = true
	return c
}

// env is one benchmark run's lab and harness.
type env struct {
	cfg     Config
	log     func(string, ...any)
	lab     *lab.Lab
	dir     string // logs and kubeconfigs
	client  client.Client
	watch   *watcher
	standIn *standIn
	samples []v1alpha1.UCDeployment
	bin     string // the ucdeploy binary

	managerProxy, floorProxy, shimProxy *countingProxy
	floorClient                         client.Client
	stopWatching                        context.CancelFunc
	apiServerPID, etcdPID               int
	cmKubeconfig                        string
}

// Run starts a lab, measures every N of cfg, the real-issuance run and the planner, stops the
// lab and returns the report.
func Run(ctx context.Context, cfg Config) (_ *Report, err error) {
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	if cfg.IdleN == 0 && len(cfg.Ns) > 0 {
		cfg.IdleN = slices.Max(cfg.Ns)
	}
	e := &env{cfg: cfg, log: cfg.Log}
	report := &Report{Machine: machine(), Config: reportConfig(cfg)}
	start := time.Now()

	e.dir, err = os.MkdirTemp("", "ucdeploy-bench-")
	if err != nil {
		return nil, err
	}
	e.log("logs in %s", e.dir)
	defer func() {
		if err == nil && !cfg.KeepLogs {
			err = os.RemoveAll(e.dir)
		}
	}()

	// Compile the manager while the control plane starts.
	built := make(chan error, 1)
	go func() {
		if cfg.ManagerBinary != "" {
			e.bin = cfg.ManagerBinary
			built <- nil
			return
		}
		root, err := lab.RepoRoot()
		if err == nil {
			e.bin, err = buildManager(ctx, root, e.dir)
		}
		built <- err
	}()
	e.lab, err = lab.Start(ctx, lab.Options{Log: e.log})
	if err != nil {
		<-built
		return nil, err
	}
	defer func() { err = errors.Join(err, e.lab.Stop()) }()
	if err := <-built; err != nil {
		return nil, err
	}
	e.apiServerPID, e.etcdPID = controlPlanePIDs()
	if err := e.setUp(ctx); err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, e.tearDown()) }()

	for _, n := range cfg.Ns {
		row, err := e.row(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("at N=%d: %w", n, err)
		}
		report.Rows = append(report.Rows, *row)
	}
	if cfg.CostsN > 0 {
		e.log("request costs: the objects of %d deployments", cfg.CostsN)
		if report.RequestCosts, err = e.requestCosts(ctx, cfg.CostsN); err != nil {
			return nil, fmt.Errorf("request costs: %w", err)
		}
	}
	if cfg.RealN > 0 {
		if report.RealIssuance, err = e.realIssuance(ctx, cfg.RealN); err != nil {
			return nil, fmt.Errorf("real issuance: %w", err)
		}
	}
	if !cfg.SkipPlanner {
		// Measure the planner with the harness's informers and the stand-in stopped.
		e.stopWatching()
		e.log("planner")
		report.Planner, report.PlannerSamples = Planner(e.samples, cfg.PlannerShort)
	}
	report.Machine.LoadAverageEnd = loadAverage()
	report.TotalSeconds = time.Since(start).Seconds()
	return report, nil
}

// setUp creates the lab users, proxies, clients, the watcher and the stand-in.
func (e *env) setUp(ctx context.Context) error {
	var err error
	if e.samples, err = workload.LoadSamples(e.lab.Root); err != nil {
		return err
	}
	scheme, err := ucdscheme.New()
	if err != nil {
		return err
	}
	// The harness's own client (creating UCDeployments, the stand-in, clean-up): direct, no
	// client-side rate limit.
	adminCfg := rest.CopyConfig(e.lab.Config)
	adminCfg.QPS = -1
	if e.client, err = client.New(adminCfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	proxyLog, err := os.Create(filepath.Join(e.dir, "proxy.log"))
	if err != nil {
		return err
	}
	for _, p := range []struct {
		user string
		dst  **countingProxy
	}{{"ucdeploy-manager", &e.managerProxy}, {"bench-floor", &e.floorProxy}, {"cert-manager-ingress-shim", &e.shimProxy}} {
		cfg, _, err := e.lab.AddUser(p.user, "system:masters")
		if err != nil {
			return err
		}
		if *p.dst, err = startProxy(cfg, e.dir, p.user, proxyLog); err != nil {
			return err
		}
	}
	floorCfg, err := e.floorProxy.config()
	if err != nil {
		return err
	}
	if e.floorClient, err = client.New(floorCfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	if _, e.cmKubeconfig, err = e.lab.AddUser("cert-manager", "system:masters"); err != nil {
		return err
	}

	c, err := cache.New(adminCfg, cache.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	// The cache and the stand-in stop before the lab does: the API server waits for open watches.
	ctx, e.stopWatching = context.WithCancel(ctx)
	if e.watch, err = newWatcher(ctx, c); err != nil {
		return err
	}
	if e.standIn, err = startStandIn(ctx, e.client, c, e.cfg.StandInWorkers, standInServes("cv", "fl", "warm")); err != nil {
		return err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return errors.New("the benchmark's cache did not sync")
	}
	if e.cfg.TraceWrites {
		e.managerProxy.setTrace(func(s string) { e.log("manager write: %s", s) })
	}
	return nil
}

func (e *env) tearDown() error {
	var errs []error
	if e.stopWatching != nil {
		e.stopWatching()
	}
	for _, p := range []*countingProxy{e.managerProxy, e.floorProxy, e.shimProxy} {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	return errors.Join(errs...)
}

// clock returns a CPU clock for the control plane, this process and the manager (if any).
func (e *env) clock(mgr *managerProcess) cpuClock {
	c := cpuClock{apiServer: e.apiServerPID, etcd: e.etcdPID, bench: os.Getpid()}
	if mgr != nil {
		c.manager = mgr.cmd.Process.Pid
	}
	return c
}

// standInServes returns a namespace filter for the stand-in: namespaces starting with one of
// the phase prefixes followed by a digit or a dash.
func standInServes(prefixes ...string) func(string) bool {
	return func(ns string) bool {
		for _, p := range prefixes {
			if rest, ok := strings.CutPrefix(ns, p); ok && rest != "" && (rest[0] == '-' || rest[0] >= '0' && rest[0] <= '9') {
				return true
			}
		}
		return false
	}
}

// row measures one N: convergence (with the idle window), the floor and the peer.
func (e *env) row(ctx context.Context, n int) (*Row, error) {
	row := &Row{N: n, Namespaces: e.cfg.Namespaces, LoadAverageStart: loadAverage()}
	e.log("N=%d: converge", n)
	conv, err := e.converge(ctx, fmt.Sprintf("cv%d", n), n, e.idleWindow(n))
	if err != nil {
		return nil, fmt.Errorf("converge: %w", err)
	}
	row.Certificates, row.ConfigMaps = conv.certificates, workload.ConfigMapsPerDeployment*n
	row.ConvergeSeconds = conv.seconds
	row.CertificatesExistSeconds = conv.certsExistSeconds
	row.Writes = conv.writes
	row.WritesPerDeployment = float64(conv.writes.Total) / float64(n)
	row.ObjectWritesPerDeployment = float64(conv.writes.Objects()) / float64(n)
	row.MinimumWritesPerDeployment = float64(conv.certificates+2*n+n) / float64(n)
	row.Reconciles = conv.reconciles
	row.ReconcileSeconds = conv.reconcileSeconds
	row.ConvergeCPU = conv.cpu
	row.ManagerBaselineRSSBytes, row.ManagerPeakRSSBytes = conv.baseline.rss, conv.peak.peakRSS
	row.ManagerHighWaterRSSBytes = conv.peak.hwm
	row.ManagerBaselineHeapBytes, row.ManagerPeakHeapBytes = conv.baseline.heap, conv.peak.peakHeap
	row.RSSBytesPerDeployment = float64(conv.peak.peakRSS-conv.baseline.rss) / float64(n)
	row.HeapBytesPerDeployment = float64(conv.peak.peakHeap-conv.baseline.heap) / float64(n)
	if conv.idle != nil {
		row.IdleWindowSeconds = conv.idle.window.Seconds()
		row.IdleWrites = &conv.idle.writes.Total
		row.IdleReconciles = conv.idle.reconciles
		row.RestartWrites = &conv.idle.restartWrites.Total
		row.RestartPeakRSSBytes = conv.idle.peakRSS
	}

	if !e.cfg.SkipFloor {
		e.log("N=%d: floor", n)
		floor, err := e.floor(ctx, fmt.Sprintf("fl%d", n), n)
		if err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
		row.FloorSeconds = floor.seconds
		row.FloorWrites = floor.writes
		row.FloorCPU = floor.cpu
		row.ConvergeOverFloor = row.ConvergeSeconds / row.FloorSeconds
	}

	if !e.cfg.SkipIngressShim {
		e.log("N=%d: ucdeploy as a peer (no stand-in, until its Certificates exist)", n)
		peer, err := e.oursAsPeer(ctx, fmt.Sprintf("op%d", n), n)
		if err != nil {
			return nil, fmt.Errorf("ucdeploy as a peer: %w", err)
		}
		row.OursAsPeerSeconds = peer.seconds
		row.OursAsPeerCPU = peer.cpu
		row.OursSecondsPerCertificate = peer.seconds / float64(peer.certificates)
		e.log("N=%d: ingress-shim", n)
		shim, err := e.ingressShim(ctx, fmt.Sprintf("pe%d", n), n)
		if err != nil {
			return nil, fmt.Errorf("ingress-shim: %w", err)
		}
		row.IngressShimSeconds = shim.seconds
		row.IngressShimWrites = shim.writes
		row.IngressShimCPU = shim.cpu
		row.IngressShimSecondsPerCertificate = shim.seconds / float64(shim.certificates)
		row.OursOverIngressShim = row.OursSecondsPerCertificate / row.IngressShimSecondsPerCertificate
	}
	row.LoadAverageEnd = loadAverage()
	e.log("N=%d: converge %.2fs (certificates exist %.2fs), floor %.2fs (x%.2f), ingress-shim %.2fs; writes/deployment %.2f (minimum %.2f)",
		n, row.ConvergeSeconds, row.CertificatesExistSeconds, row.FloorSeconds, row.ConvergeOverFloor, row.IngressShimSeconds,
		row.WritesPerDeployment, row.MinimumWritesPerDeployment)
	return row, nil
}

func (e *env) idleWindow(n int) time.Duration {
	if n == e.cfg.IdleN {
		return e.cfg.Idle
	}
	return e.cfg.IdleOthers
}

// deployments generates the N deployments of a phase in namespaces <prefix>-0 ... and creates
// the namespaces.
func (e *env) deployments(ctx context.Context, prefix string, n int) ([]workload.Deployment, []string, error) {
	namespaces := workload.Namespaces(prefix, e.cfg.Namespaces)
	for _, ns := range namespaces {
		if err := e.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, nil, err
		}
	}
	ds, err := workload.Generate(e.samples, n, namespaces)
	return ds, namespaces, err
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

// convergence is what one converge phase measured.
type convergence struct {
	certificates      int
	seconds           float64
	certsExistSeconds float64
	writes            Writes
	reconciles        float64
	reconcileSeconds  float64
	baseline, peak    memory
	idle              *idleResult
	cpu               CPU
}

type idleResult struct {
	peakRSS       int64 // the restarted manager's peak RSS: it lists every object at start
	window        time.Duration
	writes        Writes
	restartWrites Writes
	reconciles    float64
}

// converge runs the manager, creates n UCDeployments in namespaces <prefix>-*, and waits until
// every one is Ready; with idle > 0 it then restarts the manager with the short sync period and
// counts its writes for idle. Everything it created is deleted again.
func (e *env) converge(ctx context.Context, prefix string, n int, idle time.Duration) (*convergence, error) {
	ds, namespaces, err := e.deployments(ctx, prefix, n)
	if err != nil {
		return nil, err
	}
	defer e.cleanUp(context.WithoutCancel(ctx), namespaces)
	mgr, err := e.startManager(ctx, prefix, prefix, 0)
	if err != nil {
		return nil, err
	}
	defer func() {
		if mgr != nil {
			_ = mgr.stop()
		}
	}()

	res := &convergence{}
	objs, ucdKeys, certKeys := objectsOf(ds)
	res.certificates = len(certKeys)
	ready, certsExist := newTracker(ucdKeys, ucdReady), newTracker(certKeys, exists)
	e.watch.track(false, ready)
	e.watch.track(true, certsExist)
	defer e.watch.untrack(ready)
	defer e.watch.untrack(certsExist)

	writes0 := e.managerProxy.Writes()
	reconciles0, _ := mgr.metric("controller_runtime_reconcile_total", `controller="ucdeployment"`)
	busy0, _ := mgr.metric("controller_runtime_reconcile_time_seconds_sum", `controller="ucdeployment"`)
	res.baseline = mgr.resetPeaks()
	clock := e.clock(mgr)
	cpu0 := clock.read()
	t0 := time.Now()
	if err := e.createAll(ctx, objs, nil); err != nil {
		return nil, err
	}
	done, err := ready.wait(ctx, e.cfg.Timeout, "UCDeployments Ready")
	if err != nil {
		return nil, err
	}
	res.seconds = done.Sub(t0).Seconds()
	res.cpu = clock.read().Sub(cpu0)
	certsDone, err := certsExist.wait(ctx, time.Second, "Certificates exist")
	if err != nil {
		return nil, err
	}
	res.certsExistSeconds = certsDone.Sub(t0).Seconds()
	// Trailing writes (events are sent asynchronously) belong to convergence too.
	if err := e.quiet(ctx, e.managerProxy, 2*time.Second, 30*time.Second); err != nil {
		return nil, err
	}
	res.writes = e.managerProxy.Writes().Sub(writes0)
	reconciles, _ := mgr.metric("controller_runtime_reconcile_total", `controller="ucdeployment"`)
	res.reconciles = reconciles - reconciles0
	busy, _ := mgr.metric("controller_runtime_reconcile_time_seconds_sum", `controller="ucdeployment"`)
	res.reconcileSeconds = busy - busy0
	res.peak = mgr.memory()
	err = mgr.stop()
	mgr = nil
	if err != nil {
		return nil, err
	}

	if idle > 0 {
		if res.idle, err = e.idle(ctx, prefix, n, idle); err != nil {
			return nil, fmt.Errorf("idle: %w", err)
		}
	}
	return res, nil
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
func (e *env) untilCertificatesExist(ctx context.Context, objs []client.Object, keys []types.NamespacedName, mgr *managerProcess, what string) (float64, CPU, error) {
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

// peerResult is ucdeploy measured as the peer is.
type peerResult struct {
	seconds      float64
	certificates int
	cpu          CPU
}

// oursAsPeer measures ucdeploy exactly as ingressShim measures ingress-shim: the manager runs, n
// UCDeployments are created in namespaces no stand-in serves (so nothing else writes to the API
// server), and the time runs from the first create until every planned Certificate exists. The
// manager still writes its ConfigMaps, status and events meanwhile: that is its job.
func (e *env) oursAsPeer(ctx context.Context, prefix string, n int) (*peerResult, error) {
	ds, namespaces, err := e.deployments(ctx, prefix, n)
	if err != nil {
		return nil, err
	}
	defer e.cleanUp(context.WithoutCancel(ctx), namespaces)
	mgr, err := e.startManager(ctx, prefix, prefix, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = mgr.stop() }()
	objs, _, certKeys := objectsOf(ds)
	seconds, cpu, err := e.untilCertificatesExist(ctx, objs, certKeys, mgr, "ucdeploy's Certificates exist")
	if err != nil {
		return nil, err
	}
	res := &peerResult{seconds: seconds, certificates: len(certKeys), cpu: cpu}
	// Let the manager finish before the namespaces are deleted under it.
	return res, e.quiet(ctx, e.managerProxy, 2*time.Second, 60*time.Second)
}

// startManager starts the ucdeploy binary through the manager's proxy (syncPeriod 0 keeps the
// default) and waits until it has made a sentinel UCDeployment Ready, so that its caches are
// synced and its workers running; the sentinel's writes are over before it returns.
func (e *env) startManager(ctx context.Context, tag, logName string, syncPeriod time.Duration) (*managerProcess, error) {
	flags := managerFlags{concurrency: e.cfg.Concurrency, syncPeriod: 10 * time.Hour, extra: e.cfg.ManagerArgs, env: e.cfg.ManagerEnv}
	if syncPeriod > 0 {
		flags.syncPeriod = syncPeriod
	}
	logPath := filepath.Join(e.dir, "manager-"+logName+".log")
	mgr, err := startManager(ctx, e.bin, e.managerProxy.kubeconfig, logPath, flags)
	if err != nil {
		return nil, err
	}
	if err := e.sentinel(ctx, tag); err != nil {
		_ = mgr.stop()
		return nil, fmt.Errorf("the manager did not make its sentinel Ready: %w (log %s)", err, logPath)
	}
	return mgr, nil
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
	return e.quiet(ctx, e.managerProxy, time.Second, 30*time.Second)
}

// quiet waits until p has seen no write for window, at most timeout.
func (e *env) quiet(ctx context.Context, p *countingProxy, window, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := p.Writes().Total
	lastChange := time.Now()
	for time.Since(lastChange) < window {
		if time.Now().After(deadline) {
			return fmt.Errorf("writes did not stop within %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if w := p.Writes().Total; w != last {
			last, lastChange = w, time.Now()
		}
	}
	return nil
}

// idle restarts the manager with the short sync period, waits until it has reconciled every
// UCDeployment (and the sentinel, which is already Ready) once after its start, counting those
// writes as restart writes, then counts its writes and reconciles during window.
func (e *env) idle(ctx context.Context, tag string, n int, window time.Duration) (*idleResult, error) {
	res := &idleResult{window: window}
	w0 := e.managerProxy.Writes()
	mgr, err := e.startManager(ctx, tag, tag+"-idle", e.cfg.IdleSyncPeriod)
	if err != nil {
		return nil, err
	}
	defer func() { _ = mgr.stop() }()
	// n deployments and the sentinel, each reconciled at least once.
	if err := mgr.idle(ctx, float64(n+1), e.cfg.Timeout); err != nil {
		return nil, err
	}
	w1 := e.managerProxy.Writes()
	res.restartWrites = w1.Sub(w0)
	r0, _ := mgr.metric("controller_runtime_reconcile_total", `controller="ucdeployment"`)
	e.log("idle: %s window with --sync-period=%s", window, e.cfg.IdleSyncPeriod)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(window):
	}
	res.writes = e.managerProxy.Writes().Sub(w1)
	r1, _ := mgr.metric("controller_runtime_reconcile_total", `controller="ucdeployment"`)
	res.reconciles = r1 - r0
	res.peakRSS = mgr.memory().hwm
	return res, mgr.stop()
}

// floorResult is what the floor measured.
type floorResult struct {
	seconds float64
	writes  Writes
	cpu     CPU
}

// floor is the least any controller could do for the same N: the same creators create the same
// UCDeployments; as each is created, one of Concurrency workers with a bare client (through its
// own counting proxy) creates its rendered Certificates and ConfigMaps (one POST each) and writes
// its status once (one PUT). The stand-in marks those Certificates Ready exactly as in the
// converge phase, so the floor does the same cluster-side work minus the controller's own.
func (e *env) floor(ctx context.Context, prefix string, n int) (*floorResult, error) {
	ds, namespaces, err := e.deployments(ctx, prefix, n)
	if err != nil {
		return nil, err
	}
	defer e.cleanUp(context.WithoutCancel(ctx), namespaces)
	var certKeys []types.NamespacedName
	objs := make([]client.Object, 0, n)
	for _, d := range ds {
		for _, c := range d.Plan.Certificates {
			certKeys = append(certKeys, types.NamespacedName{Namespace: d.Object.Namespace, Name: c.Name})
		}
		objs = append(objs, d.Object.DeepCopy())
	}
	certsReady := newTracker(certKeys, certReady)
	e.watch.track(true, certsReady)
	defer e.watch.untrack(certsReady)

	w0 := e.floorProxy.Writes()
	work := make(chan *v1alpha1.UCDeployment, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var workErr error
	for range e.cfg.Concurrency {
		wg.Go(func() {
			for ucd := range work {
				if err := e.floorOne(ctx, ucd); err != nil {
					mu.Lock()
					workErr = errors.Join(workErr, err)
					mu.Unlock()
				}
			}
		})
	}
	clock := e.clock(nil)
	cpu0 := clock.read()
	t0 := time.Now()
	err = e.createAll(ctx, objs, func(obj client.Object) { work <- obj.(*v1alpha1.UCDeployment) })
	close(work)
	wg.Wait()
	workersDone := time.Now()
	if err = errors.Join(err, workErr); err != nil {
		return nil, err
	}
	done, err := certsReady.wait(ctx, e.cfg.Timeout, "floor Certificates Ready")
	if err != nil {
		return nil, err
	}
	if workersDone.After(done) {
		done = workersDone
	}
	return &floorResult{seconds: done.Sub(t0).Seconds(), writes: e.floorProxy.Writes().Sub(w0), cpu: clock.read().Sub(cpu0)}, nil
}

// floorOne writes one deployment's children and status with the bare client.
func (e *env) floorOne(ctx context.Context, ucd *v1alpha1.UCDeployment) error {
	p := plan.Compute(ucd.Name, &ucd.Spec)
	for _, c := range render.Certificates(ucd, p) {
		if err := e.floorClient.Create(ctx, c); err != nil {
			return err
		}
	}
	for _, cm := range append(render.ConfigMaps(ucd, p), render.InstallConfigMap(ucd, p)) {
		if err := e.floorClient.Create(ctx, cm); err != nil {
			return err
		}
	}
	ucd.Status = floorStatus(ucd, p)
	return e.floorClient.Status().Update(ctx, ucd)
}

// floorStatus is a status of the same shape and size as the controller's Ready status.
func floorStatus(ucd *v1alpha1.UCDeployment, p plan.Plan) v1alpha1.UCDeploymentStatus {
	now := metav1.Now()
	st := v1alpha1.UCDeploymentStatus{
		ObservedGeneration: ucd.Generation,
		CertificatesReady:  fmt.Sprintf("%d/%d", len(p.Certificates), len(p.Certificates)),
		DNS: &v1alpha1.DNSStatus{
			Records:           int32(len(p.DNSRecords)),
			InternalRecords:   int32(len(p.RecordsFor(plan.ViewInternal))),
			ExternalRecords:   int32(len(p.RecordsFor(plan.ViewExternal))),
			InternalConfigMap: render.ConfigMapName(ucd.Name, plan.ViewInternal),
			ExternalConfigMap: render.ConfigMapName(ucd.Name, plan.ViewExternal),
		},
		FindingsSummary: fmt.Sprintf("%d findings", len(p.Findings)),
	}
	for _, typ := range []string{v1alpha1.ConditionCertificatesReady, v1alpha1.ConditionDNSRecordsReady, v1alpha1.ConditionReady} {
		st.Conditions = append(st.Conditions, metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonSucceeded,
			Message: "floor", ObservedGeneration: ucd.Generation, LastTransitionTime: now})
	}
	for _, c := range p.Certificates {
		cs := c.StatusEntry()
		cs.Ready = true
		st.Certificates = append(st.Certificates, cs)
	}
	for _, f := range p.Findings {
		st.Findings = append(st.Findings, f.API())
	}
	return st
}

// shimResult is what the ingress-shim phase measured.
type shimResult struct {
	seconds      float64
	certificates int
	writes       Writes
	cpu          CPU
}

// ingressShim runs cert-manager's ingress-shim with Concurrency workers (through its own counting
// proxy), creates one Ingress per planned deployment with one TLS entry per planned certificate
// (its DNS names as hosts, its secret name), and waits until every Certificate ingress-shim makes
// from them exists.
func (e *env) ingressShim(ctx context.Context, prefix string, n int) (*shimResult, error) {
	ds, namespaces, err := e.deployments(ctx, prefix, n)
	if err != nil {
		return nil, err
	}
	defer e.cleanUp(context.WithoutCancel(ctx), namespaces)
	shim, err := startCertManager(ctx, e.shimProxy.kubeconfig, ingressShimControllers, e.cfg.Concurrency,
		filepath.Join(e.dir, fmt.Sprintf("ingress-shim-%s.log", prefix)))
	if err != nil {
		return nil, err
	}
	defer func() {
		if shim != nil {
			_ = shim.Stop()
		}
	}()
	var keys []types.NamespacedName
	objs := make([]client.Object, 0, n)
	for _, d := range ds {
		for _, c := range d.Plan.Certificates {
			keys = append(keys, types.NamespacedName{Namespace: d.Object.Namespace, Name: c.SecretName})
		}
		objs = append(objs, ingressOf(d))
	}
	w0 := e.shimProxy.Writes()
	seconds, cpu, err := e.untilCertificatesExist(ctx, objs, keys, nil, "ingress-shim Certificates exist")
	if err != nil {
		return nil, err
	}
	if err := e.quiet(ctx, e.shimProxy, 2*time.Second, 30*time.Second); err != nil {
		return nil, err
	}
	res := &shimResult{seconds: seconds, certificates: len(keys), writes: e.shimProxy.Writes().Sub(w0), cpu: cpu}
	err = shim.Stop()
	shim = nil
	return res, err
}

// ingressOf is the Ingress that asks ingress-shim for the Certificates of d: one TLS entry per
// planned Certificate, its DNS names as hosts, its secret name.
func ingressOf(d workload.Deployment) *networkingv1.Ingress {
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: d.Object.Name, Namespace: d.Object.Namespace,
			Annotations: map[string]string{cmapi.IngressClusterIssuerNameAnnotationKey: lab.PublicIssuer}},
		Spec: networkingv1.IngressSpec{DefaultBackend: &networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: d.Object.Name, Port: networkingv1.ServiceBackendPort{Number: 443}},
		}},
	}
	for _, c := range d.Plan.Certificates {
		ing.Spec.TLS = append(ing.Spec.TLS, networkingv1.IngressTLS{Hosts: c.DNSNames, SecretName: c.SecretName})
	}
	return ing
}

// realResult is the run with real cert-manager issuance.
type realResult = RealIssuance

// realIssuance runs cert-manager's issuing controllers with two CA ClusterIssuers, and measures
// the manager's convergence for n UCDeployments whose Certificates cert-manager really issues.
func (e *env) realIssuance(ctx context.Context, n int) (*realResult, error) {
	e.log("real issuance: N=%d with cert-manager's controllers", n)
	e.standIn.setServes(standInServes()) // cert-manager marks Certificates Ready now, nobody else
	cm, err := startCertManager(ctx, e.cmKubeconfig, lab.CAIssuanceControllers, 5, filepath.Join(e.dir, "cert-manager.log"))
	if err != nil {
		return nil, err
	}
	defer func() { _ = cm.Stop() }()
	if err := createIssuers(ctx, e.client, lab.PublicIssuer, lab.InternalIssuer); err != nil {
		return nil, err
	}
	conv, err := e.converge(ctx, "ri", n, 0)
	if err != nil {
		return nil, err
	}
	return &RealIssuance{
		N:                        n,
		Certificates:             conv.certificates,
		ConvergeSeconds:          conv.seconds,
		CertificatesExistSeconds: conv.certsExistSeconds,
		SecondsPerCertificate:    conv.seconds / float64(conv.certificates),
		WritesPerDeployment:      float64(conv.writes.Total) / float64(n),
		Writes:                   conv.writes,
		ManagerPeakRSSBytes:      conv.peak.peakRSS,
		ManagerPeakHeapBytes:     conv.peak.peakHeap,
		CPU:                      conv.cpu,
	}, nil
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
