package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// Certificate roles of Lync Server 2010 and later (DOMAIN.md §3, DOMAIN-CURRENT.md §1.3).
const (
	// RoleEdgeExternal is the one public Edge certificate of Lync and Skype for Business: Access,
	// Web Conferencing and A/V Authentication (and XMPP on 2015).
	RoleEdgeExternal = "edge-external"
	// RoleOAuth is the server-to-server authentication (OAuthTokenIssuer) certificate, Lync 2013 on.
	RoleOAuth = "oauth"
	// RoleOfficeOnline is the Office Online Server farm certificate, Lync 2013 on.
	RoleOfficeOnline = "office-online"
)

// Set-CsCertificate -Type values (DOMAIN-CURRENT.md §1.3, R-SFB-03).
var (
	webServerTypes = []string{"Default", "WebServicesInternal", "WebServicesExternal"}
	edgeTypes      = []string{"AccessEdgeExternal", "DataEdgeExternal", "AudioVideoAuthentication"}
)

// Rule of the pool A records of a DNS-load-balanced Enterprise pool: one name, several addresses
// on purpose (DOMAIN.md §3.4), which checkRecordConflicts accepts.
const ruleDNSLoadBalancing = "S-SFB-DNS"

// onlineLyncDomain holds Microsoft 365's SfB Online endpoints that TeamsOnly records point at.
const onlineLyncDomain = "online.lync.com"

// releases are the OCS family's versions, oldest first.
var releases = []v1alpha1.OCSVersion{v1alpha1.OCS2007R2, v1alpha1.Lync2010, v1alpha1.Lync2013, v1alpha1.SfB2015, v1alpha1.SfB2019, v1alpha1.SfBSE}

// ocsVersion is the release, OCS2007R2 when the spec does not say or names an unknown one.
func (in *input) ocsVersion() v1alpha1.OCSVersion {
	if in.ocs == nil || !slices.Contains(releases, in.ocs.Version) {
		return v1alpha1.OCS2007R2
	}
	return in.ocs.Version
}

// atLeast reports whether the OCS family release is v or later.
func (in *input) atLeast(v v1alpha1.OCSVersion) bool {
	return in.ocs != nil && slices.Index(releases, in.ocsVersion()) >= slices.Index(releases, v)
}

// lync reports Lync Server 2010 or any later release (the DOMAIN.md §3 rules).
func (in *input) lync() bool { return in.atLeast(v1alpha1.Lync2010) }

// client names the release's desktop client, as findings speak of it.
func (in *input) client() string {
	switch {
	case in.atLeast(v1alpha1.SfB2015):
		return "the Skype for Business client"
	case in.lync():
		return "the Lync client"
	}
	return "Communicator"
}

// teamsOnly reports a Lync/SfB deployment whose users are all in Teams (R-SFB-11): no on-premises
// record or certificate is planned.
func (in *input) teamsOnly() bool {
	return in.lync() && in.ocs.Hybrid != nil && in.ocs.Hybrid.Mode == v1alpha1.TeamsOnly
}

// onPremises reports an OCS family deployment that serves users on premises.
func (in *input) onPremises() bool { return in.ocs != nil && !in.teamsOnly() }

// mobility reports whether lyncdiscover and lyncdiscoverinternal are published: the spec's
// choice, by default from Lync 2013 on (Lync 2010 needs CU4).
func (in *input) mobility() bool {
	if !in.lync() {
		return false
	}
	if in.ocs.Mobility != nil {
		return *in.ocs.Mobility
	}
	return in.atLeast(v1alpha1.Lync2013)
}

// dnsLoadBalanced reports a Lync/SfB Enterprise pool whose pool FQDN resolves to every front end
// (DNS load balancing for SIP; HTTPS stays on the web VIP, DOMAIN.md §3.4).
func (in *input) dnsLoadBalanced() bool {
	return in.lync() && in.ocs.Edition == v1alpha1.EnterpriseEdition && len(in.ocs.FrontEnds) > 0
}

// xmppReleases are the releases with XMPP federation on the Edge: the XMPP proxy on the Edge and
// the gateway on the front end of Lync Server 2013 and Skype for Business Server 2015 (DOMAIN.md
// §3.2, §3.4, S-L13-XMPP). 2019 and SE removed it (R-SFB-01); Lync 2010 had none on the Edge.
var xmppReleases = []v1alpha1.OCSVersion{v1alpha1.Lync2013, v1alpha1.SfB2015}

