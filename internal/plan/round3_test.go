package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// Issue 26 ("Planner, round 3"): one design and one test per item, named after the item.

// xmppDesign is a federating Edge with XMPP for two SIP domains on release v.
func xmppDesign(v v1alpha1.OCSVersion) *v1alpha1.UCDeploymentSpec {
	s := sfbSpec(v)
	s.OCS.Edge.XMPPFQDN = "xmpp.contoso.com"
	return s
}

// TestItem01XMPPOnLync2013: Lync Server 2013 has the XMPP proxy on the Edge (DOMAIN.md §3.2,
// S-L13-XMPP): no Error, the XMPP records of §3.4 for every SIP domain, and the names Lync 2013's
// certificate summary lists (the bare XMPP domains) for every SIP domain, not only the primary.
// SfB 2015 gets *.<domain> for every SIP domain and the XMPPServer type (DOMAIN-CURRENT.md §1.3).
func TestItem01XMPPOnLync2013(t *testing.T) {
	for _, tc := range []struct {
		version  v1alpha1.OCSVersion
		perName  func(d string) string
		services []string
	}{
		{v1alpha1.Lync2013, func(d string) string { return d }, []string{"AccessEdgeExternal", "AudioVideoAuthentication", "DataEdgeExternal"}},
		{v1alpha1.SfB2015, func(d string) string { return "*." + d }, []string{"AccessEdgeExternal", "AudioVideoAuthentication", "DataEdgeExternal", "XMPPServer"}},
	} {
		t.Run(string(tc.version), func(t *testing.T) {
			p := Compute("c", xmppDesign(tc.version))
			if p.HasErrors() {
				t.Fatalf("errors: %+v", p.Findings)
			}
			edge := cert(t, p, RoleEdgeExternal)
			for _, d := range []string{"contoso.com", "fabrikam.com"} {
				if !slices.Contains(edge.DNSNames, tc.perName(d)) {
					t.Errorf("the Edge certificate %v lacks %s for the SIP domain %s", edge.DNSNames, tc.perName(d), d)
				}
				if !hasRecord(p, ViewExternal, "_xmpp-server._tcp."+d, "SRV", "0 0 5269 xmpp.contoso.com.") {
					t.Errorf("no _xmpp-server._tcp.%s", d)
				}
			}
			if !slices.Contains(edge.DNSNames, "xmpp.contoso.com") || !hasRecord(p, ViewExternal, "xmpp.contoso.com", "A", "131.107.155.10") {
				t.Errorf("xmpp.contoso.com is not on the Edge certificate %v or has no A record at the Access Edge", edge.DNSNames)
			}
			if !slices.Equal(edge.Services, tc.services) {
				t.Errorf("Edge services %v, want %v", edge.Services, tc.services)
			}
		})
	}
	for _, v := range []v1alpha1.OCSVersion{v1alpha1.Lync2010, v1alpha1.SfB2019, v1alpha1.SfBSE} {
		if p := Compute("c", xmppDesign(v)); !finds(p, SeverityError, CodeXMPPNotSupported, "spec.ocs.edge.xmppFQDN") {
			t.Errorf("%s: XMPP not refused: %+v", v, p.Findings)
		}
	}
}

// TestItem03SfBHybridNeedsFederation: hybrid with Microsoft 365 goes through the on-premises
// Access Edge and _sipfederationtls._tcp of every SIP domain (DOMAIN-CURRENT.md §1.6, R-SFB-11):
// no Edge, or federation off, is an Error; the federating design has the SRV for every domain.
// Lync 2010 and 2013 in hybrid get a warning on what they do not support (hybrid voice).
func TestItem03SfBHybridNeedsFederation(t *testing.T) {
	off := false
	hybrid := func(v v1alpha1.OCSVersion) *v1alpha1.UCDeploymentSpec {
		s := sfbSpec(v)
		s.OCS.Hybrid = &v1alpha1.SfBHybridSpec{Mode: v1alpha1.Hybrid}
		return s
	}
	noEdge, noFederation := hybrid(v1alpha1.SfB2019), hybrid(v1alpha1.SfB2019)
	noEdge.OCS.Edge = nil
	noFederation.OCS.Edge.Federation = &off
	for name, tc := range map[string]struct {
		spec *v1alpha1.UCDeploymentSpec
		path string
	}{"no Edge": {noEdge, "spec.ocs.edge"}, "federation off": {noFederation, "spec.ocs.edge.federation"}} {
		if p := Compute("c", tc.spec); !finds(p, SeverityError, CodeHybridWithoutFederation, tc.path) {
			t.Errorf("%s: want HybridWithoutFederation at %s, got %+v", name, tc.path, p.Findings)
		}
	}
	p := Compute("c", hybrid(v1alpha1.SfB2019))
	if hasCode(p, SeverityError, CodeHybridWithoutFederation) || hasCode(p, SeverityWarning, CodeHybridRelease) {
		t.Errorf("the federating SfB 2019 hybrid design is refused: %+v", p.Findings)
	}
	for _, d := range []string{"contoso.com", "fabrikam.com"} {
		if !hasRecord(p, ViewExternal, "_sipfederationtls._tcp."+d, "SRV", "0 0 5061 sip."+d+".") {
			t.Errorf("no _sipfederationtls._tcp.%s in hybrid", d)
		}
	}
	for _, v := range []v1alpha1.OCSVersion{v1alpha1.Lync2010, v1alpha1.Lync2013} {
		if p := Compute("c", hybrid(v)); !finds(p, SeverityWarning, CodeHybridRelease, "spec.ocs.version") {
			t.Errorf("%s in hybrid: no HybridRelease warning: %+v", v, p.Findings)
		}
	}
}

