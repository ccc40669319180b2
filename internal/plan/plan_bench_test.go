package plan_test

import (
	"fmt"
	"testing"

	"github.com/ucdeploy/ucdeploy/bench/workload"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// BenchmarkCompute plans the Enterprise deployment of workload.EnterpriseSpec (pool, Director,
// Edge, reverse proxy, CWA, Exchange 2010, certificates per role) with 1, 10 and 100 SIP and SMTP
// domains, and each of the four samples. `make bench` reports the same numbers (bench.Planner).
func BenchmarkCompute(b *testing.B) {
	for _, domains := range []int{1, 10, 100} {
		spec := workload.EnterpriseSpec(domains)
		b.Run(fmt.Sprintf("domains=%d", domains), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				plan.Compute("contoso-ee", spec)
			}
		})
	}
	samples, err := workload.LoadSamples("../..")
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range samples {
		b.Run("sample="+s.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				plan.Compute(s.Name, &s.Spec)
			}
		})
	}
}
