package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// The tests in this file are the independent review of real designs (issue 11), one per item,
// each written as a user with that design would write the spec.

// finds reports whether p has a finding of severity and code at path.
func finds(p Plan, severity Severity, code, path string) bool {
	return slices.Contains(codes(p, severity), code+"@"+path)
}

// noDuplicateSubjects fails when two planned certificates share a subject name.
func noDuplicateSubjects(t *testing.T, p Plan) {
	t.Helper()
	seen := map[string]string{}
	for _, c := range p.Certificates {
		if other, dup := seen[c.CommonName]; dup {
			t.Errorf("certificates %s and %s both have the subject %s", other, c.Name, c.CommonName)
		}
		seen[c.CommonName] = c.Name
	}
}

// edgeWithoutAddresses is an edge planned before any public address is known.
func edgeWithoutAddresses(s *v1alpha1.UCDeploymentSpec) {
	e := s.OCS.Edge
	e.AccessIP, e.WebConferencingIP, e.AVIP = "", "", ""
}

func TestOneNameIsOneAddress(t *testing.T) {
	t.Run("V11 Web Conferencing with the Access Edge FQDN on 443, no IP fields", func(t *testing.T) {
		s := base()
		edgeWithoutAddresses(s)
		s.OCS.Edge.WebConferencingFQDN = "sip.contoso.com"
		if p := Compute("c", s); !finds(p, SeverityError, CodeEdgePortConflict, "spec.ocs.edge.webConferencingPort") {
			t.Errorf("want EdgePortConflict on webConferencingPort; errors %v", codes(p, SeverityError))
		}
	})
	t.Run("V11 the seed design on 444 stays clean without IP fields", func(t *testing.T) {
		s := base()
		edgeWithoutAddresses(s)
		s.OCS.Edge.WebConferencingFQDN, s.OCS.Edge.WebConferencingPort = "sip.contoso.com", 444
		if p := Compute("c", s); p.HasErrors() {
			t.Errorf("errors %v", codes(p, SeverityError))
		}
	})
	t.Run("V12 A/V Edge with the Access Edge FQDN, no IP fields", func(t *testing.T) {
		s := base()
		edgeWithoutAddresses(s)
		s.OCS.Edge.AVFQDN = "sip.contoso.com"
		p := Compute("c", s)
		if !finds(p, SeverityError, CodeEdgePortConflict, "spec.ocs.edge.avFQDN") {
			t.Errorf("want EdgePortConflict on avFQDN; errors %v", codes(p, SeverityError))
		}
		noDuplicateSubjects(t, p)
	})
	t.Run("V12 A/V Edge with the Access Edge FQDN and different IPs still has one certificate per subject", func(t *testing.T) {
		s := base()
		s.OCS.Edge.AVFQDN = "sip.contoso.com"
		for _, strategy := range []v1alpha1.CertificateStrategy{v1alpha1.PerRole, v1alpha1.Unified} {
			s.Certificates.Strategy = strategy
			noDuplicateSubjects(t, Compute("c", s))
		}
	})
	t.Run("V6 two roles with one name: one certificate, an Error naming the second field", func(t *testing.T) {
		s := base()
		s.OCS.ReverseProxy.FQDN = "mail.contoso.com"
		p := Compute("c", s)
		noDuplicateSubjects(t, p)
		if !finds(p, SeverityError, CodeCertificateSubjectConflict, "spec.exchange.externalFQDN") {
			t.Errorf("want CertificateSubjectConflict; errors %v", codes(p, SeverityError))
		}
	})
}

