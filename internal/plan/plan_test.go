package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// base is a full deployment in the shape of the API example: Enterprise pool, Director, edge on
// three addresses, reverse proxy, CWA, Exchange 2010, two SIP domains.
func base() *v1alpha1.UCDeploymentSpec {
	return &v1alpha1.UCDeploymentSpec{
		SIPDomains: []v1alpha1.FQDN{"contoso.com", "fabrikam.com"},
		OCS: &v1alpha1.OCSSpec{
			Version:   v1alpha1.OCS2007R2,
			Edition:   v1alpha1.EnterpriseEdition,
			PoolFQDN:  "pool01.contoso.com",
			PoolIP:    "10.0.0.10",
			FrontEnds: []v1alpha1.Server{{FQDN: "fe01.contoso.com", IP: "10.0.0.11"}},
			Director:  &v1alpha1.DirectorSpec{FQDN: "dir01.contoso.com", IP: "10.0.0.30"},
			Edge: &v1alpha1.EdgeSpec{
				InternalFQDN: "edge01.contoso.local", InternalIP: "172.16.0.10",
				AccessFQDN: "sip.contoso.com", AccessIP: "131.107.155.10",
				WebConferencingFQDN: "webconf.contoso.com", WebConferencingIP: "131.107.155.20", WebConferencingPort: 443,
				AVFQDN: "av.contoso.com", AVIP: "131.107.155.30", AVAuthenticationPort: 5062,
			},
			ReverseProxy:          &v1alpha1.ReverseProxySpec{FQDN: "webext.contoso.com", IP: "131.107.155.40"},
			CommunicatorWebAccess: &v1alpha1.CWASpec{FQDN: "cwa.contoso.com", ServerFQDN: "cwa01.contoso.local", IP: "131.107.155.41"},
		},
		Exchange: &v1alpha1.ExchangeSpec{
			Version: v1alpha1.Exchange2010, ExternalFQDN: "mail.contoso.com", ExternalIP: "131.107.155.50", InternalIP: "10.0.0.20",
			Servers: []v1alpha1.ExchangeServer{{FQDN: "ex01.contoso.local", NetBIOSName: "EX01"}},
		},
		Certificates: v1alpha1.CertificatesSpec{
			Strategy:          v1alpha1.PerRole,
			PublicIssuerRef:   &v1alpha1.IssuerRef{Name: "public-ca", Kind: "ClusterIssuer"},
			InternalIssuerRef: &v1alpha1.IssuerRef{Name: "corp-ca", Kind: "ClusterIssuer"},
		},
	}
}

func cert(t *testing.T, p Plan, role string) Certificate {
	t.Helper()
	for _, c := range p.Certificates {
		if c.Role == role {
			return c
		}
	}
	t.Fatalf("no %q certificate in plan; have %v", role, roles(p))
	return Certificate{}
}

func roles(p Plan) []string {
	var out []string
	for _, c := range p.Certificates {
		out = append(out, c.Role)
	}
	return out
}

func codes(p Plan, severity Severity) []string {
	var out []string
	for _, f := range p.Findings {
		if f.Severity == severity {
			out = append(out, f.Code+"@"+f.Path)
		}
	}
	return out
}

// hasCode reports whether p has a finding of severity with code, at any path.
func hasCode(p Plan, severity Severity, code string) bool {
	for _, f := range p.Findings {
		if f.Severity == severity && f.Code == code {
			return true
		}
	}
	return false
}

func hasRecord(p Plan, view View, name, typ, data string) bool {
	for _, r := range p.DNSRecords {
		if r.View == view && r.Name == name && r.Type == typ && r.Data == data {
			return true
		}
	}
	return false
}

