package bench

import (
	"runtime"
	"time"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/plan/plantest"
)

// PlannerDomains are the domain counts of the planner rows.
var PlannerDomains = []int{1, 10, 100}

// Planner measures plan.Compute as internal/plan's BenchmarkCompute does: the Enterprise spec of
// plantest.EnterpriseSpec with 1, 10 and 100 SIP/SMTP domains, and every sample. With short it
// runs each case for about 100 ms instead of a second.
func Planner(samples []v1alpha1.UCDeployment, short bool) (domains, perSample []PlannerRow) {
	for _, n := range PlannerDomains {
		spec := plantest.EnterpriseSpec(n)
		row := measure(func() { plan.Compute("contoso-ee", spec) }, short)
		row.Domains = n
		domains = append(domains, row)
	}
	for _, s := range samples {
		row := measure(func() { plan.Compute(s.Name, &s.Spec) }, short)
		row.Sample, row.Domains = s.Name, len(s.Spec.SIPDomains)
		perSample = append(perSample, row)
	}
	return domains, perSample
}

// measure runs f repeatedly for a second (100 ms with short) and
// returns its time and allocations per call.
func measure(f func(), short bool) PlannerRow {
	window := time.Second
	if short {
		window = 100 * time.Millisecond
	}
	f() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	n := 0
	for time.Since(start) < window {
		f()
		n++
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return PlannerRow{
		NsPerOp:     float64(elapsed.Nanoseconds()) / float64(n),
		AllocsPerOp: int64(after.Mallocs-before.Mallocs) / int64(n),
		BytesPerOp:  int64(after.TotalAlloc-before.TotalAlloc) / int64(n),
	}
}
