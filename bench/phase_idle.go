package bench

import (
	"context"
	"time"
)

// idleResult is what the idle window after a convergence measured.
type idleResult struct {
	peakRSS       int64 // the restarted manager's peak RSS: it lists every object at start
	window        time.Duration
	writes        Writes
	restartWrites Writes
	reconciles    float64
}

// idle restarts the manager with the short sync period, waits until it has reconciled every
// UCDeployment (and the sentinel, which is already Ready) once after its start, counting those
// writes as restart writes, then counts its writes and reconciles during window.
func (e *env) idle(ctx context.Context, tag string, n int, window time.Duration) (*idleResult, error) {
	res := &idleResult{window: window}
	w0 := e.managerWrites.Writes()
	mgr, err := e.startManager(ctx, tag, tag+"-idle", e.cfg.IdleSyncPeriod)
	if err != nil {
		return nil, err
	}
	defer func() { _ = mgr.stop() }()
	// n deployments and the sentinel, each reconciled at least once.
	if err := mgr.idle(ctx, float64(n+1), e.cfg.Timeout); err != nil {
		return nil, err
	}
	w1 := e.managerWrites.Writes()
	res.restartWrites = w1.Sub(w0)
	r0, _ := mgr.metric(metricReconciles, labelsController)
	e.log("idle: %s window with --sync-period=%s", window, e.cfg.IdleSyncPeriod)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(window):
	}
	res.writes = e.managerWrites.Writes().Sub(w1)
	r1, _ := mgr.metric(metricReconciles, labelsController)
	res.reconciles = r1 - r0
	res.peakRSS = mgr.memory().hwm
	return res, mgr.stop()
}