// xmpp reports an XMPP federation name on an Edge of a release where XMPP works.
func (in *input) xmpp() bool {
	return in.edge != nil && in.edge.XMPPFQDN != "" && slices.Contains(xmppReleases, in.ocsVersion())
}

// xmppNames adds the XMPP names of the Edge certificate for every SIP domain, since every SIP
// domain federates over XMPP (DOMAIN.md §3.2): the XMPP FQDN, and per domain the bare domain
// (Lync 2013's certificate summary, S-L13-XMPP) or *.<domain> (SfB 2015, S-SFB-EDGE).
func xmppNames(in *input, g *group) {
	g.names.add(lower(in.edge.XMPPFQDN), "spec.ocs.edge.xmppFQDN")
	for i, d := range in.sipDomains {
		path := fmt.Sprintf("spec.sipDomains[%d]", i)
		if in.ocsVersion() == v1alpha1.Lync2013 {
			g.names.add(d, path)
			continue
		}
		g.names.add("*."+d, path)
	}
	if in.ocsVersion() == v1alpha1.SfB2015 {
		// DOMAIN-CURRENT.md §1.3: the XMPPServer type is documented for 2015; Lync 2013's Access
		// Edge certificate serves the XMPP proxy as it is.
		g.addServices("XMPPServer")
	}
}

// xmppWildcard reports whether n is the *.<SIP domain> of XMPP on an SfB 2015 Edge (V4).
func (in *input) xmppWildcard(n string) bool {
	if !in.xmpp() || in.ocsVersion() != v1alpha1.SfB2015 {
		return false
	}
	return slices.Contains(in.sipDomains, strings.TrimPrefix(n, "*."))
}

// externalWeb returns the pool's external web services FQDN and its field: externalWebFQDN, or
// the reverse proxy's published name.
func (in *input) externalWeb() (fqdn, path string) {
	if in.ocs.ExternalWebFQDN != "" {
		return lower(in.ocs.ExternalWebFQDN), "spec.ocs.externalWebFQDN"
	}
	if rp := in.ocs.ReverseProxy; rp != nil {
		return lower(rp.FQDN), "spec.ocs.reverseProxy.fqdn"
	}
	return "", ""
}

// simpleURLs returns the Meet and Dialin hosts (published inside and outside) and the Admin host
// (inside only), with the fields they come from (DOMAIN-CURRENT.md §1.5).
func (in *input) simpleURLs() (published, admin nameList) {
	u := in.ocs.SimpleURLs
	if u == nil {
		u = &v1alpha1.SimpleURLsSpec{}
	}
	if len(u.Meet) > 0 {
		for i, m := range u.Meet {
			published.add(lower(m), fmt.Sprintf("spec.ocs.simpleURLs.meet[%d]", i))
		}
	} else {
		for i, d := range in.sipDomains {
			published.add("meet."+d, fmt.Sprintf("spec.sipDomains[%d]", i))
		}
	}
	switch {
	case u.Dialin != "":
		published.add(lower(u.Dialin), "spec.ocs.simpleURLs.dialin")
	case len(in.sipDomains) > 0:
		published.add("dialin."+in.sipDomains[0], "spec.sipDomains[0]")
	}
	admin.add(lower(u.Admin), "spec.ocs.simpleURLs.admin")
	return published, admin
}

// mobilityNames adds lyncdiscover.<d> (external) and, when internal, lyncdiscoverinternal.<d>
// for every SIP domain (DOMAIN.md §3.1 Mobility).
func mobilityNames(in *input, names *nameList, internal bool) {
	if !in.mobility() {
		return
	}
	for i, d := range in.sipDomains {
		path := fmt.Sprintf("spec.sipDomains[%d]", i)
		names.add("lyncdiscover."+d, path)
		if internal {
			names.add("lyncdiscoverinternal."+d, path)
		}
	}
}

// onlineSIPDomains are the tenant's SIP domains that get records and Edge names: every one
// but *.onmicrosoft.com, which Microsoft serves (R-SFB-12).
func (in *input) onlineSIPDomains() []string {
	if !in.lync() || in.ocs.Hybrid == nil {
		return nil
	}
	return slices.DeleteFunc(lowerAll(in.ocs.Hybrid.OnlineSIPDomains), func(d string) bool {
		return inDomain(d, "onmicrosoft.com")
	})
}

