package bench

import (
	"context"
	"path/filepath"

	"github.com/ucdeploy/ucdeploy/internal/lab"
)

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
