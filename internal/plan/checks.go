package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// Finding codes. They are stable: tools and people match on them.
const (
	CodeInternalNameOnPublicCertificate   = "InternalNameOnPublicCertificate"
	CodeWildcardNotSupported              = "WildcardNotSupported"
	CodeStrictDNSNameMismatch             = "StrictDNSNameMismatch"
	CodeEdgePortConflict                  = "EdgePortConflict"
	CodeEdgeAddressConflict               = "EdgeAddressConflict"
	CodeAVAuthenticationPort              = "AVAuthenticationPort"
	CodeWebConferencingInternalPort       = "WebConferencingInternalPort"
	CodeSingleCertificateEdgeNames        = "SingleCertificateEdgeNames"
	CodeCASArrayOnCertificate             = "CASArrayOnCertificate"
	CodeSANPublishingUnsupported          = "SANPublishingUnsupported"
	CodeTooManySANs                       = "TooManySANs"
	CodeWeakKey                           = "WeakKey"
	CodeIssuerNotConfigured               = "IssuerNotConfigured"
	CodeCommonNameTooLong                 = "CommonNameTooLong"
	CodeGeneratedNameInvalid              = "GeneratedNameInvalid"
	CodeDNSRecordConflict                 = "DNSRecordConflict"
	CodeAutodiscoverSRVClients            = "AutodiscoverSRVClients"
	CodeFrontEndNamesNotOnPoolCertificate = "FrontEndNamesNotOnPoolCertificate"
	CodeCertificateSubjectConflict        = "CertificateSubjectConflict"
	CodeOutlookAnywherePrincipalName      = "OutlookAnywherePrincipalName"
	CodeKeyAlgorithmUnsupported           = "KeyAlgorithmUnsupported"
	CodeAccessEdgeNameNotSIP              = "AccessEdgeNameNotSIP"
	CodeEdgeNamesDifferOnSharedAddress    = "EdgeNamesDifferOnSharedAddress"
	CodeRecordTargetWithoutAddress        = "RecordTargetWithoutAddress"
	CodeLegacyNamespaceExternalOnly       = "LegacyNamespaceExternalOnly"
	CodeNameUnreachableInside             = "NameUnreachableInside"
	CodeRecordOutsideZones                = "RecordOutsideZones"
	CodePinPointZones                     = "PinPointZones"
	CodeCAAAccountMismatch                = "CAAAccountMismatch"
	CodeACMEChallengeDelegation           = "ACMEChallengeDelegation"
	CodeSingleIPEdge                      = "SingleIPEdge"
	CodeExchangeServerNames               = "ExchangeServerNames"
	CodeHybridCertificateNames            = "HybridCertificateNames"
	CodePublicCertificateValidity         = "PublicCertificateValidity"
	CodeACMENameLimit                     = "ACMENameLimit"
	CodeACMEProfileWithoutCommonName      = "ACMEProfileWithoutCommonName"
	CodeClientAuthUnavailable             = "ClientAuthUnavailable"
	CodeXMPPNotSupported                  = "XMPPNotSupported"
	CodeSimpleURLInvalid                  = "SimpleURLInvalid"
	CodeWebFQDNEqualsPoolFQDN             = "WebFQDNEqualsPoolFQDN"
	CodeDirectorWebFQDNConflict           = "DirectorWebFQDNConflict"
	CodeOAuthKeySize                      = "OAuthKeySize"
	CodeHybridWithoutFederation           = "HybridWithoutFederation"
	CodeHybridRelease                     = "HybridRelease"
	CodeWebFQDNInternalEqualsExternal     = "WebFQDNInternalEqualsExternal"
	CodeEdgeWithoutReverseProxy           = "EdgeWithoutReverseProxy"
	CodeNameWithoutAddress                = "NameWithoutAddress"
	CodePKCS12ProfileUnreadable           = "PKCS12ProfileUnreadable"
	CodeHybridTransportRenewal            = "HybridTransportRenewal"
	CodePublicIMConnectivityEnded         = "PublicIMConnectivityEnded"
	CodeAdditionalNamesNotPublished       = "AdditionalNamesNotPublished"
	CodeOfficeOnlineWithoutExternalURL    = "OfficeOnlineWithoutExternalURL"
	CodeACMELifetimeWithoutAgent          = "ACMELifetimeWithoutAgent"
	CodeDNSConfigMapTooLarge              = "DNSConfigMapTooLarge"
)