// TestItem04InternalWebFQDNEqualsExternal: one FQDN for the internal and the external web
// services is an Error (DOMAIN.md §3.1; Topology Builder refuses it), for the pool and the Director.
func TestItem04InternalWebFQDNEqualsExternal(t *testing.T) {
	pool := sfbSpec(v1alpha1.SfB2019)
	pool.OCS.ExternalWebFQDN = "webint.contoso.com"
	director := sfbSpec(v1alpha1.SfB2019)
	director.OCS.Director.ExternalWebFQDN = "dir01.contoso.com"
	for path, s := range map[string]*v1alpha1.UCDeploymentSpec{"spec.ocs.externalWebFQDN": pool, "spec.ocs.director.externalWebFQDN": director} {
		if p := Compute("c", s); !finds(p, SeverityError, CodeWebFQDNInternalEqualsExternal, path) {
			t.Errorf("want WebFQDNInternalEqualsExternal at %s, got %+v", path, p.Findings)
		}
	}
	if p := Compute("c", sfbSpec(v1alpha1.SfB2019)); hasCode(p, SeverityError, CodeWebFQDNInternalEqualsExternal) {
		t.Errorf("distinct web FQDNs refused: %+v", p.Findings)
	}
}

// TestItem05NamesThatLoseTheirRecords: an Edge without a reverse proxy is a Warning naming
// spec.ocs.reverseProxy and the names it leaves unpublished (DOMAIN.md §3.3); a planned name
// whose address field is empty is a Warning naming that field, not only SRV/MX/CNAME targets.
func TestItem05NamesThatLoseTheirRecords(t *testing.T) {
	s := sfbSpec(v1alpha1.SfB2019)
	s.OCS.ReverseProxy = nil
	p := Compute("c", s)
	if !finds(p, SeverityWarning, CodeEdgeWithoutReverseProxy, "spec.ocs.reverseProxy") {
		t.Fatalf("no EdgeWithoutReverseProxy: %+v", p.Findings)
	}
	for _, f := range p.Findings {
		if f.Code == CodeEdgeWithoutReverseProxy {
			for _, n := range []string{"meet.contoso.com", "dialin.contoso.com", "lyncdiscover.fabrikam.com", "webext.contoso.com"} {
				if !strings.Contains(f.Message, n) {
					t.Errorf("the finding does not name %s: %s", n, f.Message)
				}
			}
		}
		if f.Code == CodeNameWithoutAddress && strings.HasPrefix(f.Path, "spec.ocs.reverseProxy") {
			t.Errorf("the missing reverse proxy is reported twice: %+v", f)
		}
	}

	s = sfbSpec(v1alpha1.SfB2019)
	s.OCS.PoolIP = ""
	p = Compute("c", s)
	var msg string
	for _, f := range p.Findings {
		if f.Code == CodeNameWithoutAddress && f.Path == "spec.ocs.poolIP" && f.Severity == SeverityWarning {
			msg = f.Message
		}
	}
	for _, n := range []string{"webint.contoso.com", "meet.contoso.com", "dialin.contoso.com"} {
		if !strings.Contains(msg, n) {
			t.Errorf("NameWithoutAddress at spec.ocs.poolIP does not name %s: %q (findings %+v)", n, msg, p.Findings)
		}
	}
	if p := Compute("c", sfbSpec(v1alpha1.SfB2019)); hasCode(p, SeverityWarning, CodeNameWithoutAddress) {
		t.Errorf("a design with every address reports NameWithoutAddress: %+v", p.Findings)
	}
}

// TestItem06KeysTheProductCannotUse: ECDSA is an Error for Exchange 2013 and a Warning for 2016
// and later (the April 2024 setting override); an ECDSA OAuthTokenIssuer certificate on Skype for
// Business is an Error (R-SFB-05); RSA under 2048 bits is an Error with a public certificate
// (V27, S-CABF-BR) and a Warning for internal certificates only.
func TestItem06KeysTheProductCannotUse(t *testing.T) {
	const algo, size = "spec.certificates.privateKey.algorithm", "spec.certificates.privateKey.size"
	exchange := func(v v1alpha1.ExchangeVersion, key v1alpha1.PrivateKeySpec) *v1alpha1.UCDeploymentSpec {
		return &v1alpha1.UCDeploymentSpec{
			Exchange:     &v1alpha1.ExchangeSpec{Version: v, SMTPDomains: []v1alpha1.FQDN{"contoso.com"}, ExternalFQDN: "mail.contoso.com", ExternalIP: "131.107.155.50", InternalIP: "10.0.0.20"},
			Certificates: v1alpha1.CertificatesSpec{PublicIssuerRef: &v1alpha1.IssuerRef{Name: "public"}, PrivateKey: key},
		}
	}
	ecdsa := v1alpha1.PrivateKeySpec{Algorithm: "ECDSA"}
	internalOnly := sfbSpec(v1alpha1.SfB2019)
	internalOnly.OCS.Edge, internalOnly.OCS.ReverseProxy = nil, nil
	internalOnly.Certificates.PrivateKey.Size = 1024
	sfbECDSA := sfbSpec(v1alpha1.SfB2019)
	sfbECDSA.Certificates.PrivateKey = ecdsa
	for _, tc := range []struct {
		name     string
		spec     *v1alpha1.UCDeploymentSpec
		severity Severity
		code     string
		path     string
	}{
		{"ECDSA on Exchange 2013", exchange(v1alpha1.Exchange2013, ecdsa), SeverityError, CodeKeyAlgorithmUnsupported, algo},
		{"ECDSA on Exchange 2016", exchange(v1alpha1.Exchange2016, ecdsa), SeverityWarning, CodeKeyAlgorithmUnsupported, algo},
		{"ECDSA on Exchange SE", exchange(v1alpha1.ExchangeSE, ecdsa), SeverityWarning, CodeKeyAlgorithmUnsupported, algo},
		{"ECDSA OAuth certificate on SfB 2019", sfbECDSA, SeverityError, CodeKeyAlgorithmUnsupported, algo},
		{"RSA 1024 on a public certificate", exchange(v1alpha1.Exchange2019, v1alpha1.PrivateKeySpec{Algorithm: "RSA", Size: 1024}), SeverityError, CodeWeakKey, size},
		{"RSA 1024 on internal certificates only", internalOnly, SeverityWarning, CodeWeakKey, size},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if p := Compute("c", tc.spec); !finds(p, tc.severity, tc.code, tc.path) {
				t.Errorf("want %s %s at %s, got %+v", tc.severity, tc.code, tc.path, p.Findings)
			}
		})
	}
	if p := Compute("c", exchange(v1alpha1.Exchange2016, ecdsa)); p.HasErrors() {
		t.Errorf("ECDSA on Exchange 2016 is refused: %+v", p.Findings)
	}
}

