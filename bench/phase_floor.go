package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// floorResult is what the floor measured.
type floorResult struct {
	seconds float64
	writes  Writes
	cpu     CPU
}

// floor is the least any controller could do for the same N: the same creators create the same
// UCDeployments; as each is created, one of Concurrency workers with a bare client (through its
// own counting proxy) creates its rendered Certificates and ConfigMaps (one POST each) and writes
// its status once (one PUT), asking for the field validation ucdeploy's writes ask for. The
// stand-in marks those Certificates Ready exactly as in the converge phase, so the floor does the
// same cluster-side work minus the controller's own.
func (e *env) floor(ctx context.Context, prefix string, n int) (*floorResult, error) {
	ds, cleanUp, err := e.deployments(ctx, prefix, n)
	if err != nil {
		return nil, err
	}
	defer cleanUp()
	objs, _, certKeys := objectsOf(ds)
	certsReady := newTracker(certKeys, certReady)
	e.watch.track(true, certsReady)
	defer e.watch.untrack(certsReady)

	w0 := e.floorWrites.Writes()
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
	return &floorResult{seconds: done.Sub(t0).Seconds(), writes: e.floorWrites.Writes().Sub(w0), cpu: clock.read().Sub(cpu0)}, nil
}

// floorOne writes one deployment's children and status with the bare client.
func (e *env) floorOne(ctx context.Context, ucd *v1alpha1.UCDeployment) error {
	p := plan.Compute(ucd.Name, &ucd.Spec)
	for _, c := range render.Certificates(ucd, p) {
		if err := e.floorClient.Create(ctx, c, createValidation); err != nil {
			return err
		}
	}
	for _, cm := range append(render.ConfigMaps(ucd, p), render.InstallConfigMap(ucd, p)) {
		if err := e.floorClient.Create(ctx, cm, createValidation); err != nil {
			return err
		}
	}
	ucd.Status = floorStatus(ucd, p)
	return e.floorClient.Status().Update(ctx, ucd, statusUpdateValidation)
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

// fill fills the floor's columns of row; the ratio reads the convergence columns.
func (f *floorResult) fill(row *Row) {
	row.FloorSeconds = f.seconds
	row.FloorWrites = f.writes
	row.FloorCPU = f.cpu
	row.ConvergeOverFloor = row.ConvergeSeconds / row.FloorSeconds
}
