package plan

import (
	"fmt"
	"testing"

	"github.com/ucdeploy/ucdeploy/internal/plan/plantest"
)

// BenchmarkCompute plans plantest.EnterpriseSpec (pool, Director, Edge, reverse proxy, CWA,
// Exchange 2010, certificates per role) with 1, 10 and 100 SIP and SMTP domains, and each of the
// samples. `make bench` measures the same cases (bench.Planner).
func BenchmarkCompute(b *testing.B) {
	for _, domains := range []int{1, 10, 100} {
		spec := plantest.EnterpriseSpec(domains)
		b.Run(fmt.Sprintf("domains=%d", domains), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Compute("contoso-ee", spec)
			}
		})
	}
	for i, s := range fuzzSamples(b) {
		b.Run(fmt.Sprintf("sample=%d", i), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Compute("sample", s)
			}
		})
	}
}