func TestEveryServiceOnAPublicAddress(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(s *v1alpha1.UCDeploymentSpec)
		path   string
		fields []string // both fields the message must name
	}{
		{"Exchange on the Access Edge address", func(s *v1alpha1.UCDeploymentSpec) { s.Exchange.ExternalIP = s.OCS.Edge.AccessIP },
			"spec.exchange.externalIP", []string{"spec.ocs.edge.accessIP", "spec.exchange.externalIP"}},
		{"Exchange on the A/V Edge address", func(s *v1alpha1.UCDeploymentSpec) { s.Exchange.ExternalIP = s.OCS.Edge.AVIP },
			"spec.exchange.externalIP", []string{"spec.ocs.edge.avIP", "spec.exchange.externalIP"}},
		{"reverse proxy on the Access Edge address", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.ReverseProxy.IP = s.OCS.Edge.AccessIP },
			"spec.ocs.reverseProxy.ip", []string{"spec.ocs.edge.accessIP", "spec.ocs.reverseProxy.ip"}},
		{"reverse proxy on the A/V Edge address", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.ReverseProxy.IP = s.OCS.Edge.AVIP },
			"spec.ocs.reverseProxy.ip", []string{"spec.ocs.edge.avIP", "spec.ocs.reverseProxy.ip"}},
		{"V11 Web Conferencing on 5061 of the Access Edge address", func(s *v1alpha1.UCDeploymentSpec) {
			s.OCS.Edge.WebConferencingIP, s.OCS.Edge.WebConferencingPort = s.OCS.Edge.AccessIP, 5061
		}, "spec.ocs.edge.webConferencingPort", []string{"spec.ocs.edge.accessIP", "spec.ocs.edge.webConferencingIP", "5061"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.mutate(s)
			p := Compute("c", s)
			var found *Finding
			for i, f := range p.Findings {
				if f.Code == CodeEdgePortConflict && f.Path == tc.path && f.Severity == SeverityError {
					found = &p.Findings[i]
				}
			}
			if found == nil {
				t.Fatalf("want EdgePortConflict at %s; errors %v", tc.path, codes(p, SeverityError))
			}
			for _, field := range tc.fields {
				if !strings.Contains(found.Message, field) {
					t.Errorf("message does not name %s: %s", field, found.Message)
				}
			}
		})
	}
	t.Run("Exchange and the reverse proxy on one address stay allowed", func(t *testing.T) {
		s := base()
		s.OCS.ReverseProxy.IP = s.Exchange.ExternalIP
		s.OCS.CommunicatorWebAccess.IP = s.Exchange.ExternalIP
		if p := Compute("c", s); p.HasErrors() {
			t.Errorf("errors %v", codes(p, SeverityError))
		}
	})
}

func TestOutlookAnywherePrincipalName(t *testing.T) {
	s := base()
	s.Certificates.Strategy = v1alpha1.Unified // subject sip.contoso.com carries mail.contoso.com
	p := Compute("c", s)
	if !finds(p, SeverityWarning, CodeOutlookAnywherePrincipalName, "spec.certificates.strategy") {
		t.Errorf("want OutlookAnywherePrincipalName; warnings %v", codes(p, SeverityWarning))
	}
	if p.OutlookProviderPrincipalName != "msstd:sip.contoso.com" {
		t.Errorf("principal %q, want msstd:sip.contoso.com", p.OutlookProviderPrincipalName)
	}
	// Exchange on a certificate of its own: its subject is the external FQDN, nothing to set.
	p = Compute("c", base())
	if finds(p, SeverityWarning, CodeOutlookAnywherePrincipalName, "spec.certificates.strategy") || p.OutlookProviderPrincipalName != "" {
		t.Errorf("PerRole must not need a principal: %q", p.OutlookProviderPrincipalName)
	}
}

func TestKeyAlgorithmAndSize(t *testing.T) {
	s := base()
	s.Certificates.PrivateKey = v1alpha1.PrivateKeySpec{Algorithm: "ECDSA", Size: 384}
	if p := Compute("c", s); !finds(p, SeverityError, CodeKeyAlgorithmUnsupported, "spec.certificates.privateKey.algorithm") {
		t.Errorf("want KeyAlgorithmUnsupported; errors %v", codes(p, SeverityError))
	}
	s.Certificates.PrivateKey = v1alpha1.PrivateKeySpec{Algorithm: "RSA", Size: 4096}
	for _, c := range Compute("c", s).Certificates {
		if c.KeyAlgorithm != "RSA" || c.KeySize != 4096 {
			t.Errorf("%s: key %s %d, want RSA 4096", c.Name, c.KeyAlgorithm, c.KeySize)
		}
	}
	for _, c := range Compute("c", base()).Certificates {
		if c.KeySize != 2048 {
			t.Errorf("%s: default key size %d, want 2048", c.Name, c.KeySize)
		}
	}
}

func TestDanglingTargets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(s *v1alpha1.UCDeploymentSpec)
		path   string
	}{
		{"sign-in SRV to a pool without poolIP", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.PoolIP = "" }, "spec.ocs.poolIP"},
		{"sign-in SRV to a Director without its IP", func(s *v1alpha1.UCDeploymentSpec) {
			s.OCS.AutomaticSignInTarget, s.OCS.Director.IP = v1alpha1.SignInDirector, ""
		}, "spec.ocs.director.ip"},
		{"_sip._tls to sip.<domain> without accessIP", func(s *v1alpha1.UCDeploymentSpec) { s.OCS.Edge.AccessIP = "" }, "spec.ocs.edge.accessIP"},
		{"MX and autodiscover to the Exchange namespace without externalIP", func(s *v1alpha1.UCDeploymentSpec) { s.Exchange.ExternalIP = "" }, "spec.exchange.externalIP"},
		{"internal autodiscover without internalIP", func(s *v1alpha1.UCDeploymentSpec) { s.Exchange.InternalIP = "" }, "spec.exchange.internalIP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.mutate(s)
			if p := Compute("c", s); !finds(p, SeverityWarning, CodeRecordTargetWithoutAddress, tc.path) {
				t.Errorf("want RecordTargetWithoutAddress at %s; warnings %v", tc.path, codes(p, SeverityWarning))
			}
		})
	}
	if p := Compute("c", base()); slices.ContainsFunc(p.Findings, func(f Finding) bool { return f.Code == CodeRecordTargetWithoutAddress }) {
		t.Errorf("the base design has every address: %v", codes(p, SeverityWarning))
	}
}

