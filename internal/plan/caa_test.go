package plan

import (
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

func TestCAARecords(t *testing.T) {
	t.Run("R-PKI-05 issue at the apex of every zone with a public name", func(t *testing.T) {
		s := base()
		s.DNS.CAA = &v1alpha1.CAASpec{Issuer: "letsencrypt.org", ValidationMethods: []v1alpha1.ACMEChallenge{"dns-01"}}
		p := Compute("c", s)
		// sip.fabrikam.com is on the Access Edge certificate; contoso.com holds the rest.
		for _, zone := range []string{"contoso.com", "fabrikam.com"} {
			if !hasRecord(p, ViewExternal, zone, "CAA", `0 issue "letsencrypt.org; validationmethods=dns-01"`) {
				t.Errorf("no CAA issue record at %s", zone)
			}
			if hasRecord(p, ViewExternal, zone, "CAA", `0 issuewild "letsencrypt.org; validationmethods=dns-01"`) {
				t.Errorf("issuewild at %s without a wildcard", zone)
			}
		}
		for _, r := range p.RecordsFor(ViewInternal) {
			if r.Type == "CAA" {
				t.Errorf("CAA in the internal view: %+v", r)
			}
		}
	})
	t.Run("R-PKI-05 issuewild where a wildcard is on a public certificate", func(t *testing.T) {
		s := base()
		s.Exchange.AdditionalNames = []v1alpha1.DNSName{"*.contoso.com"}
		s.DNS.CAA = &v1alpha1.CAASpec{Issuer: "letsencrypt.org", AccountURI: "https://acme-v02.api.letsencrypt.org/acme/acct/42"}
		p := Compute("c", s)
		if !hasRecord(p, ViewExternal, "contoso.com", "CAA", `0 issuewild "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/42"`) {
			t.Errorf("no issuewild record: %v", p.RecordsFor(ViewExternal))
		}
	})
	t.Run("no CAA without spec.dns.caa or without public certificates", func(t *testing.T) {
		s := base()
		for _, r := range Compute("c", s).DNSRecords {
			if r.Type == "CAA" {
				t.Errorf("CAA without spec.dns.caa: %+v", r)
			}
		}
		s.DNS.CAA = &v1alpha1.CAASpec{Issuer: "letsencrypt.org"}
		s.OCS.Edge, s.OCS.ReverseProxy, s.OCS.CommunicatorWebAccess, s.Exchange = nil, nil, nil, nil
		for _, r := range Compute("c", s).DNSRecords {
			if r.Type == "CAA" {
				t.Errorf("CAA for a plan without public certificates: %+v", r)
			}
		}
	})
}
