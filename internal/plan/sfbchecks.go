package plan

import (
	"slices"
	"strings"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// checkXMPP (R-SFB-01, DOMAIN.md §3.2): XMPP federation on the Edge works on Lync Server 2013
// (the XMPP proxy on the Edge, the gateway on the front end) and Skype for Business Server 2015.
// 2019 and SE removed it; Lync 2010 has no XMPP on the Edge.
func checkXMPP(d *draft) []Finding {
	e := d.in.edge
	if e == nil || e.XMPPFQDN == "" || d.in.xmpp() {
		return nil
	}
	if d.in.atLeast(v1alpha1.SfB2019) {
		return []Finding{finding(SeverityError, CodeXMPPNotSupported, "spec.ocs.edge.xmppFQDN", "R-SFB-01",
			"Skype for Business Server %s has no XMPP federation (removed in 2019): no xmpp record, SAN or XMPPServer certificate is planned; remove edge.xmppFQDN, or keep XMPP on a coexisting 2015 pool", d.in.ocsVersion())}
	}
	return []Finding{finding(SeverityError, CodeXMPPNotSupported, "spec.ocs.edge.xmppFQDN", "§3",
		"%s has no XMPP federation on the Edge: Lync Server 2013 brought the XMPP proxy to the Edge (DOMAIN.md §3.2); remove edge.xmppFQDN, or set version Lync2013 or SfB2015 if that is the release", d.in.ocsVersion())}
}

// checkSimpleURLs (R-SFB-09, DOMAIN-CURRENT.md §1.5): a simple URL contains no pool FQDN, and
// simple URLs use a domain of their own, not a bare SIP domain.
func checkSimpleURLs(d *draft) []Finding {
	if !d.in.lync() || !d.in.onPremises() {
		return nil
	}
	servers := map[string]string{lower(d.in.ocs.PoolFQDN): "the pool", d.in.internalWebFQDN(): "the internal web services"}
	for _, fe := range d.in.ocs.FrontEnds {
		servers[lower(fe.FQDN)] = "a front end"
	}
	if dir := d.in.ocs.Director; dir != nil {
		servers[lower(dir.FQDN)] = "the Director"
	}
	var out []Finding
	published, admin := d.in.simpleURLs()
	published.addAll(admin)
	for _, n := range published.names {
		if what, ok := servers[n]; ok {
			out = append(out, finding(SeverityError, CodeSimpleURLInvalid, published.paths[n], "R-SFB-09",
				"the simple URL host %s is the FQDN of %s: a simple URL must not contain a pool FQDN; use a name of its own such as meet.<domain>", n, what))
		}
		for _, dom := range d.in.sipDomains {
			if n == dom {
				out = append(out, finding(SeverityWarning, CodeSimpleURLInvalid, published.paths[n], "R-SFB-09",
					"the %s simple URL host %s is the SIP domain itself: simple URLs use their own domain, which must not match any SIP domain (Microsoft's wording is unclear on whether a name below it counts); use %[1]s.%[3]s", simpleURLKind(published.paths[n]), n, dom))
			}
		}
	}
	return out
}

// checkWebFQDN (V19): in a DNS-load-balanced Enterprise pool the pool FQDN resolves to every
// front end, but HTTPS cannot be DNS-load-balanced: the internal web FQDN must be another name,
// on the hardware load balancer's VIP.
func checkWebFQDN(d *draft) []Finding {
	if !d.in.onPremises() || !d.in.dnsLoadBalanced() || d.in.internalWebFQDN() != lower(d.in.ocs.PoolFQDN) {
		return nil
	}
	return []Finding{finding(SeverityError, CodeWebFQDNEqualsPoolFQDN, "spec.ocs.internalWebFQDN", "V19",
		"the internal web services FQDN is the pool FQDN %s, which resolves to every front end (DNS load balancing); HTTPS needs the hardware load balancer: set internalWebFQDN to a name of its own (for example webint.<domain>) on poolIP", lower(d.in.ocs.PoolFQDN))}
}

// checkDirectorWebFQDN (V20): the reverse proxy publishes the Director's and the pool's external
// web services on listeners of their own, so the names must differ.
func checkDirectorWebFQDN(d *draft) []Finding {
	if !d.in.lync() || !d.in.onPremises() || d.in.ocs.Director == nil {
		return nil
	}
	dir, pool := lower(d.in.ocs.Director.ExternalWebFQDN), lower(d.in.ocs.ExternalWebFQDN)
	if dir == "" || dir != pool {
		return nil
	}
	return []Finding{finding(SeverityError, CodeDirectorWebFQDNConflict, "spec.ocs.director.externalWebFQDN", "V20",
		"the Director's external web FQDN %s is the pool's: the reverse proxy publishes each on a listener of its own; give the Director another name (for example webdir.<domain>)", dir)}
}

// checkOAuthKeySize (R-SFB-05): the OAuthTokenIssuer certificate needs an RSA key of 2048 bits
// or more.
func checkOAuthKeySize(d *draft) []Finding {
	if !hasRole(d.groups, RoleOAuth) || d.in.keyAlgorithm() != "RSA" || d.in.keySize() >= 2048 {
		return nil
	}
	return []Finding{finding(SeverityError, CodeOAuthKeySize, "spec.certificates.privateKey.size", "R-SFB-05",
		"the OAuthTokenIssuer certificate would have an RSA %d-bit key; server-to-server authentication needs at least 2048 bits: set privateKey.size to 2048 or more", d.in.keySize())}
}

// hasRole reports whether a certificate of role is planned.
func hasRole(groups []*group, role string) bool {
	for _, g := range groups {
		if g.role == role {
			return true
		}
	}
	return false
}

// lyncWildcard (V4, DOMAIN.md §3.6) returns the finding for the wildcard n on a Lync/SfB
// certificate, if it is not allowed there: the Edge names take no wildcard but XMPP's *.<domain>
// on SfB 2015; simple URLs and lyncdiscover on the web and reverse proxy certificates may.
func lyncWildcard(d *draft, g *group, n string) []Finding {
	if !g.edge || d.in.xmppWildcard(n) {
		return nil
	}
	return []Finding{finding(SeverityError, CodeWildcardNotSupported, g.names.paths[n], "V4",
		"%s would go on the %q certificate, which carries the %s Edge names: Lync and Skype for Business accept wildcards only for simple URLs and lyncdiscover (web services, reverse proxy) and *.<domain> for XMPP on 2015; list the names explicitly or use strategy PerRole", n, g.role, d.in.ocsVersion())}
}

// checkSfBHybrid (DOMAIN-CURRENT.md §1.6, R-SFB-11): while users are homed on premises, hybrid
// with Microsoft 365 goes through the on-premises Access Edge, which federates with the tenant and
// must answer _sipfederationtls._tcp for every SIP domain. A hybrid design without an Edge, or
// with federation off, does not work. Lync Server 2010 and 2013 are limited in hybrid: hybrid
// voice needs a 2015-or-later federation Edge; what else Lync 2010 supports is not in the domain
// reference [UNCERTAIN], so that is a warning.
func checkSfBHybrid(d *draft) []Finding {
	if !d.in.lync() || d.in.ocs.Hybrid == nil || d.in.ocs.Hybrid.Mode != v1alpha1.Hybrid {
		return nil
	}
	var out []Finding
	switch {
	case d.in.edge == nil:
		out = append(out, finding(SeverityError, CodeHybridWithoutFederation, "spec.ocs.edge", "R-SFB-11",
			"hybrid mode federates the on-premises deployment with Microsoft 365 through the Access Edge, but there is no Edge: add ocs.edge (federation on), which publishes _sipfederationtls._tcp for every SIP domain, or set hybrid.mode to OnPremises"))
	case !d.in.federation():
		out = append(out, finding(SeverityError, CodeHybridWithoutFederation, "spec.ocs.edge.federation", "R-SFB-11",
			"hybrid mode needs federation: Microsoft 365 reaches the on-premises users through the Access Edge and _sipfederationtls._tcp of every SIP domain (%s), which federation: false leaves out; set edge.federation to true", strings.Join(d.in.sipDomains, ", ")))
	}
	if !d.in.atLeast(v1alpha1.SfB2015) {
		out = append(out, finding(SeverityWarning, CodeHybridRelease, "spec.ocs.version", "R-SFB-11",
			"%s in hybrid mode: IM, presence and meetings of users moved to Microsoft 365 work through this Edge, but hybrid voice needs a Skype for Business Server 2015 or later federation Edge and the pool behind it (DOMAIN-CURRENT.md §1.6)%s", d.in.ocsVersion(), lync2010HybridNote(d.in)))
	}
	return out
}

// lync2010HybridNote is what the hybrid warning adds for Lync Server 2010, whose hybrid support the
// domain reference does not document.
func lync2010HybridNote(in *input) string {
	if in.atLeast(v1alpha1.Lync2013) {
		return ""
	}
	return "; whether a Lync Server 2010 Edge may be the hybrid federation Edge at all is not documented in DOMAIN-CURRENT.md [UNCERTAIN]: plan a Lync Server 2013 or later Edge and Director in front of the 2010 pool"
}

// checkWebFQDNInternalExternal (DOMAIN.md §3.1, S-SFB-ENV): the internal and external web
// services are two sites with two names; Topology Builder refuses one FQDN for both, and the name
// would be on the internal and the public certificate and answer differently inside and outside.
func checkWebFQDNInternalExternal(d *draft) []Finding {
	if !d.in.lync() || !d.in.onPremises() {
		return nil
	}
	var out []Finding
	if ext, path := d.in.externalWeb(); ext != "" && ext == d.in.internalWebFQDN() {
		out = append(out, webFQDNClash("pool", ext, path))
	}
	if dir := d.in.ocs.Director; dir != nil && dir.ExternalWebFQDN != "" && lower(dir.ExternalWebFQDN) == lower(dir.FQDN) {
		out = append(out, webFQDNClash("Director", lower(dir.FQDN), "spec.ocs.director.externalWebFQDN"))
	}
	return out
}

// webFQDNClash is the finding for a server whose internal and external web services share fqdn.
func webFQDNClash(server, fqdn, path string) Finding {
	return finding(SeverityError, CodeWebFQDNInternalEqualsExternal, path, "§3",
		"the %s's external web services FQDN %s is also its internal web services FQDN: Topology Builder refuses one name for both, and the name would be on the internal and the public certificate and answer differently inside; give the external web services a name of their own (for example webext.<domain>)", server, fqdn)
}

// checkEdgeWithoutReverseProxy (DOMAIN.md §3.3, §3.4): from Lync Server 2010 on the reverse proxy
// publishes the external web services, the simple URLs and lyncdiscover. An Edge lets users in
// from outside, but without a reverse proxy those names have no public address: meetings, dial-in
// and mobile sign-in fail outside.
func checkEdgeWithoutReverseProxy(d *draft) []Finding {
	if !d.in.lync() || !d.in.onPremises() || d.in.edge == nil || d.in.ocs.ReverseProxy != nil {
		return nil
	}
	published, _ := d.in.simpleURLs()
	names := slices.Clone(published.names)
	if ext, _ := d.in.externalWeb(); ext != "" {
		names = append(names, ext)
	}
	var discover nameList
	mobilityNames(d.in, &discover, false)
	names = append(names, discover.names...)
	slices.Sort(names)
	return []Finding{finding(SeverityWarning, CodeEdgeWithoutReverseProxy, "spec.ocs.reverseProxy", "§3",
		"the Edge lets users in from outside, but no reverse proxy publishes %s: external users cannot join meetings, use dial-in or sign in on mobile devices; set spec.ocs.reverseProxy (its ip and externalWebFQDN)", strings.Join(names, ", "))}
}

// checkPublicIMConnectivity (V28, S-OCS-EDGECERT): public IM connectivity federated OCS, Lync and
// Skype for Business with AOL, Yahoo! and Windows Live / Skype. In 2026 no such partner is left
// (the review of issue 26; DOMAIN.md has no end date, hence a warning): the setting only asks the
// public CA for the Client Authentication usage that public CAs are dropping (R-PKI-10).
func checkPublicIMConnectivity(d *draft) []Finding {
	if d.in.edge == nil || !d.in.edge.PublicIMConnectivity {
		return nil
	}
	return []Finding{finding(SeverityWarning, CodePublicIMConnectivityEnded, "spec.ocs.edge.publicIMConnectivity", "V28",
		"public IM connectivity has no partner left in 2026: AOL and Yahoo! ended it years ago and Skype (consumer) was retired in 2025; the setting only asks the public CA for the Client Authentication usage, which public CAs are dropping: turn off publicIMConnectivity")}
}

// simpleURLKind names the simple URL a field gives, as its default host begins: meet, dialin or
// admin (DOMAIN-CURRENT.md §1.5). A default Meet host comes from spec.sipDomains[i].
func simpleURLKind(path string) string {
	for _, kind := range []string{"dialin", "admin"} {
		if strings.Contains(path, "."+kind) {
			return kind
		}
	}
	return "meet"
}

// checkOfficeOnlineExternalURL (R-SFB-10, W): external users come through the Edge and the reverse
// proxy; without an external URL (-ExternalUrl) the Office Online Server farm is not published,
// and they see no PowerPoint content in meetings.
func checkOfficeOnlineExternalURL(d *draft) []Finding {
	if !d.in.onPremises() || !d.in.atLeast(v1alpha1.Lync2013) || d.in.edge == nil {
		return nil
	}
	oos := d.in.ocs.OfficeOnlineServer
	if oos == nil || oos.ExternalFQDN != "" {
		return nil
	}
	return []Finding{finding(SeverityWarning, CodeOfficeOnlineWithoutExternalURL, "spec.ocs.officeOnlineServer.externalFQDN", "R-SFB-10",
		"the Edge lets users in from outside, but the Office Online Server farm %s has no external URL: external users get no PowerPoint content in meetings; set officeOnlineServer.externalFQDN (New-OfficeWebAppsFarm -ExternalUrl), published by the reverse proxy", lower(oos.InternalFQDN))}
}