// TestItem07PFXProfileTheServersCannotImport: pkcs12.oldestWindows 2019 or later gives AES-256
// PFX files (Modern2023), which Windows Server 2016 and older cannot import (R-K8S-01,
// DOMAIN-CURRENT.md §4.3): an Error naming the field and the product when a planned product runs
// on no Windows that new (Lync 2013, Exchange 2013/2016, SfB 2015); none for 2016 (3DES) or for
// products whose newest Windows is not known (SfB 2019, Exchange 2019).
func TestItem07PFXProfileTheServersCannotImport(t *testing.T) {
	const path = "spec.certificates.pkcs12.oldestWindows"
	withPFX := func(s *v1alpha1.UCDeploymentSpec, oldest v1alpha1.WindowsVersion) *v1alpha1.UCDeploymentSpec {
		s.Certificates.PKCS12 = &v1alpha1.PKCS12Spec{PasswordSecretRef: v1alpha1.SecretKeyRef{Name: "pfx", Key: "password"}, OldestWindows: oldest}
		return s
	}
	exchange := func(v v1alpha1.ExchangeVersion) *v1alpha1.UCDeploymentSpec {
		s := sfbSpec(v1alpha1.SfB2019)
		s.Exchange = &v1alpha1.ExchangeSpec{Version: v, ExternalFQDN: "mail.contoso.com", ExternalIP: "131.107.155.50", InternalIP: "10.0.0.20"}
		return s
	}
	for _, tc := range []struct {
		name    string
		spec    *v1alpha1.UCDeploymentSpec
		product string // "" when no Error is due
	}{
		{"Lync 2013, 2019", withPFX(sfbSpec(v1alpha1.Lync2013), v1alpha1.WindowsServer2019), "Lync2013"},
		{"SfB 2015, 2022", withPFX(sfbSpec(v1alpha1.SfB2015), v1alpha1.WindowsServer2022), "SfB2015"},
		{"Exchange 2016 next to SfB 2019, 2019", withPFX(exchange(v1alpha1.Exchange2016), v1alpha1.WindowsServer2019), "Exchange 2016"},
		{"Exchange 2013, 2025", withPFX(exchange(v1alpha1.Exchange2013), v1alpha1.WindowsServer2025), "Exchange 2013"},
		{"Office Online Server, 2025", withPFX(sfbSpec(v1alpha1.SfB2019), v1alpha1.WindowsServer2025), "Office Online Server"},
		{"Lync 2013, 2016 (3DES)", withPFX(sfbSpec(v1alpha1.Lync2013), v1alpha1.WindowsServer2016), ""},
		{"SfB 2019 and Exchange 2019, 2022", withPFX(exchange(v1alpha1.Exchange2019), v1alpha1.WindowsServer2022), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Compute("c", tc.spec)
			var msg string
			for _, f := range p.Findings {
				if f.Code == CodePKCS12ProfileUnreadable && f.Severity == SeverityError && f.Path == path {
					msg = f.Message
				}
			}
			switch {
			case tc.product == "" && msg != "":
				t.Errorf("unexpected Error: %s", msg)
			case tc.product != "" && !strings.Contains(msg, tc.product+" (Windows Server"):
				t.Errorf("want an Error naming %s at %s, got %q (findings %+v)", tc.product, path, msg, p.Findings)
			}
		})
	}
}

// TestItem02HybridTransportAcrossRenewals: a hybrid Exchange plan warns that mail flow is bound to
// the issuer and subject a renewal can change (R-EX-05); a plan without hybrid does not; and the
// public Exchange certificate is bound for IIS and SMTP only, never as the Exchange Auth
// (Federation) certificate (R-EX-11; the install script refuses it too).
func TestItem02HybridTransportAcrossRenewals(t *testing.T) {
	s := &v1alpha1.UCDeploymentSpec{
		Exchange:     &v1alpha1.ExchangeSpec{Version: v1alpha1.ExchangeSE, SMTPDomains: []v1alpha1.FQDN{"contoso.com"}, ExternalFQDN: "mail.contoso.com", ExternalIP: "131.107.155.50", InternalIP: "10.0.0.20", Hybrid: true},
		Certificates: v1alpha1.CertificatesSpec{PublicIssuerRef: &v1alpha1.IssuerRef{Name: "public"}},
	}
	p := Compute("c", s)
	if !finds(p, SeverityWarning, CodeHybridTransportRenewal, "spec.exchange.hybrid") {
		t.Errorf("no HybridTransportRenewal: %+v", p.Findings)
	}
	if services := cert(t, p, RoleExchange).Services; !slices.Equal(services, []string{"IIS", "SMTP"}) {
		t.Errorf("the public Exchange certificate is bound for %v, want IIS and SMTP only (R-EX-11)", services)
	}
	s.Exchange.Hybrid = false
	if p := Compute("c", s); hasCode(p, SeverityWarning, CodeHybridTransportRenewal) {
		t.Errorf("HybridTransportRenewal without hybrid: %+v", p.Findings)
	}
}

