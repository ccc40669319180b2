package bench

import (
	"strings"
	"testing"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
)

// TestBenchSmall runs `make bench -short` (N=20, a 5 s idle window, real issuance of 8, DNS
// verification of 20, the planner for 100 ms a case) so that the benchmark cannot rot. It asserts
// no wall-clock time, only what must hold on any machine: every column is filled, the manager
// writes each child exactly once, writes status at most twice per deployment (once is the
// minimum; a second write happens when the Certificates turn Ready after the first reconcile has
// written "not ready", which depends on timing), and writes nothing at all once converged, nor
// after a restart, nor while it verifies the DNS records of deployments whose records answer as
// planned.
func TestBenchSmall(t *testing.T) {
	ctrl.SetLogger(logr.Discard())
	cfg := ShortConfig()
	cfg.Runs = 2 // each pair of compared phases in both orders
	cfg.Log = t.Logf
	r, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	r.WriteTable(&table)
	t.Log("\n" + table.String())
	if _, err := r.WriteJSON(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 1 {
		t.Fatalf("want one row, got %d", len(r.Rows))
	}
	row := r.Rows[0]
	for name, v := range map[string]float64{
		"convergeSeconds": row.ConvergeSeconds, "certificatesExistSeconds": row.CertificatesExistSeconds,
		"floorSeconds": row.FloorSeconds, "convergeOverFloor": row.ConvergeOverFloor,
		"oursAsPeerSeconds": row.OursAsPeerSeconds, "oursSecondsPerCertificate": row.OursSecondsPerCertificate, "ingressShimSecondsPerCertificate": row.IngressShimSecondsPerCertificate,
		"writesPerDeployment": row.WritesPerDeployment, "minimumWritesPerDeployment": row.MinimumWritesPerDeployment,
		"managerPeakRSSBytes": float64(row.ManagerPeakRSSBytes), "managerPeakHeapBytes": float64(row.ManagerPeakHeapBytes),
		"idleWindowSeconds": row.IdleWindowSeconds, "idleReconciles": row.IdleReconciles,
		"convergeCPU.apiServer": row.ConvergeCPU.APIServer, "statusPatchOverConfigMapCreate": r.StatusPatchOverConfigMapCreate,
	} {
		if v <= 0 {
			t.Errorf("%s is %v; want it measured", name, v)
		}
	}
	if len(r.RequestCosts) != 10 {
		t.Errorf("%d request costs; want 10", len(r.RequestCosts))
	}
	for _, c := range r.RequestCosts {
		if c.Count == 0 || c.Seconds <= 0 {
			t.Errorf("request cost %+v not measured", c)
		}
	}
	if row.IdleWrites == nil || *row.IdleWrites != 0 {
		t.Errorf("idle writes %v; want 0", row.IdleWrites)
	}
	if row.RestartWrites == nil || *row.RestartWrites != 0 {
		t.Errorf("writes after a restart %v; want 0", row.RestartWrites)
	}
	if got, want := row.Writes.Certificates, int64(row.Certificates); got != want {
		t.Errorf("%d Certificate writes for %d Certificates; want exactly one each", got, want)
	}
	if got, want := row.Writes.ConfigMaps, int64(row.ConfigMaps); got != want {
		t.Errorf("%d ConfigMap writes for %d ConfigMaps; want exactly one each", got, want)
	}
	if n := int64(row.N); row.Writes.Status < n || row.Writes.Status > 2*n {
		t.Errorf("%d status writes for %d deployments; want one or two each", row.Writes.Status, n)
	}
	if row.Writes.Other != 0 {
		t.Errorf("%d unexpected writes", row.Writes.Other)
	}
	if row.FloorWrites.Objects() != int64(row.Certificates+row.ConfigMaps+row.N) {
		t.Errorf("the floor wrote %+v; want exactly its children and one status each", row.FloorWrites)
	}
	if got := len(row.ConvergeOverFloorRuns); got != cfg.Runs {
		t.Errorf("%d convergence/floor ratios; want one per run, %d", got, cfg.Runs)
	}
	if ri := r.RealIssuance; ri == nil || ri.ConvergeSeconds <= 0 || ri.Certificates == 0 || ri.CertManagerAloneSeconds <= 0 || ri.OverCertManagerAlone <= 0 {
		t.Errorf("real issuance not measured: %+v", ri)
	} else if got := len(ri.OverCertManagerAloneRuns); got != cfg.Runs {
		t.Errorf("%d real issuance ratios; want one per run, %d", got, cfg.Runs)
	}
	checkDNSVerification(t, r.DNSVerification, cfg.VerifyN)
	if len(r.Planner) != len(PlannerDomains) || len(r.PlannerSamples) == 0 {
		t.Errorf("planner rows %+v %+v", r.Planner, r.PlannerSamples)
	}
	for _, p := range append(r.Planner, r.PlannerSamples...) {
		if p.NsPerOp <= 0 || p.AllocsPerOp <= 0 {
			t.Errorf("planner row %+v not measured", p)
		}
	}
}

// checkDNSVerification asserts the counts of the DNS verification phase that hold on any
// machine: it ran for n deployments, every one is verified, the window saw one pass of each,
// the passes sent queries, and the manager wrote nothing.
func checkDNSVerification(t *testing.T, v *DNSVerification, n int) {
	t.Helper()
	if v == nil {
		t.Error("the DNS verification phase did not run")
		return
	}
	if v.Deployments != n || v.Verified != n {
		t.Errorf("DNS verification: %d of %d deployments verified; want all %d", v.Verified, v.Deployments, n)
	}
	if v.Passes != int64(n) {
		t.Errorf("DNS verification: %d passes in the window; want one per deployment, %d", v.Passes, n)
	}
	if v.Queries <= 0 || v.QueriesPerDeployment <= 0 {
		t.Errorf("DNS verification: %d queries; want some", v.Queries)
	}
	if v.Writes.Total != 0 {
		t.Errorf("DNS verification: the manager wrote %+v in the window; want nothing", v.Writes)
	}
}
