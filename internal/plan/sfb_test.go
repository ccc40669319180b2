package plan

import (
	"slices"
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// sfbSpec is a Skype for Business Server Enterprise pool of two front ends (DNS load balancing),
// a Director, an Edge, a reverse proxy and Office Online Server, two SIP domains.
func sfbSpec(version v1alpha1.OCSVersion) *v1alpha1.UCDeploymentSpec {
	return &v1alpha1.UCDeploymentSpec{
		SIPDomains: []v1alpha1.FQDN{"contoso.com", "fabrikam.com"},
		OCS: &v1alpha1.OCSSpec{
			Version: version, Edition: v1alpha1.EnterpriseEdition,
			PoolFQDN: "pool01.contoso.com", PoolIP: "10.0.0.10",
			FrontEnds:       []v1alpha1.Server{{FQDN: "fe01.contoso.com", IP: "10.0.0.11"}, {FQDN: "fe02.contoso.com", IP: "10.0.0.12"}},
			InternalWebFQDN: "webint.contoso.com", ExternalWebFQDN: "webext.contoso.com",
			Director: &v1alpha1.DirectorSpec{FQDN: "dir01.contoso.com", IP: "10.0.0.30", ExternalWebFQDN: "webdir.contoso.com"},
			Edge: &v1alpha1.EdgeSpec{
				InternalFQDN: "edge01.contoso.com", InternalIP: "172.16.0.10",
				AccessFQDN: "sip.contoso.com", AccessIP: "131.107.155.10",
				WebConferencingFQDN: "webconf.contoso.com", WebConferencingIP: "131.107.155.20",
				AVFQDN: "av.contoso.com", AVIP: "131.107.155.30",
			},
			ReverseProxy:       &v1alpha1.ReverseProxySpec{IP: "131.107.155.40"},
			OfficeOnlineServer: &v1alpha1.OfficeOnlineServerSpec{InternalFQDN: "oos.contoso.com", InternalIP: "10.0.0.50", ExternalFQDN: "oosext.contoso.com"},
		},
		Certificates: v1alpha1.CertificatesSpec{
			Strategy:          v1alpha1.PerRole,
			PublicIssuerRef:   &v1alpha1.IssuerRef{Name: "public-ca"},
			InternalIssuerRef: &v1alpha1.IssuerRef{Name: "corp-ca"},
		},
	}
}

// TestSfBCertificates: the roles, names and Set-CsCertificate types of DOMAIN.md §3.1-3.3 and
// DOMAIN-CURRENT.md §1.3 (R-SFB-03).
func TestSfBCertificates(t *testing.T) {
	p := Compute("c", sfbSpec(v1alpha1.SfB2019))
	if p.HasErrors() {
		t.Fatalf("errors: %v", codes(p, SeverityError))
	}
	web := []string{"Default", "WebServicesExternal", "WebServicesInternal"}
	for _, tc := range []struct {
		rule, role, issuer string
		names, services    []string
	}{
		{"§3.1 pool: front ends, web FQDNs, simple URLs, mobility, sip.<d>", RolePool, IssuerInternal, []string{
			"pool01.contoso.com", "dialin.contoso.com", "fe01.contoso.com", "fe02.contoso.com", "lyncdiscover.contoso.com",
			"lyncdiscover.fabrikam.com", "lyncdiscoverinternal.contoso.com", "lyncdiscoverinternal.fabrikam.com",
			"meet.contoso.com", "meet.fabrikam.com", "sip.contoso.com", "sip.fabrikam.com", "webext.contoso.com", "webint.contoso.com"}, web},
		{"§3.1 director: its external web FQDN, simple URLs, mobility", RoleDirector, IssuerInternal, []string{
			"dir01.contoso.com", "dialin.contoso.com", "lyncdiscover.contoso.com", "lyncdiscover.fabrikam.com",
			"lyncdiscoverinternal.contoso.com", "lyncdiscoverinternal.fabrikam.com", "meet.contoso.com", "meet.fabrikam.com", "webdir.contoso.com"}, web},
		{"§3.2 edge internal: no SAN (V16)", RoleEdgeInternal, IssuerInternal, []string{"edge01.contoso.com"}, []string{"Internal"}},
		{"§3.2 one public edge certificate, sip.<d> for every SIP domain (V7)", RoleEdgeExternal, IssuerPublic,
			[]string{"sip.contoso.com", "sip.fabrikam.com", "webconf.contoso.com"},
			[]string{"AccessEdgeExternal", "AudioVideoAuthentication", "DataEdgeExternal"}},
		{"§3.3 reverse proxy: external web FQDNs, simple URLs, lyncdiscover, Office Online", RoleReverseProxy, IssuerPublic, []string{
			"webext.contoso.com", "dialin.contoso.com", "lyncdiscover.contoso.com", "lyncdiscover.fabrikam.com",
			"meet.contoso.com", "meet.fabrikam.com", "oosext.contoso.com", "webdir.contoso.com"}, nil},
		{"R-SFB-05 OAuth: the primary SIP domain", RoleOAuth, IssuerInternal, []string{"contoso.com"}, []string{"OAuthTokenIssuer"}},
		{"R-SFB-10 Office Online: farm and external FQDN", RoleOfficeOnline, IssuerInternal, []string{"oos.contoso.com", "oosext.contoso.com"}, nil},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			c := cert(t, p, tc.role)
			if c.Issuer != tc.issuer || !slices.Equal(c.DNSNames, tc.names) || !slices.Equal(c.Services, tc.services) {
				t.Errorf("%s: %s %v %v; want %s %v %v", tc.role, c.Issuer, c.DNSNames, c.Services, tc.issuer, tc.names, tc.services)
			}
		})
	}
	if slices.Contains(roles(p), RoleAVAuthentication) || slices.Contains(roles(p), RoleAccessEdge) {
		t.Errorf("OCS 2007 R2 edge roles in an SfB plan: %v", roles(p))
	}
}