// picDesign is the SfB 2019 design with public IM connectivity, its public CA named by CAA.
func picDesign(caaIssuer v1alpha1.FQDN) *v1alpha1.UCDeploymentSpec {
	s := sfbSpec(v1alpha1.SfB2019)
	s.OCS.Edge.PublicIMConnectivity = true
	if caaIssuer != "" {
		s.DNS.CAA = &v1alpha1.CAASpec{Issuer: caaIssuer}
	}
	return s
}

// TestItem14PublicIMConnectivityIn2026: public IM connectivity has no partner left: a Warning.
func TestItem14PublicIMConnectivityIn2026(t *testing.T) {
	if p := Compute("c", picDesign("")); !finds(p, SeverityWarning, CodePublicIMConnectivityEnded, "spec.ocs.edge.publicIMConnectivity") {
		t.Errorf("no PublicIMConnectivityEnded: %+v", p.Findings)
	}
	if p := Compute("c", sfbSpec(v1alpha1.SfB2019)); hasCode(p, SeverityWarning, CodePublicIMConnectivityEnded) {
		t.Errorf("PublicIMConnectivityEnded without public IM connectivity: %+v", p.Findings)
	}
}

// TestItem15ClientAuthByCA (R-PKI-10): asking for clientAuth is an Error with Google Trust
// Services, a Warning naming the date or the outcome with Let's Encrypt, DigiCert and Sectigo; the
// planned usages leave clientAuth out where the CA refuses it (Let's Encrypt, Google); Exchange
// hybrid SMTP gets the Warning too.
func TestItem15ClientAuthByCA(t *testing.T) {
	const path = "spec.ocs.edge.publicIMConnectivity"
	for _, tc := range []struct {
		issuer     v1alpha1.FQDN
		severity   Severity
		says       string
		clientAuth bool // the planned Edge certificate keeps "client auth"
	}{
		{"pki.goog", SeverityError, "badCSR", false},
		{"letsencrypt.org", SeverityWarning, "2026-02-11", false},
		{"digicert.com", SeverityWarning, "2027-03-01", true},
		{"sectigo.com", SeverityWarning, "2027-02-10", true},
	} {
		t.Run(string(tc.issuer), func(t *testing.T) {
			p := Compute("c", picDesign(tc.issuer))
			var msg string
			for _, f := range p.Findings {
				if f.Code == CodeClientAuthUnavailable && f.Severity == tc.severity && f.Path == path && f.Rule == "R-PKI-10" {
					msg = f.Message
				}
			}
			if !strings.Contains(msg, tc.says) {
				t.Errorf("want a %s ClientAuthUnavailable saying %q, got %q (%+v)", tc.severity, tc.says, msg, p.Findings)
			}
			if got := slices.Contains(cert(t, p, RoleEdgeExternal).Usages, "client auth"); got != tc.clientAuth {
				t.Errorf("client auth in the planned usages: %v, want %v", got, tc.clientAuth)
			}
		})
	}
	s := picDesign("letsencrypt.org")
	s.OCS.Edge.PublicIMConnectivity = false
	s.Exchange = &v1alpha1.ExchangeSpec{Version: v1alpha1.ExchangeSE, ExternalFQDN: "mail.contoso.com", ExternalIP: "131.107.155.50", InternalIP: "10.0.0.20", Hybrid: true}
	if p := Compute("c", s); !finds(p, SeverityWarning, CodeClientAuthUnavailable, "spec.exchange.hybrid") {
		t.Errorf("no ClientAuthUnavailable for Exchange hybrid SMTP: %+v", p.Findings)
	}
}

