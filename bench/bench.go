// Package bench is ucdeploy's performance benchmark (`make bench`, bench/cmd): in one process and
// against one lab API server it measures, for N realistic UCDeployments, how long the ucdeploy
// manager takes to converge, against a floor (a bare client writing the same objects) and a peer
// (cert-manager's ingress-shim making the same Certificates from Ingresses); how many API writes
// it makes, during convergence and when idle; how much memory it uses; what one pass of DNS
// verification costs against a real named; and the planner's cost.
// docs/performance.md explains the method and records the results.
package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/childwriter"
	"github.com/ucdeploy/ucdeploy/internal/lab"
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
	// Runs is how many times convergence and the floor are measured at each N; the row holds the
	// run with the median ratio.
	Runs int
	// RealN is the N of the run with real cert-manager issuance; 0 skips it.
	RealN int
	// CostsN is the number of deployments whose objects measure the cost of each kind of
	// request (requestCosts); 0 skips it.
	CostsN int
	// VerifyN is the number of deployments whose DNS records one verification pass checks
	// against a real named (dnsVerification); 0 skips it.
	VerifyN int
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
	// PlannerShort measures the planner for 100 ms a case instead of 1 s.
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
		Runs:           3,
		RealN:          100,
		CostsN:         1000,
		VerifyN:        1000,
		Concurrency:    lab.DefaultManagerOptions().MaxConcurrentReconciles,
		Creators:       4,
		StandInWorkers: 4,
		Namespaces:     10,
		Timeout:        10 * time.Minute,
	}
}

// ShortConfig is `-short`, and the test: N=20, a 5 s idle window with a 2 s sync period, real
// issuance of 8, request costs and DNS verification of 20, the planner for 100 ms a case.
func ShortConfig() Config {
	c := DefaultConfig()
	c.Ns = []int{20}
	c.Idle, c.IdleOthers = 5*time.Second, 0
	c.IdleSyncPeriod = 2 * time.Second // so that the 5 s window sees resyncs
	c.RealN = 8
	c.Runs = 1
	c.CostsN = 20
	c.VerifyN = 20
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
	writer  *childwriter.Writer // the harness's, for the request costs
	watch   *watcher
	standIn *standIn
	samples []v1alpha1.UCDeployment
	bin     string // the ucdeploy binary

	// managerWrites, floorWrites and shimWrites count the writes of each system under test.
	managerWrites, floorWrites, shimWrites writeCounter
	floorProxy, shimProxy                  *lab.Proxy
	proxyLog                               *os.File
	floorClient                            client.Client
	stopWatching                           context.CancelFunc
	apiServerPID, etcdPID                  int
	cmKubeconfig                           string
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
	if err := e.startLab(ctx); err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, e.lab.Stop()) }()
	if err := e.setUp(ctx); err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, e.tearDown()) }()
	if err := e.measure(ctx, report); err != nil {
		return nil, err
	}
	report.Machine.LoadAverageEnd = loadAverage()
	report.TotalSeconds = time.Since(start).Seconds()
	return report, nil
}

// startLab starts the lab and, meanwhile, compiles the manager (unless cfg names a binary).
func (e *env) startLab(ctx context.Context) error {
	built := make(chan error, 1)
	go func() {
		if e.cfg.ManagerBinary != "" {
			e.bin = e.cfg.ManagerBinary
			built <- nil
			return
		}
		root, err := lab.RepoRoot()
		if err == nil {
			e.bin, err = lab.BuildManager(ctx, root, e.dir)
		}
		built <- err
	}()
	l, err := lab.Start(ctx, lab.Options{Log: e.log})
	if err != nil {
		<-built
		return err
	}
	if err := <-built; err != nil {
		return errors.Join(err, l.Stop())
	}
	e.lab = l
	e.apiServerPID, e.etcdPID = controlPlanePIDs()
	return nil
}