// TestSfBUnified: strategy Unified puts every public name on one certificate whose subject is the
// Access Edge FQDN.
func TestSfBUnified(t *testing.T) {
	s := sfbSpec(v1alpha1.SfB2019)
	s.Certificates.Strategy = v1alpha1.Unified
	s.Exchange = &v1alpha1.ExchangeSpec{Version: v1alpha1.Exchange2019, ExternalFQDN: "mail.contoso.com", ExternalIP: "131.107.155.50"}
	p := Compute("c", s)
	c := cert(t, p, RoleUnified)
	for _, n := range []string{"sip.fabrikam.com", "webext.contoso.com", "meet.fabrikam.com", "mail.contoso.com", "autodiscover.contoso.com"} {
		if !slices.Contains(c.DNSNames, n) {
			t.Errorf("unified certificate lacks %s: %v", n, c.DNSNames)
		}
	}
	if c.CommonName != "sip.contoso.com" || !slices.Contains(c.Services, "AccessEdgeExternal") || !slices.Contains(c.Services, "IIS") {
		t.Errorf("unified CN %s services %v", c.CommonName, c.Services)
	}
	if slices.Contains(roles(p), RoleEdgeExternal) || slices.Contains(roles(p), RoleReverseProxy) {
		t.Errorf("per-role public certificates next to the unified one: %v", roles(p))
	}
}