// TestItem20Smaller: the Outlook Anywhere principal finding is Info from Exchange 2016 on (MAPI
// over HTTP) and a Warning before; the keystore profile is in the plan (R-K8S-01);
// exchange.additionalNames get a note that no record is planned; the SIP-domain simple URL
// finding proposes a host of its own kind (dialin.<domain> for Dialin, not meet.).
func TestItem20Smaller(t *testing.T) {
	seed := func(v v1alpha1.ExchangeVersion) *v1alpha1.UCDeploymentSpec {
		s := sfbSpec(v1alpha1.SfB2019)
		s.Certificates.Strategy = v1alpha1.Unified
		s.Exchange = &v1alpha1.ExchangeSpec{Version: v, ExternalFQDN: "mail.contoso.com", ExternalIP: "131.107.155.50", InternalIP: "10.0.0.20",
			AdditionalNames: []v1alpha1.DNSName{"imap.contoso.com", "*.contoso.com"}}
		return s
	}
	for v, severity := range map[v1alpha1.ExchangeVersion]Severity{v1alpha1.Exchange2013: SeverityWarning, v1alpha1.Exchange2016: SeverityInfo, v1alpha1.ExchangeSE: SeverityInfo} {
		if p := Compute("c", seed(v)); !finds(p, severity, CodeOutlookAnywherePrincipalName, "spec.certificates.strategy") {
			t.Errorf("Exchange %s: want OutlookAnywherePrincipalName at %s, got %+v", v, severity, p.Findings)
		}
	}
	s := seed(v1alpha1.ExchangeSE)
	s.Certificates.Strategy = v1alpha1.PerRole // the wildcard stays off the Edge names (V4)
	var note string
	for _, f := range Compute("c", s).Findings {
		if f.Code == CodeAdditionalNamesNotPublished {
			note = f.Message
		}
	}
	if !strings.HasPrefix(note, "imap.contoso.com is on the Exchange certificate") {
		t.Errorf("AdditionalNamesNotPublished: %q, want imap.contoso.com only (a wildcard needs no record)", note)
	}
	if p := Compute("c", s); !finds(p, SeverityInfo, CodeAdditionalNamesNotPublished, "spec.exchange.additionalNames") || p.KeystoreProfile != "" {
		t.Errorf("no AdditionalNamesNotPublished, or a keystore profile without pkcs12 (%q): %+v", p.KeystoreProfile, p.Findings)
	}
	for oldest, want := range map[v1alpha1.WindowsVersion]string{"": "LegacyDES", v1alpha1.WindowsServer2016: "LegacyDES", v1alpha1.WindowsServer2022: "Modern2023"} {
		s.Certificates.PKCS12 = &v1alpha1.PKCS12Spec{PasswordSecretRef: v1alpha1.SecretKeyRef{Name: "pfx", Key: "password"}, OldestWindows: oldest}
		if got := Compute("c", s).KeystoreProfile; got != want {
			t.Errorf("oldestWindows %q: keystore profile %q, want %q", oldest, got, want)
		}
	}
	s = sfbSpec(v1alpha1.SfB2019)
	s.OCS.SimpleURLs = &v1alpha1.SimpleURLsSpec{Dialin: "fabrikam.com"}
	var msg string
	for _, f := range Compute("c", s).Findings {
		if f.Code == CodeSimpleURLInvalid && f.Path == "spec.ocs.simpleURLs.dialin" {
			msg = f.Message
		}
	}
	if !strings.Contains(msg, "the dialin simple URL host fabrikam.com") || !strings.HasSuffix(msg, "use dialin.fabrikam.com") {
		t.Errorf("Dial-in finding: %q", msg)
	}
}

// TestItem10OfficeOnlineWithoutExternalURL (R-SFB-10): with an Edge (external users) and no
// external URL, the Office Online Server farm is a Warning; with the URL, or without an Edge, none.
func TestItem10OfficeOnlineWithoutExternalURL(t *testing.T) {
	s := sfbSpec(v1alpha1.SfB2019)
	s.OCS.OfficeOnlineServer.ExternalFQDN = ""
	if p := Compute("c", s); !finds(p, SeverityWarning, CodeOfficeOnlineWithoutExternalURL, "spec.ocs.officeOnlineServer.externalFQDN") {
		t.Errorf("no OfficeOnlineWithoutExternalURL: %+v", p.Findings)
	}
	s.OCS.Edge = nil
	if p := Compute("c", s); hasCode(p, SeverityWarning, CodeOfficeOnlineWithoutExternalURL) {
		t.Errorf("OfficeOnlineWithoutExternalURL without external users: %+v", p.Findings)
	}
	if p := Compute("c", sfbSpec(v1alpha1.SfB2019)); hasCode(p, SeverityWarning, CodeOfficeOnlineWithoutExternalURL) {
		t.Errorf("OfficeOnlineWithoutExternalURL with an external URL: %+v", p.Findings)
	}
}

// TestItem08HybridDNS (DOMAIN-CURRENT.md §1.6, R-SFB-11): in hybrid mode a tenant's online-only
// SIP domain gets Microsoft's four online records (not *.onmicrosoft.com), the deployment's own
// SIP domains keep pointing on premises, and the Web Conferencing Edge FQDN resolves inside.
func TestItem08HybridDNS(t *testing.T) {
	s := sfbSpec(v1alpha1.SfB2019)
	s.OCS.Hybrid = &v1alpha1.SfBHybridSpec{Mode: v1alpha1.Hybrid, OnlineSIPDomains: []v1alpha1.FQDN{"contoso.co.uk", "contoso.com", "contoso.onmicrosoft.com"}}
	p := Compute("c", s)
	for _, r := range []Record{
		{View: ViewExternal, Name: "_sipfederationtls._tcp.contoso.co.uk", Type: "SRV", Data: "100 1 5061 sipfed.online.lync.com."},
		{View: ViewExternal, Name: "_sip._tls.contoso.co.uk", Type: "SRV", Data: "100 1 443 sipdir.online.lync.com."},
		{View: ViewExternal, Name: "lyncdiscover.contoso.co.uk", Type: "CNAME", Data: "webdir.online.lync.com."},
		{View: ViewExternal, Name: "sip.contoso.co.uk", Type: "CNAME", Data: "sipdir.online.lync.com."},
		{View: ViewExternal, Name: "_sipfederationtls._tcp.contoso.com", Type: "SRV", Data: "0 0 5061 sip.contoso.com."},
		{View: ViewInternal, Name: "webconf.contoso.com", Type: "A", Data: "131.107.155.20"},
	} {
		if !hasRecord(p, r.View, r.Name, r.Type, r.Data) {
			t.Errorf("no %s %s %s %s", r.View, r.Name, r.Type, r.Data)
		}
	}
	for _, r := range p.DNSRecords {
		if strings.Contains(r.Name, "onmicrosoft.com") || (r.Name == "_sip._tls.contoso.com" && strings.Contains(r.Data, onlineLyncDomain)) {
			t.Errorf("unexpected record %+v", r)
		}
	}
	if p.HasErrors() {
		t.Errorf("errors: %+v", p.Findings)
	}
	s.OCS.Hybrid.Mode = v1alpha1.OnPremises
	if hasRecord(Compute("c", s), ViewInternal, "webconf.contoso.com", "A", "131.107.155.20") {
		t.Error("the Web Conferencing Edge resolves inside without hybrid")
	}
}

