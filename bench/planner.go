package bench

import (
	"runtime"
	"testing"
	"time"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/bench/workload"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// PlannerDomains are the domain counts of the planner rows.
var PlannerDomains = []int{1, 10, 100}

// Planner measures plan.Compute as internal/plan's BenchmarkCompute does: the Enterprise spec of
// workload.EnterpriseSpec with 1, 10 and 100 SIP/SMTP domains, and every sample. With short it
// runs each case for about 100 ms instead of testing.Benchmark's second.
func Planner(samples []v1alpha1.UCDeployment, short bool) (domains, perSample []PlannerRow) {
	for _, n := range PlannerDomains {
		spec := workload.EnterpriseSpec(n)
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

func measure(f func(), short bool) PlannerRow {
	if !short {
		r := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f()
			}
		})
		return PlannerRow{NsPerOp: float64(r.T.Nanoseconds()) / float64(r.N), AllocsPerOp: r.AllocsPerOp(), BytesPerOp: r.AllocedBytesPerOp()}
	}
	f() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	n := 0
	for time.Since(start) < 100*time.Millisecond {
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