// TestSfBRecords: DOMAIN.md §3.4 per version.
func TestSfBRecords(t *testing.T) {
	p := Compute("c", sfbSpec(v1alpha1.SfB2019))
	for _, tc := range []struct {
		rule            string
		view            View
		name, typ, data string
	}{
		{"S-SFB-DNS pool A per front end", ViewInternal, "pool01.contoso.com", "A", "10.0.0.11"},
		{"S-SFB-DNS pool A per front end", ViewInternal, "pool01.contoso.com", "A", "10.0.0.12"},
		{"§3.4 internal web FQDN on the HLB VIP", ViewInternal, "webint.contoso.com", "A", "10.0.0.10"},
		{"§3.4 external web FQDN on the reverse proxy", ViewExternal, "webext.contoso.com", "A", "131.107.155.40"},
		{"§3.4 Director external web FQDN", ViewExternal, "webdir.contoso.com", "A", "131.107.155.40"},
		{"S-SFB-SURL meet inside", ViewInternal, "meet.fabrikam.com", "A", "10.0.0.10"},
		{"S-SFB-SURL meet outside", ViewExternal, "meet.fabrikam.com", "A", "131.107.155.40"},
		{"S-SFB-SURL dialin outside", ViewExternal, "dialin.contoso.com", "A", "131.107.155.40"},
		{"S-L13-AUTOD lyncdiscover outside", ViewExternal, "lyncdiscover.fabrikam.com", "A", "131.107.155.40"},
		{"S-L13-AUTOD lyncdiscoverinternal to the Director", ViewInternal, "lyncdiscoverinternal.contoso.com", "A", "10.0.0.30"},
		{"S-OCS-AUTOSIGNIN _sipinternaltls", ViewInternal, "_sipinternaltls._tcp.contoso.com", "SRV", "0 0 5061 pool01.contoso.com."},
		{"S-SFB-OWAS Office Online inside", ViewInternal, "oos.contoso.com", "A", "10.0.0.50"},
		{"S-SFB-OWAS Office Online outside, at the reverse proxy", ViewExternal, "oosext.contoso.com", "A", "131.107.155.40"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if !hasRecord(p, tc.view, tc.name, tc.typ, tc.data) {
				t.Errorf("no %s %s %s %s", tc.view, tc.name, tc.typ, tc.data)
			}
		})
	}
	if hasCode(p, SeverityWarning, CodeDNSRecordConflict) {
		t.Errorf("the DNS-load-balanced pool is reported as a conflict: %v", p.Findings)
	}
	t.Run("§3.4 XMPP SRV only on Lync 2013 and SfB 2015", func(t *testing.T) {
		for _, v := range []v1alpha1.OCSVersion{v1alpha1.Lync2010, v1alpha1.Lync2013, v1alpha1.SfB2015, v1alpha1.SfB2019, v1alpha1.SfBSE} {
			s := sfbSpec(v)
			s.OCS.Edge.XMPPFQDN = "xmpp.contoso.com"
			p := Compute("c", s)
			got := hasRecord(p, ViewExternal, "_xmpp-server._tcp.contoso.com", "SRV", "0 0 5269 xmpp.contoso.com.")
			onCert := slices.Contains(cert(t, p, RoleEdgeExternal).DNSNames, "xmpp.contoso.com")
			if want := v == v1alpha1.Lync2013 || v == v1alpha1.SfB2015; got != want || onCert != want {
				t.Errorf("%s: XMPP SRV %v, xmpp.contoso.com on the edge %v; want %v", v, got, onCert, want)
			}
		}
	})
	t.Run("S-L13-AUTOD no lyncdiscover on Lync 2010 unless asked", func(t *testing.T) {
		s := sfbSpec(v1alpha1.Lync2010)
		s.OCS.OfficeOnlineServer = nil
		if hasRecord(Compute("c", s), ViewExternal, "lyncdiscover.contoso.com", "A", "131.107.155.40") {
			t.Error("lyncdiscover on Lync 2010 without mobility")
		}
		yes := true
		s.OCS.Mobility = &yes
		if !hasRecord(Compute("c", s), ViewExternal, "lyncdiscover.contoso.com", "A", "131.107.155.40") {
			t.Error("no lyncdiscover on Lync 2010 with mobility")
		}
	})
}