// TestItem17ShortLivedWithoutAgent (R-PKI-12): no agent installs certificates yet, so the 6-day
// shortlived profile is an Error for every public certificate, the 45-day tlsserver profile a
// Warning, classic nothing.
func TestItem17ShortLivedWithoutAgent(t *testing.T) {
	const path = "spec.certificates.publicIssuerRef"
	for profile, severity := range map[string]Severity{ACMEProfileShortLived: SeverityError, ACMEProfileTLSServer: SeverityWarning} {
		if p := Compute("c", sfbSpec(v1alpha1.SfB2019), PublicACME(profile)); !finds(p, severity, CodeACMELifetimeWithoutAgent, path) {
			t.Errorf("%s: want %s ACMELifetimeWithoutAgent, got %+v", profile, severity, p.Findings)
		}
	}
	p := Compute("c", sfbSpec(v1alpha1.SfB2019), PublicACME(ACMEProfileClassic))
	if hasCode(p, SeverityError, CodeACMELifetimeWithoutAgent) || hasCode(p, SeverityWarning, CodeACMELifetimeWithoutAgent) {
		t.Errorf("classic profile: %+v", p.Findings)
	}
}

// TestItem09InternalZones: with spec.dns.zones listing only contoso.com, the service records of
// fabrikam.com are reported (RecordOutsideZones) and planned in fabrikam.com outside (in a
// pin-point zone of their own name inside), never in a pseudo-zone such as _tcp.fabrikam.com or
// _tls.fabrikam.com, which no DNS server loads; an SMTP
// domain whose zone the internal view holds gets its internal autodiscover record.
func TestItem09InternalZones(t *testing.T) {
	s := sfbSpec(v1alpha1.SfB2019)
	s.DNS.Zones = []v1alpha1.FQDN{"contoso.com"}
	p := Compute("c", s)
	if !finds(p, SeverityWarning, CodeRecordOutsideZones, "spec.dns.zones") {
		t.Errorf("no RecordOutsideZones: %+v", p.Findings)
	}
	var found bool
	for _, r := range p.DNSRecords {
		if strings.HasPrefix(r.Zone, "_") && r.Zone != r.Name {
			t.Errorf("record %s in the pseudo-zone %s", r.Name, r.Zone)
		}
		if r.Name == "_sipfederationtls._tcp.fabrikam.com" {
			found = r.Zone == "fabrikam.com"
		}
	}
	if !found {
		t.Error("_sipfederationtls._tcp.fabrikam.com is not planned in fabrikam.com")
	}
	s = sfbSpec(v1alpha1.SfB2019)
	s.Exchange = &v1alpha1.ExchangeSpec{Version: v1alpha1.ExchangeSE, ExternalFQDN: "mail.contoso.com", ExternalIP: "131.107.155.50", InternalIP: "10.0.0.20"}
	if !hasRecord(Compute("c", s), ViewInternal, "autodiscover.fabrikam.com", "CNAME", "mail.contoso.com.") {
		t.Error("fabrikam.com, an internal zone, has no internal autodiscover record")
	}
}

// TestItem09ForeignSimpleURLDomain (issue 26 item 9, DOMAIN.md §3.4 pin-point zones,
// S-SFB-ADVDNS): a Dialin simple URL in a domain of its own (conf-contoso.net, which holds nothing
// else of the deployment) does not make conf-contoso.net an internal zone, which would hide
// www.conf-contoso.net and every other public name of the domain from internal users: inside it
// is a pin-point zone of its own name, outside it stays in conf-contoso.net, and the plan says so
// (PinPointZones, Info). With dns.zones listed, RecordOutsideZones reports it instead.
func TestItem09ForeignSimpleURLDomain(t *testing.T) {
	const dialin = "dialin.conf-contoso.net"
	s := sfbSpec(v1alpha1.SfB2019)
	s.OCS.SimpleURLs = &v1alpha1.SimpleURLsSpec{Dialin: dialin}
	p := Compute("c", s)
	zones := map[View]string{}
	for _, r := range p.DNSRecords {
		if r.Name == dialin {
			zones[r.View] = r.Zone
		}
		if r.View == ViewInternal && r.Zone == "conf-contoso.net" {
			t.Errorf("the internal view holds conf-contoso.net (%s %s), hiding its public names", r.Name, r.Type)
		}
	}
	if zones[ViewInternal] != dialin || zones[ViewExternal] != "conf-contoso.net" {
		t.Errorf("%s is in zone %q inside and %q outside, want the pin-point zone %[1]s and conf-contoso.net", dialin, zones[ViewInternal], zones[ViewExternal])
	}
	f := findingsOf(p, CodePinPointZones)
	if len(f) != 1 || f[0].Severity != SeverityInfo || !strings.Contains(f[0].Message, dialin) {
		t.Errorf("want one Info PinPointZones naming %s, got %+v", dialin, f)
	}
	s.DNS.Zones = []v1alpha1.FQDN{"contoso.com", "fabrikam.com"}
	p = Compute("c", s)
	if len(findingsOf(p, CodePinPointZones)) != 0 || !finds(p, SeverityWarning, CodeRecordOutsideZones, "spec.dns.zones") {
		t.Errorf("with dns.zones listed, want RecordOutsideZones and no PinPointZones: %v", codes(p, SeverityWarning))
	}
	if !hasRecord(p, ViewInternal, dialin, "A", "10.0.0.10") {
		t.Errorf("the internal %s record is gone", dialin)
	}
}