func TestCertificates(t *testing.T) {
	tests := []struct {
		name   string // rule id first
		mutate func(s *v1alpha1.UCDeploymentSpec)
		role   string
		issuer string
		cn     string
		sans   []string
		usages []string
	}{
		{name: "R-OCS-SE standard edition: server FQDN, sip.<domain> per SIP domain",
			mutate: func(s *v1alpha1.UCDeploymentSpec) {
				s.OCS.Edition, s.OCS.FrontEnds, s.OCS.PoolFQDN = v1alpha1.StandardEdition, nil, "ocs01.contoso.local"
			},
			role: RolePool, issuer: IssuerInternal, cn: "ocs01.contoso.local",
			sans: []string{"ocs01.contoso.local", "sip.contoso.com", "sip.fabrikam.com"}},
		{name: "R-OCS-SE automatic sign-in off: no sip.<domain>",
			mutate: func(s *v1alpha1.UCDeploymentSpec) { s.OCS.AutomaticSignIn = new(bool) },
			role:   RolePool, issuer: IssuerInternal, cn: "pool01.contoso.com", sans: []string{"pool01.contoso.com"}},
		{name: "R-OCS-EE V18 internal web farm FQDN on the pool certificate",
			mutate: func(s *v1alpha1.UCDeploymentSpec) { s.OCS.InternalWebFQDN = "ocsweb.contoso.com" },
			role:   RolePool, issuer: IssuerInternal, cn: "pool01.contoso.com",
			sans: []string{"pool01.contoso.com", "ocsweb.contoso.com", "sip.contoso.com", "sip.fabrikam.com"}},
		{name: "R-OCS-FE-SAN front-end names only when asked",
			mutate: func(s *v1alpha1.UCDeploymentSpec) { s.OCS.FrontEndNamesOnPoolCertificate = true },
			role:   RolePool, issuer: IssuerInternal, cn: "pool01.contoso.com",
			sans: []string{"pool01.contoso.com", "fe01.contoso.com", "sip.contoso.com", "sip.fabrikam.com"}},
		{name: "R-OCS-DIR director without sign-in: its FQDN only",
			role: RoleDirector, issuer: IssuerInternal, cn: "dir01.contoso.com", sans: []string{"dir01.contoso.com"}},
		{name: "R-OCS-DIR director as sign-in target: sip.<domain>",
			mutate: func(s *v1alpha1.UCDeploymentSpec) { s.OCS.AutomaticSignInTarget = v1alpha1.SignInDirector },
			role:   RoleDirector, issuer: IssuerInternal, cn: "dir01.contoso.com",
			sans: []string{"dir01.contoso.com", "sip.contoso.com", "sip.fabrikam.com"}},
		{name: "§1.2 V16 edge internal: internal FQDN, no other name",
			role: RoleEdgeInternal, issuer: IssuerInternal, cn: "edge01.contoso.local", sans: []string{"edge01.contoso.local"}},
		{name: "§1.2 A/V authentication certificate separate, internal CA",
			role: RoleAVAuthentication, issuer: IssuerInternal, cn: "av.contoso.com", sans: []string{"av.contoso.com"}},
		{name: "§1.2 V7 Access Edge: sip.<domain> for every SIP domain",
			role: RoleAccessEdge, issuer: IssuerPublic, cn: "sip.contoso.com", sans: []string{"sip.contoso.com", "sip.fabrikam.com"}},
		{name: "§1.2 V28 PIC adds client auth to the Access Edge",
			mutate: func(s *v1alpha1.UCDeploymentSpec) { s.OCS.Edge.PublicIMConnectivity = true },
			role:   RoleAccessEdge, issuer: IssuerPublic, cn: "sip.contoso.com", sans: []string{"sip.contoso.com", "sip.fabrikam.com"},
			usages: serverClientUsages},
		{name: "§1.2 Web Conferencing Edge: its own public certificate (PerRole)",
			role: RoleWebConferencing, issuer: IssuerPublic, cn: "webconf.contoso.com", sans: []string{"webconf.contoso.com"}},
		{name: "§1.3 reverse proxy: external web farm FQDN",
			role: RoleReverseProxy, issuer: IssuerPublic, cn: "webext.contoso.com", sans: []string{"webext.contoso.com"}},
		{name: "R-CWA public: URL, as.<url>, download.<url>; server FQDN kept off (V1)",
			role: RoleCWA, issuer: IssuerPublic, cn: "cwa.contoso.com",
			sans: []string{"cwa.contoso.com", "as.cwa.contoso.com", "download.cwa.contoso.com"}},
		{name: "R-CWA MTLS: CWA server FQDN on the internal CA",
			role: RoleCWAInternal, issuer: IssuerInternal, cn: "cwa01.contoso.local", sans: []string{"cwa01.contoso.local"}},
		{name: "§2.1 V23 Exchange: external FQDN and autodiscover.<smtp domain> (defaulting to SIP domains)",
			role: RoleExchange, issuer: IssuerPublic, cn: "mail.contoso.com",
			sans: []string{"mail.contoso.com", "autodiscover.contoso.com", "autodiscover.fabrikam.com"}},
		{name: "§2.1 V22 Exchange: legacy namespace on, CAS array off",
			mutate: func(s *v1alpha1.UCDeploymentSpec) {
				s.Exchange.LegacyFQDN, s.Exchange.CASArrayFQDN = "legacy.contoso.com", "outlook.contoso.com"
				s.Exchange.SMTPDomains = []v1alpha1.FQDN{"contoso.com"}
			},
			role: RoleExchange, issuer: IssuerPublic, cn: "mail.contoso.com",
			sans: []string{"mail.contoso.com", "autodiscover.contoso.com", "legacy.contoso.com"}},
		{name: "S-KB940881 autodiscover by SRV: no autodiscover names; V5 wildcard last",
			mutate: func(s *v1alpha1.UCDeploymentSpec) {
				s.Exchange.Autodiscover = v1alpha1.AutodiscoverSRV
				s.Exchange.AdditionalNames = []v1alpha1.DNSName{"*.contoso.com", "imap.contoso.com"}
			},
			role: RoleExchange, issuer: IssuerPublic, cn: "mail.contoso.com",
			sans: []string{"mail.contoso.com", "imap.contoso.com", "*.contoso.com"}},
		{name: "§2.1 §4-3 server FQDN and NetBIOS names only on an internal-CA certificate",
			mutate: func(s *v1alpha1.UCDeploymentSpec) { s.Exchange.IncludeServerNames = true },
			role:   RoleExchangeInternal, issuer: IssuerInternal, cn: "ex01.contoso.local", sans: []string{"ex01.contoso.local", "ex01"}},
		{name: "SEED unified: CN is the Access Edge FQDN, V6 repeated first, every public name",
			mutate: func(s *v1alpha1.UCDeploymentSpec) { s.Certificates.Strategy = v1alpha1.Unified },
			role:   RoleUnified, issuer: IssuerPublic, cn: "sip.contoso.com",
			sans: []string{"sip.contoso.com", "as.cwa.contoso.com", "autodiscover.contoso.com", "autodiscover.fabrikam.com",
				"cwa.contoso.com", "download.cwa.contoso.com", "mail.contoso.com", "sip.fabrikam.com", "webconf.contoso.com", "webext.contoso.com"}},
		{name: "SEED unified without edge: CN is the Exchange external FQDN",
			mutate: func(s *v1alpha1.UCDeploymentSpec) { s.Certificates.Strategy, s.OCS.Edge = v1alpha1.Unified, nil },
			role:   RoleUnified, issuer: IssuerPublic, cn: "mail.contoso.com",
			sans: []string{"mail.contoso.com", "as.cwa.contoso.com", "autodiscover.contoso.com", "autodiscover.fabrikam.com",
				"cwa.contoso.com", "download.cwa.contoso.com", "webext.contoso.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			if tt.mutate != nil {
				tt.mutate(s)
			}
			c := cert(t, Compute("contoso", s), tt.role)
			if c.Issuer != tt.issuer || c.CommonName != tt.cn || !slices.Equal(c.DNSNames, tt.sans) {
				t.Errorf("got issuer %s CN %s SANs %v; want %s %s %v", c.Issuer, c.CommonName, c.DNSNames, tt.issuer, tt.cn, tt.sans)
			}
			if want := "contoso-" + tt.role; c.Name != want || c.SecretName != want+"-tls" {
				t.Errorf("name %s secret %s; want %s and %s-tls", c.Name, c.SecretName, want, want)
			}
			want := tt.usages
			if want == nil {
				want = serverUsages
			}
			if !slices.Equal(c.Usages, want) {
				t.Errorf("usages %v; want %v", c.Usages, want)
			}
		})
	}
}