// TestTeamsOnly (R-SFB-11): exactly Microsoft's four records per SIP domain (the tenant's too,
// *.onmicrosoft.com excepted), and no on-premises SfB record or certificate.
func TestTeamsOnly(t *testing.T) {
	s := sfbSpec(v1alpha1.SfBSE)
	s.OCS.Hybrid = &v1alpha1.SfBHybridSpec{Mode: v1alpha1.TeamsOnly, OnlineSIPDomains: []v1alpha1.FQDN{"contoso.co.uk", "contoso.onmicrosoft.com"}}
	p := Compute("c", s)
	if len(p.Certificates) != 0 || len(p.Findings) != 0 {
		t.Errorf("certificates %v, findings %+v; want none", roles(p), p.Findings)
	}
	var want []Record
	for _, d := range []string{"contoso.co.uk", "contoso.com", "fabrikam.com"} {
		want = append(want,
			Record{ViewExternal, d, "_sip._tls." + d, "SRV", 3600, "100 1 443 sipdir.online.lync.com.", "R-SFB-11"},
			Record{ViewExternal, d, "_sipfederationtls._tcp." + d, "SRV", 3600, "100 1 5061 sipfed.online.lync.com.", "R-SFB-11"},
			Record{ViewExternal, d, "lyncdiscover." + d, "CNAME", 3600, "webdir.online.lync.com.", "R-SFB-11"},
			Record{ViewExternal, d, "sip." + d, "CNAME", 3600, "sipdir.online.lync.com.", "R-SFB-11"})
	}
	if !slices.Equal(p.DNSRecords, want) {
		t.Errorf("records:\n%+v\nwant:\n%+v", p.DNSRecords, want)
	}
}