// measure measures every N of the configuration, the request costs, the DNS verification pass,
// the real-issuance run and the planner into report.
func (e *env) measure(ctx context.Context, report *Report) (err error) {
	for _, n := range e.cfg.Ns {
		row, err := e.row(ctx, n)
		if err != nil {
			return fmt.Errorf("at N=%d: %w", n, err)
		}
		report.Rows = append(report.Rows, *row)
	}
	if e.cfg.CostsN > 0 {
		e.log("request costs: the objects of %d deployments", e.cfg.CostsN)
		if report.RequestCosts, err = e.requestCosts(ctx, e.cfg.CostsN); err != nil {
			return fmt.Errorf("request costs: %w", err)
		}
		report.StatusPatchOverConfigMapCreate = statusOverConfigMap(report.RequestCosts)
	}
	if e.cfg.VerifyN > 0 {
		if report.DNSVerification, err = e.dnsVerification(ctx, e.cfg.VerifyN); err != nil {
			return fmt.Errorf("DNS verification: %w", err)
		}
	}
	// Last of the phases with the stand-in: real issuance switches it off.
	if e.cfg.RealN > 0 {
		if report.RealIssuance, err = e.realIssuance(ctx, e.cfg.RealN); err != nil {
			return fmt.Errorf("real issuance: %w", err)
		}
	}
	if !e.cfg.SkipPlanner {
		// Measure the planner with the harness's informers and the stand-in stopped.
		e.stopWatching()
		e.log("planner")
		report.Planner, report.PlannerSamples = Planner(e.samples, e.cfg.PlannerShort)
	}
	return nil
}