func TestLegacyNamespaceInside(t *testing.T) {
	s := base()
	s.Exchange.LegacyFQDN, s.Exchange.LegacyIP = "legacy.contoso.com", "131.107.155.51"
	p := Compute("c", s)
	if hasRecord(p, ViewInternal, "legacy.contoso.com", "A", "131.107.155.51") {
		t.Error("the internal view resolves the legacy namespace to the public legacyIP")
	}
	if !hasRecord(p, ViewExternal, "legacy.contoso.com", "A", "131.107.155.51") {
		t.Error("the external legacy record is missing")
	}
	if !finds(p, SeverityInfo, CodeLegacyNamespaceExternalOnly, "spec.exchange.legacyInternalIP") {
		t.Errorf("want LegacyNamespaceExternalOnly; info %v", codes(p, SeverityInfo))
	}
	s.Exchange.LegacyInternalIP = "10.0.0.21"
	p = Compute("c", s)
	if !hasRecord(p, ViewInternal, "legacy.contoso.com", "A", "10.0.0.21") || finds(p, SeverityInfo, CodeLegacyNamespaceExternalOnly, "spec.exchange.legacyInternalIP") {
		t.Error("with legacyInternalIP the internal view publishes the internal address and nothing is reported")
	}
}

func TestAccessEdgeNameIsSIP(t *testing.T) {
	s := base()
	s.OCS.Edge.AccessFQDN = "access.contoso.com"
	if p := Compute("c", s); !finds(p, SeverityWarning, CodeAccessEdgeNameNotSIP, "spec.ocs.edge.accessFQDN") {
		t.Errorf("want AccessEdgeNameNotSIP; warnings %v", codes(p, SeverityWarning))
	}
	s.OCS.Edge.AccessFQDN = "sip.fabrikam.com" // a SIP domain other than the primary is fine
	if p := Compute("c", s); finds(p, SeverityWarning, CodeAccessEdgeNameNotSIP, "spec.ocs.edge.accessFQDN") {
		t.Error("sip.<a SIP domain> must not be reported")
	}
}

func TestSharedAddressNeedsSharedName(t *testing.T) {
	for _, strategy := range []v1alpha1.CertificateStrategy{v1alpha1.PerRole, v1alpha1.Unified} {
		s := base()
		s.Certificates.Strategy = strategy
		s.OCS.Edge.WebConferencingIP, s.OCS.Edge.WebConferencingPort = s.OCS.Edge.AccessIP, 444
		if p := Compute("c", s); !finds(p, SeverityWarning, CodeEdgeNamesDifferOnSharedAddress, "spec.ocs.edge.webConferencingFQDN") {
			t.Errorf("%s: want EdgeNamesDifferOnSharedAddress; warnings %v", strategy, codes(p, SeverityWarning))
		}
	}
}

func TestZonesTheAdminHosts(t *testing.T) {
	s := base()
	s.Exchange.ExternalFQDN = "x.mail-services.contoso.com"
	p := Compute("c", s)
	for _, r := range p.DNSRecords {
		if r.Zone == "mail-services.contoso.com" {
			t.Errorf("%s went into zone %s; the admin hosts contoso.com", r.Name, r.Zone)
		}
	}
	// The default list: SIP and SMTP domains plus the parents of internal hosts.
	if got := zonesOf(p, ViewInternal); !slices.Equal(got, []string{"contoso.com", "contoso.local", "fabrikam.com"}) {
		t.Errorf("internal zones %v", got)
	}
	// An explicit list: the most specific listed zone wins, names outside are reported.
	s = base()
	s.DNS.Zones = []v1alpha1.FQDN{"contoso.com", "cwa.contoso.com"}
	p = Compute("c", s)
	for _, r := range p.DNSRecords {
		if strings.HasSuffix(r.Name, "cwa.contoso.com") && r.Zone != "cwa.contoso.com" {
			t.Errorf("%s in zone %s, want the listed cwa.contoso.com", r.Name, r.Zone)
		}
	}
	if !finds(p, SeverityWarning, CodeRecordOutsideZones, "spec.dns.zones") {
		t.Errorf("fabrikam.com and contoso.local are not listed: want RecordOutsideZones; warnings %v", codes(p, SeverityWarning))
	}
}