func TestCertificateSetsPerStrategy(t *testing.T) {
	s := base()
	if got, want := roles(Compute("c", s)), []string{RoleAccessEdge, RoleAVAuthentication, RoleCWA, RoleCWAInternal, RoleDirector,
		RoleEdgeInternal, RoleExchange, RolePool, RoleReverseProxy, RoleWebConferencing}; !slices.Equal(got, want) {
		t.Errorf("PerRole roles %v; want %v", got, want)
	}
	s.Certificates.Strategy = v1alpha1.Unified
	if got, want := roles(Compute("c", s)), []string{RoleAVAuthentication, RoleCWAInternal, RoleDirector, RoleEdgeInternal,
		RolePool, RoleUnified}; !slices.Equal(got, want) {
		t.Errorf("Unified roles %v; want %v", got, want)
	}
	// The seed variant: Web Conferencing shares the Access Edge name, so there is no second edge certificate.
	s = base()
	s.OCS.Edge.WebConferencingFQDN, s.OCS.Edge.WebConferencingIP, s.OCS.Edge.WebConferencingPort = "sip.contoso.com", "", 444
	if slices.Contains(roles(Compute("c", s)), RoleWebConferencing) {
		t.Errorf("web conferencing sharing the access FQDN must not get its own certificate")
	}
}

