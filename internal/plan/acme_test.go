package plan

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

func TestACMERules(t *testing.T) {
	manyDomains := func(s *v1alpha1.UCDeploymentSpec) {
		s.Certificates.Strategy = v1alpha1.Unified
		for i := range 30 {
			s.Exchange.SMTPDomains = append(s.Exchange.SMTPDomains, v1alpha1.FQDN(fmt.Sprintf("d%02d.contoso.com", i)))
		}
	}
	for _, tc := range []struct {
		name     string
		mutate   func(s *v1alpha1.UCDeploymentSpec)
		opts     []Option
		severity Severity
		want     string // Code@path; "" for none of the ACME codes
	}{
		{"R-PKI-02 more names than tlsserver allows", manyDomains, []Option{PublicACME(ACMEProfileTLSServer)},
			SeverityError, CodeACMENameLimit + "@spec.certificates.publicIssuerRef"},
		{"R-PKI-02 classic allows 100", manyDomains, []Option{PublicACME("")}, "", ""},
		{"R-PKI-02 not an ACME issuer: not judged", manyDomains, nil, "", ""},
		{"R-PKI-06 a CN-less profile", func(*v1alpha1.UCDeploymentSpec) {}, []Option{PublicACME(ACMEProfileShortLived)},
			SeverityWarning, CodeACMEProfileWithoutCommonName + "@spec.certificates.publicIssuerRef"},
		{"R-PKI-07 clientAuth for PIC from an ACME CA", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.Edge.PublicIMConnectivity = true },
			[]Option{PublicACME(ACMEProfileClassic)}, SeverityWarning, CodeClientAuthUnavailable + "@spec.ocs.edge.publicIMConnectivity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.mutate(s)
			p := Compute("c", s, tc.opts...)
			if tc.want == "" {
				for _, f := range p.Findings {
					switch f.Code {
					case CodeACMENameLimit, CodeACMEProfileWithoutCommonName, CodeClientAuthUnavailable:
						t.Errorf("unexpected %s at %s", f.Code, f.Path)
					}
				}
				return
			}
			if got := codes(p, tc.severity); !slices.Contains(got, tc.want) {
				t.Errorf("%s findings %v; want %s", tc.severity, got, tc.want)
			}
		})
	}
}