// zonesOf returns the zones of one view, sorted.
func zonesOf(p Plan, view View) []string {
	var out []string
	for _, r := range p.RecordsFor(view) {
		out = append(out, r.Zone)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestConflictNamesTheField(t *testing.T) {
	s := base()
	s.OCS.ReverseProxy.FQDN = "av.contoso.com"
	p := Compute("c", s)
	for _, f := range p.Findings {
		if f.Code == CodeDNSRecordConflict && f.Path == "spec" {
			t.Errorf("DNSRecordConflict names no field: %+v", f)
		}
	}
	if !finds(p, SeverityWarning, CodeDNSRecordConflict, "spec.ocs.reverseProxy.fqdn") {
		t.Errorf("want DNSRecordConflict at spec.ocs.reverseProxy.fqdn; warnings %v", codes(p, SeverityWarning))
	}
}

func TestSecondaryAutodiscoverInsideWhereTheZoneIs(t *testing.T) {
	s := base()
	s.Exchange.SMTPDomains = []v1alpha1.FQDN{"contoso.com", "fabrikam.com", "wingtip.com"}
	p := Compute("c", s)
	// Issue 26 item 9: every SMTP domain whose zone the internal view holds (fabrikam.com, a SIP
	// domain) gets its internal autodiscover record; one it does not hold (wingtip.com) none.
	for d, inside := range map[string]bool{"fabrikam.com": true, "wingtip.com": false} {
		if hasRecord(p, ViewInternal, "autodiscover."+d, "CNAME", "mail.contoso.com.") != inside {
			t.Errorf("autodiscover.%s published internally: %v, want %v", d, !inside, inside)
		}
		if !hasRecord(p, ViewExternal, "autodiscover."+d, "CNAME", "mail.contoso.com.") {
			t.Errorf("autodiscover.%s is missing externally", d)
		}
	}
	if slices.Contains(zonesOf(p, ViewInternal), "wingtip.com") {
		t.Error("an internal zone wingtip.com would hide the domain's public records from internal users")
	}
	// A primary SMTP domain whose internal zone would hold nothing but autodiscover gets no internal record.
	s.Exchange.SMTPDomains = []v1alpha1.FQDN{"wingtip.com"}
	if slices.Contains(zonesOf(Compute("c", s), ViewInternal), "wingtip.com") {
		t.Error("an internal zone holding only autodiscover.wingtip.com was planned")
	}
}

func TestExternalOnlyNameInInternalZone(t *testing.T) {
	p := Compute("c", base())
	if !finds(p, SeverityWarning, CodeNameUnreachableInside, "spec.ocs.communicatorWebAccess.internalIP") {
		t.Errorf("CWA is external only in contoso.com, which the internal view holds; warnings %v", codes(p, SeverityWarning))
	}
	s := base()
	s.OCS.CommunicatorWebAccess.InternalIP = "10.0.0.41"
	p = Compute("c", s)
	for _, n := range []string{"cwa.contoso.com", "as.cwa.contoso.com", "download.cwa.contoso.com"} {
		if !hasRecord(p, ViewInternal, n, "A", "10.0.0.41") {
			t.Errorf("%s not published internally", n)
		}
	}
	if finds(p, SeverityWarning, CodeNameUnreachableInside, "spec.ocs.communicatorWebAccess.internalIP") {
		t.Error("reported although internalIP is set")
	}
}

// TestCleanDesignsStayClean: a plain Standard Edition, and Exchange plus the reverse proxy on one
// address, produce no Error (the samples are covered by the CLI goldens).
func TestCleanDesignsStayClean(t *testing.T) {
	se := &v1alpha1.UCDeploymentSpec{
		SIPDomains: []v1alpha1.FQDN{"contoso.com"},
		OCS:        &v1alpha1.OCSSpec{Edition: v1alpha1.StandardEdition, PoolFQDN: "ocs01.contoso.com", PoolIP: "10.0.0.10"},
		Certificates: v1alpha1.CertificatesSpec{
			InternalIssuerRef: &v1alpha1.IssuerRef{Name: "corp-ca"},
		},
	}
	if p := Compute("se", se); p.HasErrors() || len(p.Findings) != 0 {
		t.Errorf("plain Standard Edition: findings %+v", p.Findings)
	}
	s := base()
	s.OCS.ReverseProxy.IP = s.Exchange.ExternalIP
	if p := Compute("c", s); p.HasErrors() {
		t.Errorf("Exchange and reverse proxy on one address: errors %v", codes(p, SeverityError))
	}
}