// setUp creates the lab users, proxies, clients, the watcher and the stand-in.
func (e *env) setUp(ctx context.Context) error {
	var err error
	if e.samples, err = lab.Samples(e.lab.Root); err != nil {
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
	hc, err := rest.HTTPClientFor(adminCfg)
	if err != nil {
		return err
	}
	if e.client, err = client.New(adminCfg, client.Options{Scheme: scheme, HTTPClient: hc}); err != nil {
		return err
	}
	// ucdeploy's own writer, on the same connections: the request costs send ucdeploy's writes.
	if e.writer, err = childwriter.New(adminCfg, hc, e.client.RESTMapper(), e.client, childwriter.Options{}); err != nil {
		return err
	}
	if e.proxyLog, err = os.Create(filepath.Join(e.dir, "proxy.log")); err != nil {
		return err
	}
	for _, p := range []struct {
		user   string
		writes *writeCounter
		dst    **lab.Proxy
	}{{"bench-floor", &e.floorWrites, &e.floorProxy}, {"cert-manager-ingress-shim", &e.shimWrites, &e.shimProxy}} {
		cfg, _, err := e.lab.AddUser(p.user, "system:masters")
		if err != nil {
			return err
		}
		if *p.dst, err = lab.StartProxy(cfg, e.dir, p.user, p.writes.wrap, e.proxyLog); err != nil {
			return err
		}
	}
	floorCfg, err := e.floorProxy.Config()
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
	if e.standIn, err = startStandIn(ctx, e.client, c, e.cfg.StandInWorkers, standInServes("cv", "fl", "dv", "warm")); err != nil {
		return err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return errors.New("the benchmark's cache did not sync")
	}
	if e.cfg.TraceWrites {
		e.managerWrites.setTrace(func(s string) { e.log("manager write: %s", s) })
	}
	return nil
}

// tearDown stops what setUp started.
func (e *env) tearDown() error {
	var errs []error
	if e.stopWatching != nil {
		e.stopWatching()
	}
	for _, p := range []*lab.Proxy{e.floorProxy, e.shimProxy} {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	if e.proxyLog != nil {
		errs = append(errs, e.proxyLog.Close())
	}
	return errors.Join(errs...)
}

// clock returns a CPU clock for the control plane, this process and the manager (if any).
func (e *env) clock(mgr *benchManager) cpuClock {
	c := cpuClock{apiServer: e.apiServerPID, etcd: e.etcdPID, bench: os.Getpid()}
	if mgr != nil {
		c.manager = mgr.Pid()
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

// rowFiller is a phase's result, which fills its columns of a row.
type rowFiller interface{ fill(row *Row) }

// rowPhase is one phase of a row.
type rowPhase struct {
	name, note, prefix string // note follows the name in the progress line
	skip               bool
	run                func(ctx context.Context, prefix string, n int) (rowFiller, error)
}

// row measures one N: convergence (with the idle window) and the floor, Runs times, then the
// peers (their ratios read the convergence columns).
func (e *env) row(ctx context.Context, n int) (*Row, error) {
	row := &Row{N: n, Namespaces: e.cfg.Namespaces, LoadAverageStart: loadAverage()}
	if err := e.convergeRuns(ctx, n, row); err != nil {
		return nil, err
	}
	for _, ph := range []rowPhase{
		{"ucdeploy as a peer", " (no stand-in, until its Certificates exist)", "op", e.cfg.SkipIngressShim,
			func(ctx context.Context, prefix string, n int) (rowFiller, error) {
				return e.oursAsPeer(ctx, prefix, n)
			}},
		{"ingress-shim", "", "pe", e.cfg.SkipIngressShim, func(ctx context.Context, prefix string, n int) (rowFiller, error) {
			return e.ingressShim(ctx, prefix, n)
		}},
	} {
		if ph.skip {
			continue
		}
		e.log("N=%d: %s%s", n, ph.name, ph.note)
		res, err := ph.run(ctx, fmt.Sprintf("%s%d", ph.prefix, n), n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ph.name, err)
		}
		res.fill(row)
	}
	row.LoadAverageEnd = loadAverage()
	e.log("N=%d: converge %.2fs (certificates exist %.2fs), floor %.2fs (x%.2f), ingress-shim %.2fs; writes/deployment %.2f (minimum %.2f)",
		n, row.ConvergeSeconds, row.CertificatesExistSeconds, row.FloorSeconds, row.ConvergeOverFloor, row.IngressShimSeconds,
		row.WritesPerDeployment, row.MinimumWritesPerDeployment)
	return row, nil
}

// convergeRuns measures convergence and the floor cfg.Runs times, convergence first in even runs
// and the floor first in odd ones (a phase right after a large one is slower, whichever it is),
// and fills row from the run whose ratio is the median; every run's ratio is in
// ConvergeOverFloorRuns. Only the first convergence measures the idle window.
func (e *env) convergeRuns(ctx context.Context, n int, row *Row) error {
	type run struct {
		conv  *convergence
		floor *floorResult
		ratio float64
	}
	var runs []run
	for i := range max(e.cfg.Runs, 1) {
		var r run
		converge := func() (err error) {
			idle := time.Duration(0)
			if i == 0 {
				idle = e.idleWindow(n)
			}
			e.log("N=%d: converge (run %d)", n, i+1)
			if r.conv, err = e.converge(ctx, fmt.Sprintf("cv%d-%d", n, i), n, idle); err != nil {
				return fmt.Errorf("converge: %w", err)
			}
			if i == 0 {
				r.conv.fill(row) // the idle columns
			}
			return nil
		}
		floor := func() (err error) {
			if e.cfg.SkipFloor {
				return nil
			}
			e.log("N=%d: floor (run %d)", n, i+1)
			if r.floor, err = e.floor(ctx, fmt.Sprintf("fl%d-%d", n, i), n); err != nil {
				return fmt.Errorf("floor: %w", err)
			}
			return nil
		}
		if err := alternate(i, converge, floor); err != nil {
			return err
		}
		if r.floor != nil {
			r.ratio = r.conv.seconds / r.floor.seconds
			row.ConvergeOverFloorRuns = append(row.ConvergeOverFloorRuns, r.ratio)
		}
		runs = append(runs, r)
	}
	median := medianBy(runs, func(r run) float64 { return r.ratio })
	median.conv.fill(row)
	if median.floor != nil {
		median.floor.fill(row)
	}
	return nil
}

// alternate runs a then b in even runs i and b then a in odd ones, so that neither side of a
// comparison always follows the other (or a large phase before both); it stops at the first error.
func alternate(i int, a, b func() error) error {
	if i%2 == 1 {
		a, b = b, a
	}
	if err := a(); err != nil {
		return err
	}
	return b()
}

// medianBy returns the element of xs (not empty) whose key is the median, the upper one of an even
// count; xs is sorted by key in place.
func medianBy[T any](xs []T, key func(T) float64) T {
	slices.SortStableFunc(xs, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return xs[len(xs)/2]
}

// idleWindow is the idle window measured at n.
func (e *env) idleWindow(n int) time.Duration {
	if n == e.cfg.IdleN {
		return e.cfg.Idle
	}
	return e.cfg.IdleOthers
}