// findingsOf returns p's findings of code.
func findingsOf(p Plan, code string) []Finding {
	var out []Finding
	for _, f := range p.Findings {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

// TestItem16CAAAccountURI (issue 26 item 16, R-PKI-11): with the public ACME issuer's account
// (ACMEAccount, from its status.acme.uri), the CAA records carry accounturi= and, when every
// solver is DNS-01, validationmethods=dns-01; what spec.dns.caa sets wins, and an account there
// that differs from the issuer's is a Warning (CAAAccountMismatch). A URI a CAA value cannot hold
// is left out.
func TestItem16CAAAccountURI(t *testing.T) {
	const account = "https://acme-v02.api.letsencrypt.org/acme/acct/123456"
	issue := func(value string) string { return `0 issue "` + value + `"` }
	for _, tc := range []struct {
		name     string
		caa      v1alpha1.CAASpec
		opts     []Option
		want     string
		mismatch bool
	}{
		{"no account given", v1alpha1.CAASpec{Issuer: "letsencrypt.org"}, nil, issue("letsencrypt.org"), false},
		{"the issuer's account, DNS-01 only", v1alpha1.CAASpec{Issuer: "letsencrypt.org"}, []Option{ACMEAccount(account), ACMESolvers(true, true)},
			issue("letsencrypt.org; accounturi=" + account + "; validationmethods=dns-01"), false},
		{"the issuer's account, other solvers too", v1alpha1.CAASpec{Issuer: "letsencrypt.org"}, []Option{ACMEAccount(account), ACMESolvers(false, false)},
			issue("letsencrypt.org; accounturi=" + account), false},
		{"the spec's methods win", v1alpha1.CAASpec{Issuer: "letsencrypt.org", ValidationMethods: []v1alpha1.ACMEChallenge{"http-01"}},
			[]Option{ACMEAccount(account), ACMESolvers(true, true)}, issue("letsencrypt.org; accounturi=" + account + "; validationmethods=http-01"), false},
		{"the spec's account wins, and differs", v1alpha1.CAASpec{Issuer: "letsencrypt.org", AccountURI: "https://acme.example/acct/9"},
			[]Option{ACMEAccount(account), ACMESolvers(false, false)}, issue("letsencrypt.org; accounturi=https://acme.example/acct/9"), true},
		{"a URI a CAA value cannot hold", v1alpha1.CAASpec{Issuer: "letsencrypt.org"}, []Option{ACMEAccount(`https://acme.example/a"; issue "evil.example`)},
			issue("letsencrypt.org"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sfbSpec(v1alpha1.SfB2019)
			s.DNS.CAA = &tc.caa
			p := Compute("c", s, tc.opts...)
			if !hasRecord(p, ViewExternal, "contoso.com", "CAA", tc.want) {
				t.Errorf("no CAA record %s; records: %+v", tc.want, recordsOfType(p, "CAA"))
			}
			if got := finds(p, SeverityWarning, CodeCAAAccountMismatch, "spec.dns.caa.accountURI"); got != tc.mismatch {
				t.Errorf("CAAAccountMismatch %v, want %v", got, tc.mismatch)
			}
		})
	}
}

// recordsOfType returns p's records of type typ.
func recordsOfType(p Plan, typ string) []Record {
	var out []Record
	for _, r := range p.DNSRecords {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// TestItem18ACMEChallengeDelegation (issue 26 item 18, R-PKI-13, DOMAIN-CURRENT.md §3.5): with
// spec.dns.acmeChallengeDelegation the external view publishes _acme-challenge.<name> CNAME
// <name>.<zone>. for every name of a public certificate (a wildcard as its base name), in the
// zone of that name, and nothing inside; without it, no challenge record. A target longer than a
// domain name is an Error; a delegation without a public certificate a Warning.
func TestItem18ACMEChallengeDelegation(t *testing.T) {
	const zone = "acme.contoso-dns.net"
	s := sfbSpec(v1alpha1.SfB2019)
	s.OCS.SimpleURLs = &v1alpha1.SimpleURLsSpec{Dialin: "dialin.conf-contoso.net"}
	s.DNS.ACMEChallengeDelegation = zone
	p := Compute("c", s)
	public := publicNames(p)
	if !public["sip.fabrikam.com"] || !public["dialin.conf-contoso.net"] {
		t.Fatalf("the design's public names are not what the test expects: %v", public)
	}
	zoneOf := map[string]string{}
	for _, r := range p.DNSRecords {
		if r.View == ViewExternal {
			zoneOf[r.Name] = r.Zone
		}
	}
	var challenges int
	for _, r := range p.DNSRecords {
		n, ok := strings.CutPrefix(r.Name, "_acme-challenge.")
		if !ok {
			continue
		}
		challenges++
		switch {
		case r.View != ViewExternal:
			t.Errorf("%s is in the %s view", r.Name, r.View)
		case !public[n]:
			t.Errorf("%s: %s is on no public certificate", r.Name, n)
		case r.Type != "CNAME" || r.Data != n+"."+zone+".":
			t.Errorf("%s %s %s, want CNAME %s.%s.", r.Name, r.Type, r.Data, n, zone)
		case zoneOf[n] != "" && r.Zone != zoneOf[n]:
			t.Errorf("%s is in zone %s, %s in %s", r.Name, r.Zone, n, zoneOf[n])
		}
	}
	if challenges != len(public) {
		t.Errorf("%d challenge records for %d public names", challenges, len(public))
	}
	if finds(p, SeverityError, CodeACMEChallengeDelegation, "spec.dns.acmeChallengeDelegation") {
		t.Errorf("an Error for a valid delegation: %v", codes(p, SeverityError))
	}

	if finds(p, SeverityWarning, CodeRecordTargetWithoutAddress, "spec.dns.acmeChallengeDelegation") {
		t.Error("the challenge CNAMEs' targets are reported without an address; the solver writes TXT records there")
	}
	for follows, want := range map[bool]bool{true: false, false: true} {
		p := Compute("c", s, ACMESolvers(true, follows))
		if got := finds(p, SeverityWarning, CodeACMEChallengeDelegation, "spec.dns.acmeChallengeDelegation"); got != want {
			t.Errorf("a DNS-01 solver that follows CNAMEs %v: Warning %v, want %v", follows, got, want)
		}
	}
	s.DNS.ACMEChallengeDelegation = v1alpha1.FQDN(strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 50) + ".net")
	if p := Compute("c", s); !finds(p, SeverityError, CodeACMEChallengeDelegation, "spec.dns.acmeChallengeDelegation") {
		t.Errorf("no Error for targets longer than 253 characters: %v", codes(p, SeverityError))
	}
	s.DNS.ACMEChallengeDelegation = ""
	for _, r := range Compute("c", s).DNSRecords {
		if strings.HasPrefix(r.Name, "_acme-challenge.") {
			t.Errorf("%s without acmeChallengeDelegation", r.Name)
		}
	}
	// Internal certificates only: no Edge, reverse proxy, Director web or Office Online outside.
	s = sfbSpec(v1alpha1.SfB2019)
	s.OCS.Edge, s.OCS.ReverseProxy, s.OCS.Director, s.OCS.OfficeOnlineServer = nil, nil, nil, nil
	s.Certificates.PublicIssuerRef = nil
	s.DNS.ACMEChallengeDelegation = zone
	p = Compute("c", s)
	if len(publicNames(p)) != 0 {
		t.Fatalf("the internal-only design has public names: %v", publicNames(p))
	}
	if !finds(p, SeverityWarning, CodeACMEChallengeDelegation, "spec.dns.acmeChallengeDelegation") {
		t.Errorf("no Warning for a delegation without public certificates: %v", codes(p, SeverityWarning))
	}
}

// publicNames are the names of p's public certificates, wildcards as their base names.
func publicNames(p Plan) map[string]bool {
	out := map[string]bool{}
	for _, c := range p.Certificates {
		if c.Issuer == IssuerPublic {
			for _, n := range c.DNSNames {
				out[strings.TrimPrefix(n, "*.")] = true
			}
		}
	}
	return out
}

// TestItem11SingleIPEdge (issue 26 item 11, V30, DOMAIN.md §3.5): a Skype for Business 2019 Edge
// whose three services share one address, Access on 5061 (spec.ocs.edge.accessPort), Web
// Conferencing on 444 and A/V on 443, plans without Errors: _sip._tls points at 5061, the plan
// warns that it is not recommended (SingleIPEdge), and no finding gives the OCS-era advice (the
// seed's design). With the Access Edge left on 443 the ports collide and the Error suggests the
// single-IP ports; OCS 2007 R2 keeps its own advice and gets no V30 Warning.
func TestItem11SingleIPEdge(t *testing.T) {
	const ip = "131.107.155.10"
	s := sfbSpec(v1alpha1.SfB2019)
	e := s.OCS.Edge
	e.WebConferencingIP, e.AVIP, e.AccessPort, e.WebConferencingPort = ip, ip, 5061, 444
	p := Compute("c", s)
	if p.HasErrors() {
		t.Fatalf("errors: %v", codes(p, SeverityError))
	}
	if !finds(p, SeverityWarning, CodeSingleIPEdge, "spec.ocs.edge.avIP") {
		t.Errorf("no SingleIPEdge Warning: %v", codes(p, SeverityWarning))
	}
	for _, d := range []string{"contoso.com", "fabrikam.com"} {
		if !hasRecord(p, ViewExternal, "_sip._tls."+d, "SRV", "0 0 5061 sip."+d+".") {
			t.Errorf("_sip._tls.%s does not point at 5061: %+v", d, recordsOfType(p, "SRV"))
		}
	}
	for _, f := range p.Findings {
		if strings.Contains(f.Message, "seed") || f.Code == CodeEdgeNamesDifferOnSharedAddress {
			t.Errorf("OCS-era advice for Skype for Business 2019: %s %s", f.Code, f.Message)
		}
	}

	e.AccessPort = 443
	p = Compute("c", s)
	conflict := findingsOf(p, CodeEdgePortConflict)
	if len(conflict) == 0 || !strings.Contains(conflict[0].Message, "accessPort 5061, webConferencingPort 444") {
		t.Errorf("A/V and Access on 443 of one address: want the port conflict with the single-IP ports, got %+v", conflict)
	}

	s = sfbSpec(v1alpha1.OCS2007R2)
	e = s.OCS.Edge
	e.AVIP = e.AccessIP
	p = Compute("c", s)
	if len(findingsOf(p, CodeSingleIPEdge)) != 0 {
		t.Error("a V30 Warning for OCS 2007 R2")
	}
	for _, f := range findingsOf(p, CodeEdgePortConflict) {
		if strings.Contains(f.Message, "single-IP") {
			t.Errorf("single-IP advice for OCS 2007 R2: %s", f.Message)
		}
	}
	if len(findingsOf(p, CodeEdgePortConflict)) == 0 {
		t.Error("OCS 2007 R2 with the A/V Edge on the Access Edge's address: no port conflict")
	}
}
