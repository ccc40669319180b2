package plan

import (
	"fmt"
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// BenchmarkCompute plans the full design of base() (pool, Director, Edge, reverse proxy, CWA,
// Exchange 2010, certificates per role) with 1, 10 and 100 SIP and SMTP domains, and each of the
// samples. `make bench` measures the planner on its own workload (bench.Planner).
func BenchmarkCompute(b *testing.B) {
	for _, domains := range []int{1, 10, 100} {
		spec := withDomains(base(), domains)
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

// withDomains gives s n SIP domains and the same n SMTP domains.
func withDomains(s *v1alpha1.UCDeploymentSpec, n int) *v1alpha1.UCDeploymentSpec {
	domains := []v1alpha1.FQDN{"contoso.com"}
	for i := 1; i < n; i++ {
		domains = append(domains, v1alpha1.FQDN(fmt.Sprintf("d%03d.contoso.com", i)))
	}
	s.SIPDomains = domains
	s.Exchange.SMTPDomains = domains
	return s
}
