package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// realIssuance runs cert-manager's issuing controllers with two CA ClusterIssuers, and measures
// the manager's convergence for n UCDeployments whose Certificates cert-manager really issues,
// against the same Certificates created directly for cert-manager alone. It measures the pair
// cfg.Runs times, ucdeploy first in even runs and cert-manager alone first in odd ones (a run
// right after a large phase is slower, whichever side it is), and reports the pair whose ratio
// is the median.
func (e *env) realIssuance(ctx context.Context, n int) (*RealIssuance, error) {
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
	var pairs []*RealIssuance
	for i := range max(e.cfg.Runs, 1) {
		p, err := e.realIssuancePair(ctx, n, i)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, p)
	}
	ratios := make([]float64, len(pairs))
	for i, p := range pairs {
		ratios[i] = p.OverCertManagerAlone
	}
	median := medianBy(pairs, func(p *RealIssuance) float64 { return p.OverCertManagerAlone })
	median.OverCertManagerAloneRuns = ratios
	return median, nil
}

// realIssuancePair is run i of realIssuance: ucdeploy's convergence and cert-manager alone, in
// the order i gives.
func (e *env) realIssuancePair(ctx context.Context, n, i int) (*RealIssuance, error) {
	var (
		conv     *convergence
		alone    float64
		aloneCPU CPU
	)
	ucdeploy := func() (err error) {
		e.log("real issuance: N=%d through ucdeploy (run %d)", n, i+1)
		conv, err = e.converge(ctx, fmt.Sprintf("ri%d-%d", n, i), n, 0)
		return err
	}
	certManagerAlone := func() (err error) {
		e.log("real issuance: N=%d, the same Certificates created directly for cert-manager alone (run %d)", n, i+1)
		if alone, aloneCPU, err = e.certManagerAlone(ctx, fmt.Sprintf("ca%d-%d", n, i), n); err != nil {
			return fmt.Errorf("cert-manager alone: %w", err)
		}
		return nil
	}
	if err := alternate(i, ucdeploy, certManagerAlone); err != nil {
		return nil, err
	}
	return &RealIssuance{
		CertManagerAloneSeconds:  alone,
		OverCertManagerAlone:     conv.seconds / alone,
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
		CertManagerAloneCPU:      aloneCPU,
	}, nil
}

// certManagerAlone is the peer users compare real issuance with: the Certificates the n
// deployments plan, created directly (no ucdeploy, no owner) by the same creators and issued by
// the same cert-manager; it returns the seconds from the first create until every one is Ready
// (its Secret written), and the CPU spent meanwhile.
func (e *env) certManagerAlone(ctx context.Context, prefix string, n int) (float64, CPU, error) {
	ds, cleanUp, err := e.deployments(ctx, prefix, n)
	if err != nil {
		return 0, CPU{}, err
	}
	defer cleanUp()
	_, _, keys := objectsOf(ds)
	var certs []client.Object
	for _, d := range ds {
		for _, c := range render.Certificates(d.Object, d.Plan) {
			c.OwnerReferences = nil
			certs = append(certs, c)
		}
	}
	ready := newTracker(keys, certReady)
	e.watch.track(true, ready)
	defer e.watch.untrack(ready)
	clock := e.clock(nil)
	cpu0 := clock.read()
	t0 := time.Now()
	if err := e.createAll(ctx, certs, nil); err != nil {
		return 0, CPU{}, err
	}
	done, err := ready.wait(ctx, e.cfg.Timeout, "Certificates issued by cert-manager alone")
	if err != nil {
		return 0, CPU{}, err
	}
	return done.Sub(t0).Seconds(), clock.read().Sub(cpu0), nil
}
