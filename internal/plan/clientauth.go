package plan

import "slices"

// clientAuthUsage is cert-manager's name of the Client Authentication extended key usage.
const clientAuthUsage = "client auth"

// publicCA names the public CA by the issuer domain of spec.dns.caa (R-PKI-05: the one CA allowed
// to issue), as the clientAuth rules of DOMAIN-CURRENT.md §3.5 (R-PKI-10) tell them apart; ""
// when the spec does not say or names another CA.
func (in *input) publicCA() string {
	if in.caa == nil {
		return ""
	}
	switch lower(in.caa.Issuer) {
	case "letsencrypt.org":
		return caLetsEncrypt
	case "pki.goog":
		return caGoogle
	case "digicert.com", "www.digicert.com":
		return caDigiCert
	case "sectigo.com", "comodoca.com":
		return caSectigo
	}
	return ""
}

// Public CAs with a clientAuth rule of their own (R-PKI-10).
const (
	caLetsEncrypt = "Let's Encrypt"
	caGoogle      = "Google Trust Services"
	caDigiCert    = "DigiCert"
	caSectigo     = "Sectigo"
)

// refusesClientAuth reports a public CA that issues no clientAuth usage at all, so that the
// planned certificates do not ask for it (R-PKI-10): Let's Encrypt ignores the request, Google
// Trust Services rejects the CSR.
func (in *input) refusesClientAuth() bool {
	ca := in.publicCA()
	return ca == caLetsEncrypt || ca == caGoogle
}

// usagesFor are the usages the planned Certificate of g asks for: g's, without clientAuth on a
// public certificate when the public CA refuses it (R-PKI-10).
func usagesFor(in *input, g *group) []string {
	if g.issuer != IssuerPublic || !in.refusesClientAuth() {
		return slices.Clone(g.usages)
	}
	return slices.DeleteFunc(slices.Clone(g.usages), func(u string) bool { return u == clientAuthUsage })
}

// checkClientAuth (R-PKI-07, R-PKI-10, DOMAIN-CURRENT.md §3.3, §3.5): public CAs are dropping the
// clientAuth usage. A public certificate that asks for it (the Access Edge with public IM
// connectivity, V28) is an Error with Google Trust Services (the CSR is rejected) and a Warning
// with the others: Let's Encrypt issues it without, DigiCert and Sectigo stop on their dates, an
// ACME CA in general no longer issues it. Exchange hybrid SMTP, where the on-premises server is
// the TLS client, gets a Warning too: whether Exchange Online needs clientAuth is [UNCERTAIN].
func checkClientAuth(d *draft) []Finding {
	ca := d.in.publicCA()
	if ca == "" && !d.in.acme {
		return nil
	}
	var out []Finding
	for _, g := range publicOnly(d.groups) {
		if slices.Contains(g.usages, clientAuthUsage) {
			out = append(out, clientAuthFinding(ca, g.role))
			break
		}
	}
	if x := d.in.exchange; x != nil && x.Hybrid && len(publicOnly(d.groups)) > 0 {
		out = append(out, finding(SeverityWarning, CodeClientAuthUnavailable, "spec.exchange.hybrid", "R-PKI-07",
			"Exchange sends hybrid mail to Exchange Online as the TLS client, but the public certificate will carry no Client Authentication usage: %s. Whether Exchange Online requires it is not documented; watch the hybrid mail flow after the first renewal", clientAuthSchedule(ca)))
	}
	return out
}

// clientAuthFinding is the finding for the role's certificate asking for clientAuth from ca.
func clientAuthFinding(ca, role string) Finding {
	const path = "spec.ocs.edge.publicIMConnectivity"
	if ca == caGoogle {
		return finding(SeverityError, CodeClientAuthUnavailable, path, "R-PKI-10",
			"the %q certificate needs the Client Authentication usage (public IM connectivity, V28), but Google Trust Services rejects a request that asks for it (badCSR) unless the account opted in: ucdeploy leaves it out of the request; use a CA product that still issues clientAuth, or turn off publicIMConnectivity", role)
	}
	const format = "the %q certificate asks for the Client Authentication usage (public IM connectivity, V28), but %s: use a CA product that still issues clientAuth, or turn off publicIMConnectivity"
	if ca == "" {
		return finding(SeverityWarning, CodeClientAuthUnavailable, path, "R-PKI-07", format, role, clientAuthSchedule(ca))
	}
	return finding(SeverityWarning, CodeClientAuthUnavailable, path, "R-PKI-10", format, role, clientAuthSchedule(ca))
}

// clientAuthSchedule says when ca stops (or stopped) issuing clientAuth (DOMAIN-CURRENT.md §3.5).
func clientAuthSchedule(ca string) string {
	switch ca {
	case caLetsEncrypt:
		return "Let's Encrypt has issued none since 2026-02-11 and issues the certificate without it, so ucdeploy leaves it out of the request"
	case caGoogle:
		return "Google Trust Services rejects requests that ask for it, so ucdeploy leaves it out of the request"
	case caDigiCert:
		return "DigiCert issues it only on opt-in, and only until 2027-03-01"
	case caSectigo:
		return "Sectigo stops issuing it by 2027-02-10"
	}
	return "public CAs are dropping it: ACME CAs no longer issue it, and Chrome's root program wants serverAuth-only certificates from 2027-03-15"
}