// TestSfBFindings: one case per rule, each against the valid sfbSpec.
func TestSfBFindings(t *testing.T) {
	for _, tc := range []struct {
		rule     string
		mutate   func(s *v1alpha1.UCDeploymentSpec)
		severity Severity
		code     string
		path     string
	}{
		{"R-SFB-01 XMPP on 2019", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.Edge.XMPPFQDN = "xmpp.contoso.com" },
			SeverityError, CodeXMPPNotSupported, "spec.ocs.edge.xmppFQDN"},
		{"R-SFB-01 XMPP on SE", func(s *v1alpha1.UCDeploymentSpec) {
			s.OCS.Version, s.OCS.Edge.XMPPFQDN = v1alpha1.SfBSE, "xmpp.contoso.com"
		}, SeverityError, CodeXMPPNotSupported, "spec.ocs.edge.xmppFQDN"},
		{"§3 XMPP on Lync 2010", func(s *v1alpha1.UCDeploymentSpec) {
			s.OCS.Version, s.OCS.Edge.XMPPFQDN = v1alpha1.Lync2010, "xmpp.contoso.com"
		}, SeverityError, CodeXMPPNotSupported, "spec.ocs.edge.xmppFQDN"},
		{"R-SFB-09 simple URL is the pool FQDN", func(s *v1alpha1.UCDeploymentSpec) {
			s.OCS.SimpleURLs = &v1alpha1.SimpleURLsSpec{Dialin: "pool01.contoso.com"}
		}, SeverityError, CodeSimpleURLInvalid, "spec.ocs.simpleURLs.dialin"},
		{"R-SFB-09 simple URL is a front end", func(s *v1alpha1.UCDeploymentSpec) {
			s.OCS.SimpleURLs = &v1alpha1.SimpleURLsSpec{Meet: []v1alpha1.FQDN{"meet.contoso.com", "fe02.contoso.com"}}
		}, SeverityError, CodeSimpleURLInvalid, "spec.ocs.simpleURLs.meet[1]"},
		{"R-SFB-09 simple URL is a SIP domain", func(s *v1alpha1.UCDeploymentSpec) {
			s.OCS.SimpleURLs = &v1alpha1.SimpleURLsSpec{Admin: "fabrikam.com"}
		}, SeverityWarning, CodeSimpleURLInvalid, "spec.ocs.simpleURLs.admin"},
		{"V19 internal web FQDN is the DNS-load-balanced pool FQDN", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.InternalWebFQDN = "" },
			SeverityError, CodeWebFQDNEqualsPoolFQDN, "spec.ocs.internalWebFQDN"},
		{"V20 Director external web FQDN is the pool's", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.Director.ExternalWebFQDN = "webext.contoso.com" },
			SeverityError, CodeDirectorWebFQDNConflict, "spec.ocs.director.externalWebFQDN"},
		{"R-SFB-05 OAuth key under 2048 bits", func(s *v1alpha1.UCDeploymentSpec) { s.Certificates.PrivateKey.Size = 1024 },
			SeverityError, CodeOAuthKeySize, "spec.certificates.privateKey.size"},
		{"V4 wildcard on the unified SfB Edge certificate", func(s *v1alpha1.UCDeploymentSpec) {
			s.Certificates.Strategy = v1alpha1.Unified
			s.Exchange = &v1alpha1.ExchangeSpec{ExternalFQDN: "mail.contoso.com", AdditionalNames: []v1alpha1.DNSName{"*.contoso.com"}}
		}, SeverityError, CodeWildcardNotSupported, "spec.exchange.additionalNames[0]"},
		{"V27 ECDSA on Lync 2013", func(s *v1alpha1.UCDeploymentSpec) {
			s.OCS.Version, s.Certificates.PrivateKey.Algorithm = v1alpha1.Lync2013, "ECDSA"
		}, SeverityError, CodeKeyAlgorithmUnsupported, "spec.certificates.privateKey.algorithm"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			s := sfbSpec(v1alpha1.SfB2019)
			tc.mutate(s)
			if p := Compute("c", s); !finds(p, tc.severity, tc.code, tc.path) {
				t.Errorf("want %s %s at %s; got %+v", tc.severity, tc.code, tc.path, p.Findings)
			}
		})
	}
	t.Run("no finding on the valid spec", func(t *testing.T) {
		if p := Compute("c", sfbSpec(v1alpha1.SfB2019)); len(p.Findings) != 1 || p.Findings[0].Code != CodeStrictDNSNameMismatch {
			t.Errorf("findings %+v; want only StrictDNSNameMismatch for fabrikam.com", p.Findings)
		}
	})
	t.Run("V4 XMPP's *.<domain> on the 2015 Edge is allowed", func(t *testing.T) {
		s := sfbSpec(v1alpha1.SfB2015)
		s.OCS.Edge.XMPPFQDN = "xmpp.contoso.com"
		if p := Compute("c", s); hasCode(p, SeverityError, CodeWildcardNotSupported) {
			t.Errorf("XMPP wildcard rejected: %+v", p.Findings)
		}
	})
	t.Run("V27 ECDSA from SfB 2015 on, but never for OAuth (R-SFB-05)", func(t *testing.T) {
		s := sfbSpec(v1alpha1.SfB2015)
		s.Certificates.PrivateKey.Algorithm = "ECDSA"
		for _, f := range Compute("c", s).Findings {
			if f.Code == CodeKeyAlgorithmUnsupported && f.Rule != "R-SFB-05" {
				t.Errorf("ECDSA rejected on SfB 2015 beyond the OAuth certificate: %+v", f)
			}
		}
		s.OCS.Edge = nil
		if p := Compute("c", s); !finds(p, SeverityError, CodeKeyAlgorithmUnsupported, "spec.certificates.privateKey.algorithm") {
			t.Errorf("the ECDSA OAuth certificate is accepted: %+v", p.Findings)
		}
	})
}

// TestCloudConsolidation (R-SFB-12): in Hybrid mode every external record still points on
// premises, and the Edge certificate carries sip.<d> for every online SIP domain but
// *.onmicrosoft.com.
func TestCloudConsolidation(t *testing.T) {
	s := sfbSpec(v1alpha1.SfB2019)
	s.OCS.Hybrid = &v1alpha1.SfBHybridSpec{Mode: v1alpha1.Hybrid, OnlineSIPDomains: []v1alpha1.FQDN{"contoso.co.uk", "contoso.onmicrosoft.com"}}
	p := Compute("c", s)
	names := cert(t, p, RoleEdgeExternal).DNSNames
	if !slices.Contains(names, "sip.contoso.co.uk") || slices.Contains(names, "sip.contoso.onmicrosoft.com") {
		t.Errorf("edge names %v: want sip.contoso.co.uk and no onmicrosoft.com name", names)
	}
	if !hasRecord(p, ViewExternal, "_sip._tls.contoso.com", "SRV", "0 0 443 sip.contoso.com.") {
		t.Error("the hybrid deployment's _sip._tls no longer points on premises")
	}
}