// draft is the plan under construction, as the checks see it.
type draft struct {
	in     *input
	groups []*group
	// duplicates are certificates left out because an earlier one has their subject: {kept, dropped}.
	duplicates [][2]*group
	dns        *recordSet
}

// check is one pure rule over the draft.
type check func(d *draft) []Finding

// checks are run in this order; the result is sorted afterwards.
var checks = []check{
	checkIssuers,
	checkPublicNames,
	checkWildcards,
	checkCommonNameLength,
	checkGeneratedNames,
	checkSANCount,
	checkStrictDNSNames,
	checkEdgePorts,
	checkEdgeAddresses,
	checkEdgeNamesOnSharedAddress,
	checkAccessEdgeName,
	checkAVAuthenticationPort,
	checkWebConferencingInternalPort,
	checkSingleCertificateEdgeNames,
	checkFrontEndNames,
	checkCASArray,
	checkPublishing,
	checkAutodiscoverSRV,
	checkKey,
	checkKeyAlgorithm,
	checkPublicValidity,
	checkACMENames,
	checkACMECommonName,
	checkClientAuth,
	checkCertificateSubjects,
	checkOutlookAnywhere,
	checkExchangeServerNames,
	checkHybridCertificateNames,
	checkRecordConflicts,
	checkRecordTargets,
	checkLegacyNamespace,
	checkUnreachableInside,
	checkRecordsOutsideZones,
	checkPinPointZones,
	checkCAAAccount,
	checkACMEChallengeDelegation,
	checkSingleIPEdge,
	checkXMPP,
	checkSimpleURLs,
	checkWebFQDN,
	checkDirectorWebFQDN,
	checkOAuthKeySize,
	checkSfBHybrid,
	checkWebFQDNInternalExternal,
	checkEdgeWithoutReverseProxy,
	checkNamesWithoutAddress,
	checkPKCS12Profile,
	checkHybridTransportRenewal,
	checkPublicIMConnectivity,
	checkAdditionalNames,
	checkOfficeOnlineExternalURL,
	checkACMELifetime,
}