// lyncInternalGroups are the internal-CA certificates of Lync 2010 and later (DOMAIN.md §3.1,
// DOMAIN-CURRENT.md §1.3): one certificate per front end pool and Director carrying the Default
// and both web services types, the Edge's internal interface, OAuth and Office Online Server.
func lyncInternalGroups(in *input) []*group {
	o := in.ocs
	pool := webServerCertificate(in, RolePool, lower(o.PoolFQDN), "spec.ocs.poolFQDN", in.ocs.AutomaticSignInTarget != v1alpha1.SignInDirector)
	if o.Edition == v1alpha1.EnterpriseEdition {
		for i, fe := range o.FrontEnds {
			pool.names.add(lower(fe.FQDN), fmt.Sprintf("spec.ocs.frontEnds[%d].fqdn", i))
		}
	}
	pool.names.add(in.internalWebFQDN(), "spec.ocs.internalWebFQDN")
	ext, extPath := in.externalWeb()
	pool.names.add(ext, extPath)
	out := []*group{pool}
	if d := o.Director; d != nil {
		g := webServerCertificate(in, RoleDirector, lower(d.FQDN), "spec.ocs.director.fqdn", in.ocs.AutomaticSignInTarget == v1alpha1.SignInDirector)
		g.names.add(lower(d.ExternalWebFQDN), "spec.ocs.director.externalWebFQDN")
		out = append(out, g)
	}
	if e := in.edge; e != nil {
		g := newGroup(RoleEdgeInternal, IssuerInternal, lower(e.InternalFQDN), "spec.ocs.edge.internalFQDN")
		g.ocs = true
		g.addServices("Internal")
		out = append(out, g)
	}
	if in.atLeast(v1alpha1.Lync2013) && len(in.sipDomains) > 0 {
		// R-SFB-03, S-SFB-OAUTH: the SIP domain in the subject, assigned once with -Identity global.
		g := newGroup(RoleOAuth, IssuerInternal, in.sipDomains[0], "spec.sipDomains[0]")
		g.ocs = true
		g.addServices("OAuthTokenIssuer")
		out = append(out, g)
	}
	if s := o.OfficeOnlineServer; s != nil && in.atLeast(v1alpha1.Lync2013) {
		// S-OOS-PLAN: the farm FQDN in the SAN, and the external host when both are used (R-SFB-10).
		g := newGroup(RoleOfficeOnline, IssuerInternal, lower(s.InternalFQDN), "spec.ocs.officeOnlineServer.internalFQDN")
		g.names.add(lower(s.ExternalFQDN), "spec.ocs.officeOnlineServer.externalFQDN")
		out = append(out, g)
	}
	return out
}

// webServerCertificate is a front end pool or Director certificate: Default, WebServicesInternal
// and WebServicesExternal on one certificate (R-SFB-03), with the simple URLs, the mobility names
// and, on the sign-in server, sip.<domain> (DOMAIN.md §3.1).
func webServerCertificate(in *input, role, cn, path string, signIn bool) *group {
	g := newGroup(role, IssuerInternal, cn, path)
	g.ocs = true
	g.addServices(webServerTypes...)
	published, admin := in.simpleURLs()
	g.names.addAll(published)
	g.names.addAll(admin)
	mobilityNames(in, &g.names, true)
	if in.automaticSignIn() && signIn {
		addSIPNames(in, &g.names)
	}
	return g
}

