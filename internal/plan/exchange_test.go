package plan

import (
	"slices"
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// modernExchangeSpec is an Exchange-only organisation of the given release with two SMTP domains.
func modernExchangeSpec(version v1alpha1.ExchangeVersion) *v1alpha1.UCDeploymentSpec {
	return &v1alpha1.UCDeploymentSpec{
		Exchange: &v1alpha1.ExchangeSpec{
			Version: version, SMTPDomains: []v1alpha1.FQDN{"contoso.com", "fabrikam.com"},
			ExternalFQDN: "mail.contoso.com", ExternalIP: "131.107.155.50", InternalIP: "10.0.0.20",
			Servers: []v1alpha1.ExchangeServer{{FQDN: "ex01.contoso.local", NetBIOSName: "EX01"}},
		},
		Certificates: v1alpha1.CertificatesSpec{
			PublicIssuerRef:   &v1alpha1.IssuerRef{Name: "public-ca"},
			InternalIssuerRef: &v1alpha1.IssuerRef{Name: "corp-ca"},
		},
	}
}

func TestModernExchange(t *testing.T) {
	for _, version := range []v1alpha1.ExchangeVersion{v1alpha1.Exchange2013, v1alpha1.Exchange2016, v1alpha1.Exchange2019, v1alpha1.ExchangeSE} {
		t.Run(string(version), func(t *testing.T) {
			p := Compute("c", modernExchangeSpec(version))
			if p.HasErrors() || len(p.Findings) != 0 {
				t.Errorf("a plain Exchange %s plans with findings %+v", version, p.Findings)
			}
			// R-EX-01: the one namespace plus autodiscover.<d> for every SMTP domain, bound to IIS.
			c := cert(t, p, RoleExchange)
			if want := []string{"mail.contoso.com", "autodiscover.contoso.com", "autodiscover.fabrikam.com"}; !slices.Equal(c.DNSNames, want) || c.Issuer != IssuerPublic {
				t.Errorf("exchange certificate %s %v; want public %v", c.Issuer, c.DNSNames, want)
			}
			if !slices.Equal(c.Services, []string{"IIS"}) {
				t.Errorf("services %v; want [IIS]", c.Services)
			}
		})
	}
}

func TestModernExchangeRules(t *testing.T) {
	t.Run("R-EX-01 no CAS array record from 2013 on", func(t *testing.T) {
		s := modernExchangeSpec(v1alpha1.Exchange2016)
		s.Exchange.CASArrayFQDN = "outlook.contoso.com" // the CRD rejects it; the planner ignores it
		for _, r := range Compute("c", s).DNSRecords {
			if r.Name == "outlook.contoso.com" {
				t.Errorf("a CAS array record for Exchange 2016: %+v", r)
			}
		}
	})
	t.Run("R-EX-01 server names are a warning from 2013 on", func(t *testing.T) {
		s := modernExchangeSpec(v1alpha1.Exchange2019)
		s.Exchange.IncludeServerNames = true
		if p := Compute("c", s); !finds(p, SeverityWarning, CodeExchangeServerNames, "spec.exchange.includeServerNames") {
			t.Errorf("want ExchangeServerNames; warnings %v", codes(p, SeverityWarning))
		}
		s = modernExchangeSpec(v1alpha1.Exchange2010)
		s.Exchange.IncludeServerNames = true
		if p := Compute("c", s); finds(p, SeverityWarning, CodeExchangeServerNames, "spec.exchange.includeServerNames") {
			t.Error("Exchange 2010 server names were typical: no warning")
		}
	})
	t.Run("R-EX-04 hybrid: the public certificate also carries SMTP", func(t *testing.T) {
		s := modernExchangeSpec(v1alpha1.ExchangeSE)
		s.Exchange.Hybrid = true
		c := cert(t, Compute("c", s), RoleExchange)
		if !slices.Equal(c.Services, []string{"IIS", "SMTP"}) || c.Issuer != IssuerPublic {
			t.Errorf("hybrid certificate %s services %v; want public IIS, SMTP", c.Issuer, c.Services)
		}
	})
	t.Run("R-EX-06 hybrid needs the Autodiscover host on the certificate", func(t *testing.T) {
		s := modernExchangeSpec(v1alpha1.Exchange2019)
		s.Exchange.Hybrid, s.Exchange.Autodiscover = true, v1alpha1.AutodiscoverSRV
		if p := Compute("c", s); !finds(p, SeverityError, CodeHybridCertificateNames, "spec.exchange.autodiscover") {
			t.Errorf("want HybridCertificateNames; errors %v", codes(p, SeverityError))
		}
	})
	t.Run("V27 ECDSA is an error only where the products use RSA only", func(t *testing.T) {
		s := modernExchangeSpec(v1alpha1.Exchange2019)
		s.Certificates.PrivateKey = v1alpha1.PrivateKeySpec{Algorithm: "ECDSA", Size: 256}
		if p := Compute("c", s); finds(p, SeverityError, CodeKeyAlgorithmUnsupported, "spec.certificates.privateKey.algorithm") {
			t.Error("Exchange 2019 alone: DOMAIN-CURRENT.md gives no rule against ECDSA")
		}
		s.Exchange.Version = v1alpha1.Exchange2010
		if p := Compute("c", s); !finds(p, SeverityError, CodeKeyAlgorithmUnsupported, "spec.certificates.privateKey.algorithm") {
			t.Error("Exchange 2010 uses RSA only")
		}
	})
	t.Run("unified certificate carries the Exchange services", func(t *testing.T) {
		s := base()
		s.Certificates.Strategy = v1alpha1.Unified
		if c := cert(t, Compute("c", s), RoleUnified); !slices.Equal(c.Services, []string{"IIS"}) {
			t.Errorf("unified services %v; want [IIS]", c.Services)
		}
	})
}