func TestRecords(t *testing.T) {
	p := Compute("c", base())
	for _, r := range []struct {
		rule            string
		view            View
		name, typ, data string
	}{
		{"S-OCS-DNS pool A", ViewInternal, "pool01.contoso.com", "A", "10.0.0.10"},
		{"S-OCS-DNS front end A", ViewInternal, "fe01.contoso.com", "A", "10.0.0.11"},
		{"S-OCS-AUTOSIGNIN", ViewInternal, "_sipinternaltls._tcp.contoso.com", "SRV", "0 0 5061 pool01.contoso.com."},
		{"S-OCS-AUTOSIGNIN second domain, same pool", ViewInternal, "_sipinternaltls._tcp.fabrikam.com", "SRV", "0 0 5061 pool01.contoso.com."},
		{"S-OCS-PHONE fallback", ViewInternal, "sip.fabrikam.com", "A", "10.0.0.10"},
		{"S-OCS-EDGEDNS edge internal", ViewInternal, "edge01.contoso.local", "A", "172.16.0.10"},
		{"R-OCS-DIR", ViewInternal, "dir01.contoso.com", "A", "10.0.0.30"},
		{"S-OCS-EDGEDNS remote access", ViewExternal, "_sip._tls.fabrikam.com", "SRV", "0 0 443 sip.fabrikam.com."},
		{"S-OCS-EDGEDNS federation", ViewExternal, "_sipfederationtls._tcp.contoso.com", "SRV", "0 0 5061 sip.contoso.com."},
		{"S-OCS-EDGEDNS sip per domain", ViewExternal, "sip.fabrikam.com", "A", "131.107.155.10"},
		{"S-OCS-EDGEDNS web conferencing", ViewExternal, "webconf.contoso.com", "A", "131.107.155.20"},
		{"S-OCS-EDGEDNS A/V", ViewExternal, "av.contoso.com", "A", "131.107.155.30"},
		{"S-RP-2010", ViewExternal, "webext.contoso.com", "A", "131.107.155.40"},
		{"R-CWA download", ViewExternal, "download.cwa.contoso.com", "A", "131.107.155.41"},
		{"§2.2 MX", ViewExternal, "fabrikam.com", "MX", "10 mail.contoso.com."},
		{"§2.2 external", ViewExternal, "mail.contoso.com", "A", "131.107.155.50"},
		{"§2.2 split DNS", ViewInternal, "mail.contoso.com", "A", "10.0.0.20"},
		{"S-EX07-AUTOD", ViewExternal, "autodiscover.fabrikam.com", "CNAME", "mail.contoso.com."},
	} {
		if !hasRecord(p, r.view, r.name, r.typ, r.data) {
			t.Errorf("%s: missing %s %s %s %s", r.rule, r.view, r.name, r.typ, r.data)
		}
	}
}