// lyncPublicGroups are the public certificates of Lync 2010 and later: the one Edge certificate
// (DOMAIN.md §3.2) and the reverse proxy's (§3.3).
func lyncPublicGroups(in *input) []*group {
	var out []*group
	if e := in.edge; e != nil {
		g := newGroup(RoleEdgeExternal, IssuerPublic, lower(e.AccessFQDN), "spec.ocs.edge.accessFQDN")
		wc, _ := in.webConferencing()
		g.names.add(wc, "spec.ocs.edge.webConferencingFQDN")
		addSIPNames(in, &g.names)
		for _, d := range in.onlineSIPDomains() {
			g.names.add("sip."+d, "spec.ocs.hybrid.onlineSIPDomains") // R-SFB-12
		}
		g.addServices(edgeTypes...)
		if in.xmpp() {
			xmppNames(in, g)
		}
		if e.PublicIMConnectivity {
			g.usages = serverClientUsages // V28
		}
		g.edge = true
		out = append(out, g)
	}
	if rp := in.ocs.ReverseProxy; rp != nil {
		ext, extPath := in.externalWeb()
		g := newGroup(RoleReverseProxy, IssuerPublic, ext, extPath)
		g.names.add(lower(rp.FQDN), "spec.ocs.reverseProxy.fqdn")
		if d := in.ocs.Director; d != nil {
			g.names.add(lower(d.ExternalWebFQDN), "spec.ocs.director.externalWebFQDN")
		}
		published, _ := in.simpleURLs()
		g.names.addAll(published)
		mobilityNames(in, &g.names, false)
		if s := in.ocs.OfficeOnlineServer; s != nil && in.atLeast(v1alpha1.Lync2013) {
			g.names.add(lower(s.ExternalFQDN), "spec.ocs.officeOnlineServer.externalFQDN")
		}
		out = append(out, g)
	}
	for _, g := range out {
		g.ocs = true
	}
	return out
}

// poolAddresses are the addresses of the pool FQDN: every front end of a DNS-load-balanced pool,
// otherwise the pool IP (or the HLB VIP).
func poolAddresses(in *input) []address {
	if !in.dnsLoadBalanced() {
		return []address{{ip: string(in.ocs.PoolIP), path: "spec.ocs.poolIP", rule: "S-OCS-DNS"}}
	}
	out := make([]address, len(in.ocs.FrontEnds))
	for i, fe := range in.ocs.FrontEnds {
		out[i] = address{ip: string(fe.IP), path: fmt.Sprintf("spec.ocs.frontEnds[%d].ip", i), rule: ruleDNSLoadBalancing}
	}
	return out
}

// address is an IP, the field it comes from and the rule of the A record it makes.
type address struct {
	ip, path, rule string
}

// lyncRecords are the Lync/SfB records beyond the OCS set (DOMAIN.md §3.4): the web FQDNs, simple
// URLs inside and outside, lyncdiscover and lyncdiscoverinternal, Office Online Server, and the
// XMPP records of Lync 2013 and SfB 2015.
func lyncRecords(in *input, s *recordSet) {
	o := in.ocs
	rpIP, rpPath := "", "spec.ocs.reverseProxy.ip"
	if o.ReverseProxy != nil {
		rpIP = string(o.ReverseProxy.IP)
	}
	ext, extPath := in.externalWeb()
	s.addA(ViewExternal, ext, extPath, rpIP, rpPath, "§3.4")
	if d := o.Director; d != nil {
		s.addA(ViewExternal, lower(d.ExternalWebFQDN), "spec.ocs.director.externalWebFQDN", rpIP, rpPath, "§3.4")
	}
	published, admin := in.simpleURLs()
	for _, n := range published.names {
		s.addA(ViewExternal, n, published.paths[n], rpIP, rpPath, "S-SFB-SURL")
		s.addA(ViewInternal, n, published.paths[n], string(o.PoolIP), "spec.ocs.poolIP", "S-SFB-SURL")
	}
	for _, n := range admin.names {
		s.addA(ViewInternal, n, admin.paths[n], string(o.PoolIP), "spec.ocs.poolIP", "S-SFB-SURL")
	}
	if in.mobility() {
		discoverIP, discoverPath := string(o.PoolIP), "spec.ocs.poolIP"
		if d := o.Director; d != nil {
			discoverIP, discoverPath = string(d.IP), "spec.ocs.director.ip"
		}
		for i, d := range in.sipDomains {
			path := fmt.Sprintf("spec.sipDomains[%d]", i)
			s.addA(ViewExternal, "lyncdiscover."+d, path, rpIP, rpPath, "S-L13-AUTOD")
			s.addA(ViewInternal, "lyncdiscoverinternal."+d, path, discoverIP, discoverPath, "S-L13-AUTOD")
		}
	}
	if oos := o.OfficeOnlineServer; oos != nil && in.atLeast(v1alpha1.Lync2013) {
		s.addA(ViewInternal, lower(oos.InternalFQDN), "spec.ocs.officeOnlineServer.internalFQDN", string(oos.InternalIP), "spec.ocs.officeOnlineServer.internalIP", "S-SFB-OWAS")
		extIP, extIPPath := string(oos.ExternalIP), "spec.ocs.officeOnlineServer.externalIP"
		if extIP == "" {
			extIP, extIPPath = rpIP, rpPath
		}
		s.addA(ViewExternal, lower(oos.ExternalFQDN), "spec.ocs.officeOnlineServer.externalFQDN", extIP, extIPPath, "S-SFB-OWAS")
	}
	if in.xmpp() {
		xmpp := lower(in.edge.XMPPFQDN)
		for i, d := range in.sipDomains {
			s.addSRV(ViewExternal, "_xmpp-server._tcp."+d, fmt.Sprintf("spec.sipDomains[%d]", i), 5269, xmpp, "§3.4")
		}
		s.addA(ViewExternal, xmpp, "spec.ocs.edge.xmppFQDN", string(in.edge.AccessIP), "spec.ocs.edge.accessIP", "§3.4")
	}
}

