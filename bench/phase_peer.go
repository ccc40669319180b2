package bench

import (
	"context"
	"time"
)

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
	ds, mgr, stop, err := e.managedDeployments(ctx, prefix, n)
	if err != nil {
		return nil, err
	}
	defer stop()
	objs, _, certKeys := objectsOf(ds)
	seconds, cpu, err := e.untilCertificatesExist(ctx, objs, certKeys, mgr, "ucdeploy's Certificates exist")
	if err != nil {
		return nil, err
	}
	res := &peerResult{seconds: seconds, certificates: len(certKeys), cpu: cpu}
	// Let the manager finish before the namespaces are deleted under it.
	return res, e.quiet(ctx, &e.managerWrites, 2*time.Second, 60*time.Second)
}

// fill fills ucdeploy's columns of the peer comparison.
func (p *peerResult) fill(row *Row) {
	row.OursAsPeerSeconds = p.seconds
	row.OursAsPeerCPU = p.cpu
	row.OursSecondsPerCertificate = p.seconds / float64(p.certificates)
}