func TestRecordRules(t *testing.T) {
	t.Run("V10 exactly one _sipinternaltls per SIP domain, to the Director when designated", func(t *testing.T) {
		s := base()
		s.OCS.AutomaticSignInTarget = v1alpha1.SignInDirector
		p := Compute("c", s)
		n := 0
		for _, r := range p.DNSRecords {
			if r.Name == "_sipinternaltls._tcp.contoso.com" {
				n++
				if r.Data != "0 0 5061 dir01.contoso.com." {
					t.Errorf("target %s; want the director", r.Data)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d _sipinternaltls records for contoso.com; want 1", n)
		}
	})
	t.Run("V9 no SRV target is a CNAME owner", func(t *testing.T) {
		for _, p := range []Plan{Compute("c", base())} {
			cnames := map[string]bool{}
			for _, r := range p.DNSRecords {
				if r.Type == "CNAME" {
					cnames[string(r.View)+" "+r.Name] = true
				}
			}
			for _, r := range p.DNSRecords {
				if r.Type == "SRV" {
					f := strings.Fields(r.Data)
					if cnames[string(r.View)+" "+strings.TrimSuffix(f[3], ".")] {
						t.Errorf("SRV %s targets CNAME %s", r.Name, f[3])
					}
				}
			}
		}
	})
	t.Run("S-CASARRAY CAS array internal only", func(t *testing.T) {
		s := base()
		s.Exchange.CASArrayFQDN = "outlook.contoso.local"
		p := Compute("c", s)
		if !hasRecord(p, ViewInternal, "outlook.contoso.local", "A", "10.0.0.20") || hasRecord(p, ViewExternal, "outlook.contoso.local", "A", "10.0.0.20") {
			t.Errorf("CAS array must be in the internal view only: %v", p.DNSRecords)
		}
	})
	t.Run("S-KB940881 autodiscover SRV replaces the host record", func(t *testing.T) {
		s := base()
		s.Exchange.Autodiscover = v1alpha1.AutodiscoverSRV
		p := Compute("c", s)
		if !hasRecord(p, ViewExternal, "_autodiscover._tcp.contoso.com", "SRV", "0 0 443 mail.contoso.com.") ||
			hasRecord(p, ViewExternal, "autodiscover.contoso.com", "CNAME", "mail.contoso.com.") {
			t.Errorf("want the SRV and no CNAME")
		}
	})
	t.Run("federation off: no _sipfederationtls", func(t *testing.T) {
		s := base()
		s.OCS.Edge.Federation = new(bool)
		for _, r := range Compute("c", s).DNSRecords {
			if strings.HasPrefix(r.Name, "_sipfederationtls.") {
				t.Errorf("unexpected %s", r.Name)
			}
		}
	})
	t.Run("zones: longest known zone, TTL from spec", func(t *testing.T) {
		s := base()
		s.DNS.TTL = 300
		for _, r := range Compute("c", s).DNSRecords {
			if !inDomain(r.Name, r.Zone) || r.TTL != 300 {
				t.Errorf("record %+v: zone or TTL wrong", r)
			}
			if r.Name == "download.cwa.contoso.com" && r.Zone != "contoso.com" {
				t.Errorf("download.cwa zone %s", r.Zone)
			}
			if r.Name == "edge01.contoso.local" && r.Zone != "contoso.local" {
				t.Errorf("edge zone %s", r.Zone)
			}
		}
	})
}

func TestFindings(t *testing.T) {
	tests := []struct {
		name     string // rule id first
		mutate   func(s *v1alpha1.UCDeploymentSpec)
		severity Severity
		want     string // Code@path
	}{
		{"V1 .local name on the public Access Edge certificate", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.Edge.AccessFQDN = "sip.contoso.local" },
			SeverityError, CodeInternalNameOnPublicCertificate + "@spec.ocs.edge.accessFQDN"},
		{"V1 .local SIP domain lands on the edge certificate as sip.<domain>", func(s *v1alpha1.UCDeploymentSpec) {
			s.SIPDomains = append(s.SIPDomains, "corp.local")
		}, SeverityError, CodeInternalNameOnPublicCertificate + "@spec.sipDomains[2]"},
		{"V1 .corp Exchange external name", func(s *v1alpha1.UCDeploymentSpec) { s.Exchange.ExternalFQDN = "mail.contoso.corp" },
			SeverityError, CodeInternalNameOnPublicCertificate + "@spec.exchange.externalFQDN"},
		{"V3 wildcard on the unified certificate OCS uses", func(s *v1alpha1.UCDeploymentSpec) {
			s.Certificates.Strategy = v1alpha1.Unified
			s.Exchange.AdditionalNames = []v1alpha1.DNSName{"*.contoso.com"}
		}, SeverityError, CodeWildcardNotSupported + "@spec.exchange.additionalNames[0]"},
		{"V8 sign-in pool outside the SIP domain", func(s *v1alpha1.UCDeploymentSpec) {},
			SeverityWarning, CodeStrictDNSNameMismatch + "@spec.ocs.poolFQDN"},
		{"V11 web conferencing on 443 sharing the Access Edge address", func(s *v1alpha1.UCDeploymentSpec) {
			s.OCS.Edge.WebConferencingIP = s.OCS.Edge.AccessIP
		}, SeverityError, CodeEdgePortConflict + "@spec.ocs.edge.webConferencingPort"},
		{"V11 seed variant, same name and no address, still on 443", func(s *v1alpha1.UCDeploymentSpec) {
			s.OCS.Edge.WebConferencingFQDN, s.OCS.Edge.WebConferencingIP = "sip.contoso.com", ""
		}, SeverityError, CodeEdgePortConflict + "@spec.ocs.edge.webConferencingPort"},
		{"V12 A/V Edge on the Access Edge address", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.Edge.AVIP = s.OCS.Edge.AccessIP },
			SeverityError, CodeEdgePortConflict + "@spec.ocs.edge.avIP"},
		{"V12 A/V Edge on the Web Conferencing address", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.Edge.AVIP = s.OCS.Edge.WebConferencingIP },
			SeverityError, CodeEdgePortConflict + "@spec.ocs.edge.avIP"},
		{"V17 one name, two addresses", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.Edge.WebConferencingFQDN = "sip.contoso.com" },
			SeverityError, CodeEdgeAddressConflict + "@spec.ocs.edge.webConferencingIP"},
		{"V13 A/V authentication on 443", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.Edge.AVAuthenticationPort = 443 },
			SeverityError, CodeAVAuthenticationPort + "@spec.ocs.edge.avAuthenticationPort"},
		{"V14 web conferencing internal port not 8057", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.Edge.WebConferencingInternalPort = 8058 },
			SeverityWarning, CodeWebConferencingInternalPort + "@spec.ocs.edge.webConferencingInternalPort"},
		{"V17 unified certificate with distinct Access and Web Conferencing names", func(s *v1alpha1.UCDeploymentSpec) {
			s.Certificates.Strategy = v1alpha1.Unified
		}, SeverityWarning, CodeSingleCertificateEdgeNames + "@spec.ocs.edge.webConferencingFQDN"},
		{"V22 CAS array equal to an HTTP name", func(s *v1alpha1.UCDeploymentSpec) { s.Exchange.CASArrayFQDN = "mail.contoso.com" },
			SeverityWarning, CodeCASArrayOnCertificate + "@spec.exchange.casArrayFQDN"},
		{"V24 ISA 2006 RTM", func(s *v1alpha1.UCDeploymentSpec) { s.Exchange.PublishedVia = "ISA2006" },
			SeverityWarning, CodeSANPublishingUnsupported + "@spec.exchange.publishedVia"},
		{"V24 ISA 2004", func(s *v1alpha1.UCDeploymentSpec) { s.Exchange.PublishedVia = "ISA2004" },
			SeverityWarning, CodeSANPublishingUnsupported + "@spec.exchange.publishedVia"},
		{"V26 more names than the CA product allows", func(s *v1alpha1.UCDeploymentSpec) { s.Certificates.MaxSANs = 2 },
			SeverityWarning, CodeTooManySANs + "@spec.certificates.maxSANs"},
		{"V27 1024-bit RSA on a public certificate", func(s *v1alpha1.UCDeploymentSpec) { s.Certificates.PrivateKey.Size = 1024 },
			SeverityError, CodeWeakKey + "@spec.certificates.privateKey.size"},
		{"V23 autodiscover by SRV needs newer Outlook", func(s *v1alpha1.UCDeploymentSpec) { s.Exchange.Autodiscover = v1alpha1.AutodiscoverSRV },
			SeverityInfo, CodeAutodiscoverSRVClients + "@spec.exchange.autodiscover"},
		{"R-OCS-FE-SAN front ends not on the pool certificate", func(s *v1alpha1.UCDeploymentSpec) {},
			SeverityInfo, CodeFrontEndNamesNotOnPoolCertificate + "@spec.ocs.frontEndNamesOnPoolCertificate"},
		{"§4 no public issuer", func(s *v1alpha1.UCDeploymentSpec) { s.Certificates.PublicIssuerRef = nil },
			SeverityError, CodeIssuerNotConfigured + "@spec.certificates.publicIssuerRef"},
		{"RFC 5280 CN longer than 64", func(s *v1alpha1.UCDeploymentSpec) {
			s.OCS.ReverseProxy.FQDN = v1alpha1.FQDN(strings.Repeat("a", 60) + ".contoso.com")
		}, SeverityError, CodeCommonNameTooLong + "@spec.ocs.reverseProxy.fqdn"},
		{"RFC 1035 generated name too long", func(s *v1alpha1.UCDeploymentSpec) {
			s.OCS.CommunicatorWebAccess.FQDN = v1alpha1.FQDN(strings.Repeat(strings.Repeat("a", 60)+".", 4) + "com")
		}, SeverityError, CodeGeneratedNameInvalid + "@spec.ocs.communicatorWebAccess.fqdn"},
		{"RFC 1034 CNAME sharing an owner", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.ReverseProxy.FQDN = "autodiscover.contoso.com" },
			SeverityError, CodeDNSRecordConflict + "@spec.ocs.reverseProxy.fqdn"},
		{"RFC 1034 one name, two addresses", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.ReverseProxy.FQDN = "webconf.contoso.com" },
			SeverityWarning, CodeDNSRecordConflict + "@spec.ocs.reverseProxy.fqdn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.mutate(s)
			p := Compute("contoso", s)
			if got := codes(p, tt.severity); !slices.Contains(got, tt.want) {
				t.Errorf("%s findings %v; want %s", tt.severity, got, tt.want)
			}
			if tt.severity == SeverityError && !p.HasErrors() {
				t.Errorf("HasErrors() = false with an Error finding")
			}
		})
	}
}