// teamsOnlyRecords are exactly Microsoft's four records per SIP domain once every user is in
// Teams (DOMAIN-CURRENT.md §1.6, R-SFB-11), for the deployment's and the tenant's SIP domains.
func teamsOnlyRecords(in *input, s *recordSet) {
	var domains []sipDomain
	for i, d := range in.sipDomains {
		domains = append(domains, sipDomain{d, fmt.Sprintf("spec.sipDomains[%d]", i)})
	}
	onlineRecords(s, append(domains, onlineOnlyDomains(in)...))
}

// sipDomain is a SIP domain and the field it comes from.
type sipDomain struct{ name, path string }

// onlineOnlyDomains are the tenant's SIP domains that are not the deployment's own (R-SFB-12
// excepts *.onmicrosoft.com).
func onlineOnlyDomains(in *input) []sipDomain {
	var out []sipDomain
	for _, d := range in.onlineSIPDomains() {
		if !slices.Contains(in.sipDomains, d) {
			out = append(out, sipDomain{d, "spec.ocs.hybrid.onlineSIPDomains"})
		}
	}
	return out
}

// onlineRecords are Microsoft's four online records of each domain (DOMAIN-CURRENT.md §1.6).
func onlineRecords(s *recordSet, domains []sipDomain) {
	for _, d := range domains {
		s.add(ViewExternal, "_sipfederationtls._tcp."+d.name, d.path, "SRV", "100 1 5061 sipfed."+onlineLyncDomain+".", "R-SFB-11")
		s.add(ViewExternal, "_sip._tls."+d.name, d.path, "SRV", "100 1 443 sipdir."+onlineLyncDomain+".", "R-SFB-11")
		s.add(ViewExternal, "lyncdiscover."+d.name, d.path, "CNAME", "webdir."+onlineLyncDomain+".", "R-SFB-11")
		s.add(ViewExternal, "sip."+d.name, d.path, "CNAME", "sipdir."+onlineLyncDomain+".", "R-SFB-11")
	}
}

// hybridRecords (DOMAIN-CURRENT.md §1.6, R-SFB-11): in hybrid mode the deployment's own SIP
// domains keep pointing on premises, the tenant's online-only SIP domains get Microsoft's four
// online records, and internal clients resolve the Web Conferencing Edge FQDN (at its public
// address: the internal view would otherwise hide it when it holds the zone).
func hybridRecords(in *input, s *recordSet) {
	if !in.lync() || in.ocs.Hybrid == nil || in.ocs.Hybrid.Mode != v1alpha1.Hybrid {
		return
	}
	onlineRecords(s, onlineOnlyDomains(in))
	if in.edge == nil {
		return
	}
	wc, wcIP := in.webConferencing()
	path := "spec.ocs.edge.webConferencingIP"
	if wc == lower(in.edge.AccessFQDN) {
		path = "spec.ocs.edge.accessIP"
	}
	s.addA(ViewInternal, wc, "spec.ocs.edge.webConferencingFQDN", wcIP, path, "R-SFB-11")
}

// microsoftOnline reports a record target that Microsoft 365 serves: it has no address record in
// the plan, and needs none.
func microsoftOnline(target string) bool {
	return strings.HasSuffix(target, "."+onlineLyncDomain)
}