func finding(severity Severity, code, path, rule, format string, args ...any) Finding {
	return Finding{Severity: severity, Code: code, Path: path, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// checkIssuers: every planned certificate needs the issuer of its class.
func checkIssuers(d *draft) []Finding {
	var out []Finding
	need := map[string]bool{}
	for _, g := range d.groups {
		need[g.issuer] = true
	}
	if need[IssuerPublic] && d.in.certs.PublicIssuerRef == nil {
		out = append(out, finding(SeverityError, CodeIssuerNotConfigured, "spec.certificates.publicIssuerRef", "§4",
			"the plan has public certificates but no public issuer: set certificates.publicIssuerRef to the cert-manager issuer of the public CA"))
	}
	if need[IssuerInternal] && d.in.certs.InternalIssuerRef == nil {
		out = append(out, finding(SeverityError, CodeIssuerNotConfigured, "spec.certificates.internalIssuerRef", "§4",
			"the plan has internal certificates but no internal issuer: set certificates.internalIssuerRef to the cert-manager issuer of the enterprise CA"))
	}
	return out
}

// checkPublicNames (V1): a public CA may not sign single-label names or names under a TLD that is
// not in the public root (.local, .corp, ...).
func checkPublicNames(d *draft) []Finding {
	var out []Finding
	for _, g := range d.groups {
		if g.issuer != IssuerPublic {
			continue
		}
		for _, n := range g.names.names {
			if !publiclyValid(n) {
				out = append(out, finding(SeverityError, CodeInternalNameOnPublicCertificate, g.names.paths[n], "V1",
					"%s would go on the public certificate %q, but public CAs may not sign internal names (single-label or a TLD outside the public root such as .local) since 1 Nov 2015: use a name in a public domain (split DNS)", n, g.role))
			}
		}
	}
	return out
}

// checkWildcards (V3, V4): OCS 2007 R2 supports no wildcard anywhere, Lync and Skype for Business
// only on some certificates (lyncWildcard); wildcards are fine on an Exchange-only certificate.
func checkWildcards(d *draft) []Finding {
	var out []Finding
	for _, g := range d.groups {
		if !g.ocs {
			continue
		}
		for _, n := range g.names.names {
			switch {
			case !isWildcard(n):
			case d.in.lync():
				out = append(out, lyncWildcard(d, g, n)...)
			default:
				out = append(out, finding(SeverityError, CodeWildcardNotSupported, g.names.paths[n], "V3",
					"%s would go on the %q certificate, which OCS 2007 R2 uses: OCS supports no wildcard names (services fail to start); list the names explicitly or use strategy PerRole so the wildcard stays on the Exchange certificate", n, g.role))
			}
		}
	}
	return out
}

// checkCommonNameLength: X.509 limits the subject CN to 64 characters (cert-manager rejects longer).
func checkCommonNameLength(d *draft) []Finding {
	var out []Finding
	for _, g := range d.groups {
		if len(g.commonName) > 64 {
			out = append(out, finding(SeverityError, CodeCommonNameTooLong, g.names.paths[g.commonName], "V6",
				"%s is %d characters; a certificate subject CN holds at most 64 (RFC 5280 ub-common-name)", g.commonName, len(g.commonName)))
		}
	}
	return out
}

// checkGeneratedNames: names the planner builds (sip.<domain>, download.<cwa>, ...) and object
// names derived from the deployment name must still be valid.
func checkGeneratedNames(d *draft) []Finding {
	var out []Finding
	seen := map[string]bool{}
	report := func(name, path, what string) {
		if seen[name] {
			return
		}
		seen[name] = true
		out = append(out, finding(SeverityError, CodeGeneratedNameInvalid, path, "RFC 1035",
			"the generated %s %q is not a valid DNS name (at most 253 characters, labels of 1-63): shorten the field", what, name))
	}
	for _, g := range d.groups {
		for _, n := range g.names.names {
			if !validDNSName(strings.TrimPrefix(n, "*.")) {
				report(n, g.names.paths[n], "certificate name")
			}
		}
		if obj := d.in.name + "-" + g.role + "-tls"; len(obj) > 253 {
			report(obj, "metadata.name", "object name")
		}
	}
	for _, r := range d.dns.records {
		if !validDNSName(r.Name) {
			report(r.Name, d.dns.origins[recordKey(r)].path, "record name")
		}
	}
	return out
}

// checkSANCount (V26): the public CA product's limit on names per certificate.
func checkSANCount(d *draft) []Finding {
	var out []Finding
	for _, g := range d.groups {
		if n := len(g.names.names); g.issuer == IssuerPublic && n > d.in.maxSANs() {
			out = append(out, finding(SeverityWarning, CodeTooManySANs, "spec.certificates.maxSANs", "V26",
				"the %q certificate has %d names, more than maxSANs %d allows: use strategy PerRole, fewer domains, or a CA product that allows more", g.role, n, d.in.maxSANs()))
		}
	}
	return out
}

// checkStrictDNSNames (V8): the client's strict DNS name matching (Communicator, Lync, Skype for
// Business) wants the sign-in SRV target inside the SIP domain. UNCERTAIN (Microsoft's own
// example crosses domains), so a warning.
func checkStrictDNSNames(d *draft) []Finding {
	if !d.in.automaticSignIn() {
		return nil
	}
	t := d.in.signInTarget()
	target, path := t.fqdn, t.fqdnPath
	var out []Finding
	for _, dom := range d.in.sipDomains {
		if !inDomain(target, dom) {
			out = append(out, finding(SeverityWarning, CodeStrictDNSNameMismatch, path, "V8",
				"_sipinternaltls._tcp.%s points at %s, outside the SIP domain %s: with strict DNS name matching %s refuses it; clients fall back to sip.%s (published and on the certificate)", dom, target, dom, d.in.client(), dom))
		}
	}
	return out
}

// checkAVAuthenticationPort (V13): the A/V authentication port must be 5062 (443 is the common mistake).
func checkAVAuthenticationPort(d *draft) []Finding {
	if d.in.edge == nil {
		return nil
	}
	if p := d.in.avAuthenticationPort(); p != defaultAVAuthenticationPort {
		return []Finding{finding(SeverityError, CodeAVAuthenticationPort, "spec.ocs.edge.avAuthenticationPort", "V13",
			"the A/V authentication service listens on %d; OCS 2007 R2 uses 5062 on the edge's internal interface (443 is a common mistake)", p)}
	}
	return nil
}

// checkWebConferencingInternalPort (V14): 8057 unless the pool is configured to match.
func checkWebConferencingInternalPort(d *draft) []Finding {
	if d.in.edge == nil || d.in.edge.WebConferencingFQDN == "" {
		return nil
	}
	if p := d.in.webConferencingInternalPort(); p != defaultWebConferencingInternalPort {
		return []Finding{finding(SeverityWarning, CodeWebConferencingInternalPort, "spec.ocs.edge.webConferencingInternalPort", "V14",
			"the Web Conferencing Edge internal port is %d, not the default 8057: the pool's Web Conferencing Server must be configured with the same port", p)}
	}
	return nil
}

// checkSingleCertificateEdgeNames (V17): OCS 2007 R2 expects two external edge certificates unless
// Access and Web Conferencing share one FQDN and address, as in the seed design.
func checkSingleCertificateEdgeNames(d *draft) []Finding {
	e := d.in.edge
	if e == nil || d.in.certs.Strategy == v1alpha1.PerRole || d.in.lync() {
		return nil
	}
	wc, _ := d.in.webConferencing()
	if wc == "" || wc == lower(e.AccessFQDN) {
		return nil
	}
	return []Finding{finding(SeverityWarning, CodeSingleCertificateEdgeNames, "spec.ocs.edge.webConferencingFQDN", "V17",
		"the unified certificate carries both %s and %s: OCS 2007 R2 documents one certificate each for Access and Web Conferencing Edge; the seed design gives both the same FQDN and address (Web Conferencing on 444), or use strategy PerRole", e.AccessFQDN, wc)}
}

// checkFrontEndNames (R-OCS-FE-SAN, UNCERTAIN): a third-party source says external web
// conferencing needs the front-end FQDNs on the pool certificate.
func checkFrontEndNames(d *draft) []Finding {
	o := d.in.ocs
	if o == nil || d.in.lync() || o.Edition != v1alpha1.EnterpriseEdition || len(o.FrontEnds) == 0 || o.FrontEndNamesOnPoolCertificate ||
		d.in.edge == nil || d.in.edge.WebConferencingFQDN == "" {
		return nil
	}
	return []Finding{finding(SeverityInfo, CodeFrontEndNamesNotOnPoolCertificate, "spec.ocs.frontEndNamesOnPoolCertificate", "R-OCS-FE-SAN",
		"external web conferencing is enabled and the front-end FQDNs are not on the pool certificate; one third-party source (unconfirmed) says the edge connects to them by name: set frontEndNamesOnPoolCertificate if meetings fail")}
}

// checkCASArray (V22): the CAS array name must differ from every HTTP name; it never goes on a certificate.
func checkCASArray(d *draft) []Finding {
	x := d.in.exchange
	if x == nil || x.CASArrayFQDN == "" {
		return nil
	}
	cas := lower(x.CASArrayFQDN)
	for _, g := range d.groups {
		if _, on := g.names.paths[cas]; on {
			return []Finding{finding(SeverityWarning, CodeCASArrayOnCertificate, "spec.exchange.casArrayFQDN", "V22",
				"the CAS array FQDN %s is also an HTTP name on the %q certificate: the CAS array needs a name of its own (outlook.<domain>, internal DNS only)", cas, g.role)}
		}
	}
	return nil
}

// checkPublishing (V24): ISA 2004 cannot publish with SAN certificates; ISA 2006 RTM reads only
// the first SAN (ucdeploy repeats the CN there, V6).
func checkPublishing(d *draft) []Finding {
	x := d.in.exchange
	if x == nil {
		return nil
	}
	var names int
	for _, g := range d.groups {
		if g.role == RoleExchange || g.role == RoleUnified {
			names = len(g.names.names)
		}
	}
	if names <= 1 {
		return nil
	}
	switch x.PublishedVia {
	case "ISA2004":
		return []Finding{finding(SeverityWarning, CodeSANPublishingUnsupported, "spec.exchange.publishedVia", "V24",
			"ISA Server 2004 cannot publish with a certificate carrying %d names: upgrade to ISA 2006 SP1 or TMG", names)}
	case "ISA2006":
		return []Finding{finding(SeverityWarning, CodeSANPublishingUnsupported, "spec.exchange.publishedVia", "V24",
			"ISA Server 2006 RTM reads only the first subject alternative name (ucdeploy puts the CN there); the other %d names will fail: install ISA 2006 SP1", names-1)}
	}
	return nil
}

// checkAutodiscoverSRV (V23, S-KB940881): the SRV alternative needs Outlook 2007 with the June
// 2007 update or SP1, or later: a concern next to Exchange 2007 and 2010 only.
func checkAutodiscoverSRV(d *draft) []Finding {
	if x := d.in.exchange; x == nil || x.Autodiscover != v1alpha1.AutodiscoverSRV || d.in.modernExchange() {
		return nil
	}
	return []Finding{finding(SeverityInfo, CodeAutodiscoverSRVClients, "spec.exchange.autodiscover", "V23",
		"autodiscover by SRV record works with Outlook 2007 from the June 2007 update (KB 940881) or SP1, and Outlook 2010; older clients need autodiscover.<domain> on the certificate")}
}

// checkKey (V27): keys below 2048 bits are weak; a public CA refuses them outright (the Baseline
// Requirements ask for RSA 2048 or more), so with a public certificate in the plan it is an Error.
func checkKey(d *draft) []Finding {
	if len(d.groups) == 0 || d.in.keyAlgorithm() != "RSA" {
		return nil
	}
	size := d.in.keySize()
	switch {
	case size >= 2048:
		return nil
	case len(publicOnly(d.groups)) > 0:
		return []Finding{finding(SeverityError, CodeWeakKey, "spec.certificates.privateKey.size", "V27",
			"RSA %d-bit keys: public CAs refuse keys under 2048 bits (CA/Browser Forum Baseline Requirements), so the public certificates would not be issued; use 2048 or more", size)}
	}
	return []Finding{finding(SeverityWarning, CodeWeakKey, "spec.certificates.privateKey.size", "V27",
		"RSA %d-bit keys are weak: use 2048 or more", size)}
}

// checkKeyAlgorithm (V27, R-SFB-05, DOMAIN-CURRENT.md §2): which products can use an ECDSA key.
// OCS 2007 R2 and Lync 2010/2013 use RSA only (DOMAIN.md §3.1); from Skype for Business Server
// 2015 on ECDH P-256/384/521 keys are accepted (DOMAIN-CURRENT.md §1.1), but never for the
// OAuthTokenIssuer certificate, which server-to-server authentication signs with RSA (R-SFB-05:
// RSA 2048 or more). Exchange: see exchangeKeyAlgorithm.
func checkKeyAlgorithm(d *draft) []Finding {
	if len(d.groups) == 0 || d.in.keyAlgorithm() == "RSA" {
		return nil
	}
	var out []Finding
	switch {
	case d.in.onPremises() && !d.in.atLeast(v1alpha1.SfB2015):
		out = append(out, finding(SeverityError, CodeKeyAlgorithmUnsupported, "spec.certificates.privateKey.algorithm", "V27",
			"%s keys are not supported by %s, which uses RSA only: set privateKey.algorithm to RSA (2048 bits or more)", d.in.keyAlgorithm(), d.in.ocsVersion()))
	case hasRole(d.groups, RoleOAuth):
		out = append(out, finding(SeverityError, CodeKeyAlgorithmUnsupported, "spec.certificates.privateKey.algorithm", "R-SFB-05",
			"the OAuthTokenIssuer certificate would get an %s key, but server-to-server authentication needs an RSA key of 2048 bits or more: set privateKey.algorithm to RSA", d.in.keyAlgorithm()))
	}
	return append(out, exchangeKeyAlgorithm(d)...)
}

// exchangeKeyAlgorithm judges an ECDSA key for Exchange. Exchange 2007 to 2013 use RSA only
// (Error). Exchange 2016 CU23, 2019 CU13 and SE accept ECDSA certificates only once the April
// 2024 setting override enables them, and never for the Exchange Auth (OAuth) certificate, which
// ucdeploy does not manage (R-EX-11): a Warning. The ECDSA rules for 2013 and later are the
// review's (issue 26), not in the domain reference, hence the section citation.
func exchangeKeyAlgorithm(d *draft) []Finding {
	x := d.in.exchange
	if x == nil {
		return nil
	}
	switch d.in.exchangeVersion() {
	case v1alpha1.Exchange2007, v1alpha1.Exchange2010:
		return []Finding{finding(SeverityError, CodeKeyAlgorithmUnsupported, "spec.certificates.privateKey.algorithm", "V27",
			"%s keys are not supported by Exchange %s, which uses RSA only: set privateKey.algorithm to RSA (2048 bits or more)", d.in.keyAlgorithm(), d.in.exchangeVersion())}
	case v1alpha1.Exchange2013:
		return []Finding{finding(SeverityError, CodeKeyAlgorithmUnsupported, "spec.certificates.privateKey.algorithm", "§2",
			"%s keys are not supported by Exchange 2013, which uses RSA only: set privateKey.algorithm to RSA (2048 bits or more)", d.in.keyAlgorithm())}
	}
	return []Finding{finding(SeverityWarning, CodeKeyAlgorithmUnsupported, "spec.certificates.privateKey.algorithm", "§2",
		"Exchange %s uses %s certificates only from 2016 CU23 / 2019 CU13 on and only after the April 2024 setting override enables ECC support, and never as the Exchange Auth (OAuth) certificate; without the override Exchange ignores the certificate: enable it on every Exchange server or use RSA", d.in.exchangeVersion(), d.in.keyAlgorithm())}
}

// checkCertificateSubjects: one name is one service, so it gets one certificate. A certificate
// whose subject an earlier one already has is left out of the plan and reported.
func checkCertificateSubjects(d *draft) []Finding {
	var out []Finding
	for _, pair := range d.duplicates {
		kept, dropped := pair[0], pair[1]
		out = append(out, finding(SeverityError, CodeCertificateSubjectConflict, dropped.names.paths[dropped.commonName], "V6",
			"the %q and %q certificates would both have the subject %s: one name answers at one address, so give the %s role a name of its own", kept.role, dropped.role, dropped.commonName, dropped.role))
	}
	return out
}

// outlookAnywherePrincipal returns the subject of the certificate carrying the Exchange external
// FQDN when that subject differs from it (the seed design: subject sip.<domain>).
func outlookAnywherePrincipal(d *draft) (string, bool) {
	x := d.in.exchange
	if x == nil || x.ExternalFQDN == "" {
		return "", false
	}
	ext := lower(x.ExternalFQDN)
	for _, g := range publicOnly(d.groups) {
		if _, on := g.names.paths[ext]; on {
			return g.commonName, g.commonName != ext
		}
	}
	return "", false
}

// checkOutlookAnywhere (S-EX07-AUTOD): Outlook compares the Outlook Anywhere principal name,
// msstd:<externalFQDN> by default, with the certificate subject and keeps prompting for credentials
// when they differ. From Exchange 2016 on Outlook connects with MAPI over HTTP by default, which
// has no such principal: Outlook Anywhere is the fallback only, so the finding is Info.
func checkOutlookAnywhere(d *draft) []Finding {
	cn, ok := outlookAnywherePrincipal(d)
	if !ok {
		return nil
	}
	ext := lower(d.in.exchange.ExternalFQDN)
	const format = "the Exchange names are on a certificate whose subject is %s, not %s: Outlook Anywhere clients expect msstd:%s and keep prompting for credentials; run Set-OutlookProvider -Identity EXPR -CertPrincipalName msstd:%s (ucdeploy plan -o powershell prints it) or use strategy PerRole%s"
	switch d.in.exchangeVersion() {
	case v1alpha1.Exchange2016, v1alpha1.Exchange2019, v1alpha1.ExchangeSE:
		return []Finding{finding(SeverityInfo, CodeOutlookAnywherePrincipalName, "spec.certificates.strategy", "S-EX07-AUTOD",
			format, cn, ext, ext, cn, "; Exchange "+string(d.in.exchangeVersion())+" clients use MAPI over HTTP by default, so this matters only for Outlook Anywhere (RPC over HTTP) clients")}
	}
	return []Finding{finding(SeverityWarning, CodeOutlookAnywherePrincipalName, "spec.certificates.strategy", "S-EX07-AUTOD",
		format, cn, ext, ext, cn, "")}
}

// checkExchangeServerNames (R-EX-01): from Exchange 2013 on, server host names are not recommended
// on the certificate; one namespace serves every client.
func checkExchangeServerNames(d *draft) []Finding {
	x := d.in.exchange
	if x == nil || !d.in.modernExchange() || !x.IncludeServerNames || len(x.Servers) == 0 {
		return nil
	}
	return []Finding{finding(SeverityWarning, CodeExchangeServerNames, "spec.exchange.includeServerNames", "R-EX-01",
		"Exchange %s serves every client through one namespace (%s); server FQDNs and NetBIOS names on a certificate are not recommended: set the internal URLs to the external namespace (split DNS) and drop includeServerNames", d.in.exchangeVersion(), lower(x.ExternalFQDN))}
}

// checkHybridCertificateNames (R-EX-06): the hybrid certificate must carry the EWS external host
// and the Autodiscover host; with autodiscover by SRV record, autodiscover.<domain> is not on it.
func checkHybridCertificateNames(d *draft) []Finding {
	x := d.in.exchange
	if x == nil || !x.Hybrid || x.Autodiscover != v1alpha1.AutodiscoverSRV {
		return nil
	}
	return []Finding{finding(SeverityError, CodeHybridCertificateNames, "spec.exchange.autodiscover", "R-EX-06",
		"a hybrid deployment needs the Autodiscover host on the public certificate next to the EWS host %s, but autodiscover by SRV record leaves autodiscover.<domain> off it: set exchange.autodiscover to HostRecord", lower(x.ExternalFQDN))}
}

// checkHybridTransportRenewal (R-EX-05, S-EX-TLSBLOG): the Hybrid Configuration Wizard binds hybrid
// mail flow to the certificate's issuer and subject (TlsCertificateName on the Office 365 send
// connector and the Default Frontend receive connector). A renewal can change them: Let's Encrypt
// picks an intermediate at random (S-LE-GENY), and a CN-less ACME profile leaves the subject empty.
// Mail flow with Exchange Online stops until the connectors name the new certificate; the install
// script sets and verifies them after every renewal.
func checkHybridTransportRenewal(d *draft) []Finding {
	x := d.in.exchange
	if x == nil || !x.Hybrid || len(publicOnly(d.groups)) == 0 {
		return nil
	}
	return []Finding{finding(SeverityWarning, CodeHybridTransportRenewal, "spec.exchange.hybrid", "R-EX-05",
		"hybrid mail flow is bound to the public certificate's issuer and subject (TlsCertificateName <I>issuer<S>subject on the Office 365 send connector and each Default Frontend receive connector), and a renewal can change them (a public CA may sign with another intermediate, as Let's Encrypt does at random): run the Exchange install script on every hybrid server after every renewal; it re-sets and verifies both connectors (and checks for DigiCert Global Root G2, R-EX-10)")}
}

// checkAdditionalNames (DOMAIN.md §2.1, S-EX-CERTS): exchange.additionalNames (imap., smtp., pop.
// or a wildcard) go on the certificate, but ucdeploy does not know which host answers them, so it
// plans no record for them: a note, so that they are published by hand.
func checkAdditionalNames(d *draft) []Finding {
	x := d.in.exchange
	if x == nil || len(x.AdditionalNames) == 0 {
		return nil
	}
	names := slices.DeleteFunc(lowerAll(x.AdditionalNames), isWildcard) // a wildcard needs no record
	if len(names) == 0 {
		return nil
	}
	return []Finding{finding(SeverityInfo, CodeAdditionalNamesNotPublished, "spec.exchange.additionalNames", "§2",
		"%s %s on the Exchange certificate, but ucdeploy plans no DNS record for %s (it does not know which host answers them): publish an A or CNAME record for each in the views where clients use it", strings.Join(names, ", "), plural(len(names), "is", "are"), plural(len(names), "it", "them"))}
}
