package plan

// ACME certificate profiles of Let's Encrypt (DOMAIN-CURRENT.md §3.2).
const (
	// ACMEProfileClassic is the default profile: 90 days, up to 100 names, a CN.
	ACMEProfileClassic = "classic"
	// ACMEProfileTLSServer is 45 days, up to 25 names, no CN.
	ACMEProfileTLSServer = "tlsserver"
	// ACMEProfileShortLived is 160 hours, up to 25 names, no CN.
	ACMEProfileShortLived = "shortlived"
)

// ACMEProfiles are the profiles the planner knows, in the order the CLI lists them.
var ACMEProfiles = []string{ACMEProfileClassic, ACMEProfileTLSServer, ACMEProfileShortLived}

// PublicACME says the public issuer is an ACME CA that issues with profile (empty means the
// CA's default, classic). The rules of DOMAIN-CURRENT.md §3 that only ACME CAs impose (R-PKI-02,
// R-PKI-06, R-PKI-07) are then evaluated. The controller reads the issuer; the CLI takes
// --public-issuer acme[:profile].
func PublicACME(profile string) Option {
	return func(in *input) {
		in.acme = true
		in.acmeProfile = profile
		if profile == "" {
			in.acmeProfile = ACMEProfileClassic
		}
	}
}

// acmeNameLimit is the most names a certificate of the profile may carry (R-PKI-02).
func acmeNameLimit(profile string) int {
	if profile == ACMEProfileTLSServer || profile == ACMEProfileShortLived {
		return 25
	}
	return 100
}

// publicOnly returns the certificates of groups that the public CA signs.
func publicOnly(groups []*group) []*group {
	var out []*group
	for _, g := range groups {
		if g.issuer == IssuerPublic {
			out = append(out, g)
		}
	}
	return out
}

// checkACMENames (R-PKI-02): an ACME CA refuses an order with more names than its profile allows.
func checkACMENames(d *draft) []Finding {
	if !d.in.acme {
		return nil
	}
	limit := acmeNameLimit(d.in.acmeProfile)
	var out []Finding
	for _, g := range publicOnly(d.groups) {
		if n := len(g.names.names); n > limit {
			out = append(out, finding(SeverityError, CodeACMENameLimit, "spec.certificates.publicIssuerRef", "R-PKI-02",
				"the %q certificate has %d names, but the ACME profile %s allows %d per certificate: use strategy PerRole, fewer domains, or the classic profile (100)", g.role, n, d.in.acmeProfile, limit))
		}
	}
	return out
}

// checkACMECommonName (R-PKI-06, UNCERTAIN, so a warning): the tlsserver and shortlived profiles
// issue certificates without a subject, which OCS, Lync/SfB and Exchange SMTP rely on.
func checkACMECommonName(d *draft) []Finding {
	if !d.in.acme || d.in.acmeProfile == ACMEProfileClassic || len(publicOnly(d.groups)) == 0 {
		return nil
	}
	return []Finding{finding(SeverityWarning, CodeACMEProfileWithoutCommonName, "spec.certificates.publicIssuerRef", "R-PKI-06",
		"the ACME profile %s issues certificates with an empty subject, but the products match on it (the Edge and pool subject names, Exchange's TlsCertificateName, V6): use the classic profile or a CA whose certificates keep the CN", d.in.acmeProfile)}
}

// checkACMELifetime (R-PKI-12): a certificate must outlive the time the product needs to re-bind
// it. No agent installs certificates yet (the issue "ucdeploy agent"): every renewal waits for
// someone to run the install scripts. Let's Encrypt's shortlived profile (160 hours) is then an
// Error for every public certificate; its 45-day tlsserver profile a Warning.
func checkACMELifetime(d *draft) []Finding {
	public := publicOnly(d.groups)
	if !d.in.acme || len(public) == 0 {
		return nil
	}
	switch d.in.acmeProfile {
	case ACMEProfileShortLived:
		return []Finding{finding(SeverityError, CodeACMELifetimeWithoutAgent, "spec.certificates.publicIssuerRef", "R-PKI-12",
			"the ACME profile shortlived issues 6-day certificates, but no agent installs them: the %d public certificates would expire before someone re-runs the install scripts on every server; use the classic profile", len(public))}
	case ACMEProfileTLSServer:
		return []Finding{finding(SeverityWarning, CodeACMELifetimeWithoutAgent, "spec.certificates.publicIssuerRef", "R-PKI-12",
			"the ACME profile tlsserver issues 45-day certificates and no agent installs them: the install scripts must run on every server about every month; prefer the classic profile")}
	}
	return nil
}