func TestBaseHasNoErrors(t *testing.T) {
	p := Compute("contoso", base())
	if got := codes(p, SeverityError); len(got) != 0 {
		t.Fatalf("the base spec must plan clean; errors %v", got)
	}
	// Every finding's message names something concrete and each carries a rule id.
	for _, f := range p.Findings {
		if f.Rule == "" || f.Path == "" || len(f.Message) < 20 {
			t.Errorf("finding %+v lacks rule, path or message", f)
		}
	}
}

func TestZeroAndSparseSpecsDoNotPanic(t *testing.T) {
	specs := []*v1alpha1.UCDeploymentSpec{
		{},
		{OCS: &v1alpha1.OCSSpec{}},
		{OCS: &v1alpha1.OCSSpec{Edge: &v1alpha1.EdgeSpec{}, Director: &v1alpha1.DirectorSpec{}, ReverseProxy: &v1alpha1.ReverseProxySpec{}, CommunicatorWebAccess: &v1alpha1.CWASpec{}}},
		{Exchange: &v1alpha1.ExchangeSpec{Servers: []v1alpha1.ExchangeServer{{}}, IncludeServerNames: true}},
	}
	for i, s := range specs {
		t.Run(fmt.Sprint(i), func(t *testing.T) { _ = Compute("x", s) })
	}
}

func TestDeterministic(t *testing.T) {
	a, b := Compute("c", base()), Compute("c", base())
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("two runs differ")
	}
	// Order of list fields in the spec must not change the output beyond the primary domain.
	s := base()
	slices.Reverse(s.OCS.FrontEnds)
	if fmt.Sprint(Compute("c", s).DNSRecords) != fmt.Sprint(a.DNSRecords) {
		t.Fatal("front-end order changed the records")
	}
}
