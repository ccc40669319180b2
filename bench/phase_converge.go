package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/ucdeploy/ucdeploy/bench/workload"
)

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

// converge runs the manager, creates n UCDeployments in namespaces <prefix>-*, and waits until
// every one is Ready; with idle > 0 it then restarts the manager with the short sync period and
// counts its writes for idle. Everything it created is deleted again.
func (e *env) converge(ctx context.Context, prefix string, n int, idle time.Duration) (*convergence, error) {
	ds, mgr, stop, err := e.managedDeployments(ctx, prefix, n)
	if err != nil {
		return nil, err
	}
	defer stop()

	res := &convergence{}
	objs, ucdKeys, certKeys := objectsOf(ds)
	res.certificates = len(certKeys)
	ready, certsExist := newTracker(ucdKeys, ucdReady), newTracker(certKeys, exists)
	e.watch.track(false, ready)
	e.watch.track(true, certsExist)
	defer e.watch.untrack(ready)
	defer e.watch.untrack(certsExist)

	writes0 := e.managerWrites.Writes()
	reconciles0, _ := mgr.metric(metricReconciles, labelsController)
	busy0, _ := mgr.metric("controller_runtime_reconcile_time_seconds_sum", labelsController)
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
	if err := e.quiet(ctx, &e.managerWrites, 2*time.Second, 30*time.Second); err != nil {
		return nil, err
	}
	res.writes = e.managerWrites.Writes().Sub(writes0)
	reconciles, _ := mgr.metric(metricReconciles, labelsController)
	res.reconciles = reconciles - reconciles0
	busy, _ := mgr.metric("controller_runtime_reconcile_time_seconds_sum", labelsController)
	res.reconcileSeconds = busy - busy0
	res.peak = mgr.memory()
	if err := mgr.stop(); err != nil {
		return nil, err
	}

	if idle > 0 {
		if res.idle, err = e.idle(ctx, prefix, n, idle); err != nil {
			return nil, fmt.Errorf("idle: %w", err)
		}
	}
	return res, nil
}

// fill fills the convergence columns of row, and the idle columns when an idle window was
// measured.
func (c *convergence) fill(row *Row) {
	n := row.N
	row.Certificates, row.ConfigMaps = c.certificates, workload.ConfigMapsPerDeployment*n
	row.ConvergeSeconds = c.seconds
	row.CertificatesExistSeconds = c.certsExistSeconds
	row.Writes = c.writes
	row.WritesPerDeployment = float64(c.writes.Total) / float64(n)
	row.ObjectWritesPerDeployment = float64(c.writes.Objects()) / float64(n)
	// One write per child (Certificates and workload.ConfigMapsPerDeployment ConfigMaps) and one
	// status write per deployment.
	row.MinimumWritesPerDeployment = float64(c.certificates+workload.ConfigMapsPerDeployment*n+n) / float64(n)
	row.Reconciles = c.reconciles
	row.ReconcileSeconds = c.reconcileSeconds
	row.ConvergeCPU = c.cpu
	row.ManagerBaselineRSSBytes, row.ManagerPeakRSSBytes = c.baseline.rss, c.peak.peakRSS
	row.ManagerHighWaterRSSBytes = c.peak.hwm
	row.ManagerBaselineHeapBytes, row.ManagerPeakHeapBytes = c.baseline.heap, c.peak.peakHeap
	row.RSSBytesPerDeployment = float64(c.peak.peakRSS-c.baseline.rss) / float64(n)
	row.HeapBytesPerDeployment = float64(c.peak.peakHeap-c.baseline.heap) / float64(n)
	if c.idle != nil {
		row.IdleWindowSeconds = c.idle.window.Seconds()
		row.IdleWrites = &c.idle.writes.Total
		row.IdleReconciles = c.idle.reconciles
		row.RestartWrites = &c.idle.restartWrites.Total
		row.RestartPeakRSSBytes = c.idle.peakRSS
	}
}
