package plan

import (
	"cmp"
	"fmt"
	"slices"
)

// Listener protocols: how a client reaches the TLS handshake.
const (
	// ProtocolTLS is TLS from the first byte (HTTPS, SIP/TLS, PSOM/TLS).
	ProtocolTLS = "tls"
	// ProtocolSMTPStartTLS is SMTP upgraded with STARTTLS (Exchange hybrid mail flow, R-EX-04).
	ProtocolSMTPStartTLS = "smtp-starttls"
)

// Well-known ports of the listeners (DOMAIN.md §1.5, §3.3, §3.5; DOMAIN-CURRENT.md §2.3).
const (
	portHTTPS       = 443
	portSIPTLS      = 5061 // SIP/MTLS: front ends, Directors, the Edge's both sides (§1.5, §3.5)
	portExternalWeb = 4443 // the reverse proxy's target on the front ends and Directors (§3.3)
	portSMTP        = 25   // hybrid mail flow with Exchange Online (DOMAIN-CURRENT.md §2.3)
)

// listenerSet collects the listeners of one certificate.
type listenerSet struct {
	list []Listener
}

// add appends a TLS listener on each port; rule cites where the port comes from.
func (s *listenerSet) add(view View, ip, serverName, rule string, ports ...int32) {
	for _, p := range ports {
		s.list = append(s.list, Listener{View: view, Address: ip, Port: p, Protocol: ProtocolTLS, ServerName: serverName, Rule: rule})
	}
}

// sorted returns the listeners sorted by view (internal first), address, port, protocol and
// server name, without duplicates: the roles merged into a unified certificate may name one
// listener twice.
func (s *listenerSet) sorted() []Listener {
	out := slices.Clone(s.list)
	slices.SortFunc(out, compareListeners)
	return slices.Compact(out)
}

func compareListeners(a, b Listener) int {
	return cmp.Or(
		cmp.Compare(slices.Index(Views, a.View), slices.Index(Views, b.View)),
		cmp.Compare(a.Address, b.Address),
		cmp.Compare(a.Port, b.Port),
		cmp.Compare(a.Protocol, b.Protocol),
		cmp.Compare(a.ServerName, b.ServerName),
		cmp.Compare(a.Rule, b.Rule),
	)
}

// listenersOf returns the listeners that present the certificate of g: those of its role, or of
// every role merged into a unified certificate.
func listenersOf(in *input, g *group) []Listener {
	var s listenerSet
	roles := g.parts
	if len(roles) == 0 {
		roles = []string{g.role}
	}
	for _, r := range roles {
		roleListeners(in, r, &s)
	}
	return s.sorted()
}

// edgeRule cites the Edge's ports: the OCS 2007 R2 table (§1.5) or Lync and SfB's (§3.5).
func edgeRule(in *input) string {
	if in.lync() {
		return "§3.5"
	}
	return "§1.5"
}

// roleListeners adds the listeners of one certificate role. The OAuth certificate signs tokens
// and the CWA MTLS certificate authenticates the CWA server as a client: neither is served. The
// A/V Edge's external interface has no certificate (§1.2, §3.2), and XMPP (5269) negotiates TLS
// inside XMPP, which the listeners do not model.
func roleListeners(in *input, role string, s *listenerSet) {
	switch role {
	case RolePool:
		poolListeners(in, s)
	case RoleDirector:
		directorListeners(in, s)
	case RoleEdgeInternal:
		edgeInternalListeners(in, s)
	case RoleAVAuthentication:
		// §1.2, §1.5 (V13): the separate A/V Authentication certificate of OCS 2007 R2.
		s.add(ViewInternal, string(in.edge.InternalIP), lower(in.edge.AVFQDN), "§1.5", in.avAuthenticationPort())
	case RoleEdgeExternal:
		lyncEdgeListeners(in, s)
	case RoleAccessEdge:
		accessEdgeListeners(in, s)
		if wc, _ := in.webConferencing(); wc == lower(in.edge.AccessFQDN) {
			// The seed's single-certificate design: Web Conferencing shares the Access Edge's
			// name, so no certificate of its own (§1.2).
			webConferencingListeners(in, s)
		}
	case RoleWebConferencing:
		webConferencingListeners(in, s)
	case RoleReverseProxy:
		reverseProxyListeners(in, s)
	case RoleCWA:
		cwaListeners(in, s)
	case RoleExchange:
		exchangeListeners(in, s)
	case RoleExchangeInternal:
		for _, srv := range in.exchange.Servers {
			// §2.1: the server names are reached inside only; the spec holds no server address.
			s.add(ViewInternal, "", lower(srv.FQDN), "§2.1", portHTTPS)
		}
	case RoleOfficeOnline:
		officeOnlineListeners(in, s)
	}
}

// poolListeners: SIP on 5061 at the pool's addresses (every front end of a DNS-load-balanced
// pool), the internal web services on 443 and, from Lync 2010 on, the external web services on
// 4443 behind the reverse proxy (§1.5, §3.3, §3.4).
func poolListeners(in *input, s *listenerSet) {
	pool := lower(in.ocs.PoolFQDN)
	sipRule, webRule := "§1.5", "§1.5"
	if in.lync() {
		sipRule, webRule = "§3.4", "§3.1" // _sipinternaltls on 5061; the internal web services
	}
	for _, a := range poolAddresses(in) {
		s.add(ViewInternal, a.ip, pool, sipRule, portSIPTLS)
	}
	ip := string(in.ocs.PoolIP)
	s.add(ViewInternal, ip, in.internalWebFQDN(), webRule, portHTTPS)
	if in.lync() {
		ext, _ := in.externalWeb()
		s.add(ViewInternal, ip, cmp.Or(ext, pool), "§3.3", portExternalWeb)
	}
}

// directorListeners: SIP on 5061 (§1.5) and, from Lync 2010 on, the web services on 443 and 4443
// like a front end (§3.1, §3.3).
func directorListeners(in *input, s *listenerSet) {
	d := in.ocs.Director
	fqdn, ip := lower(d.FQDN), string(d.IP)
	s.add(ViewInternal, ip, fqdn, "§1.5", portSIPTLS)
	if in.lync() {
		s.add(ViewInternal, ip, fqdn, "§3.1", portHTTPS)
		s.add(ViewInternal, ip, cmp.Or(lower(d.ExternalWebFQDN), fqdn), "§3.3", portExternalWeb)
	}
}

// edgeInternalListeners: the Edge's internal interface, SIP/MTLS on 5061 and PSOM/MTLS from the
// front ends on the Web Conferencing internal port (§1.5, §3.5, V14).
func edgeInternalListeners(in *input, s *listenerSet) {
	e := in.edge
	s.add(ViewInternal, string(e.InternalIP), lower(e.InternalFQDN), edgeRule(in), portSIPTLS, in.webConferencingInternalPort())
}

// accessEdgePorts are the Access Edge's external ports (§1.5, §3.5): 443 for remote users and
// 5061 for federation and public IM connectivity; on a single-IP Edge, where the A/V Edge holds
// 443, SIP is on 5061 alone.
func accessEdgePorts(in *input) []int32 {
	e := in.edge
	if e.AccessIP != "" && e.AVIP == e.AccessIP {
		return []int32{portSIPTLS}
	}
	ports := []int32{portHTTPS}
	if in.federation() || e.PublicIMConnectivity {
		ports = append(ports, portSIPTLS)
	}
	return ports
}

// accessEdgeListeners: the Access Edge's external interface (§1.2, §1.5).
func accessEdgeListeners(in *input, s *listenerSet) {
	e := in.edge
	s.add(ViewExternal, string(e.AccessIP), lower(e.AccessFQDN), edgeRule(in), accessEdgePorts(in)...)
}

// webConferencingListeners: the Web Conferencing Edge on 443, or 444 when it shares the Access
// Edge's address (§1.5, V11); its address is the Access Edge's when it shares its name.
func webConferencingListeners(in *input, s *listenerSet) {
	if wc, ip := in.webConferencing(); wc != "" {
		s.add(ViewExternal, ip, wc, edgeRule(in), in.webConferencingPort())
	}
}

// lyncEdgeListeners: the one public Edge certificate of Lync 2010 on serves the Access and Web
// Conferencing Edges and A/V Authentication on the internal interface (§3.2, §3.5).
func lyncEdgeListeners(in *input, s *listenerSet) {
	accessEdgeListeners(in, s)
	webConferencingListeners(in, s)
	e := in.edge
	s.add(ViewInternal, string(e.InternalIP), lower(e.AccessFQDN), "§3.5", in.avAuthenticationPort())
}

// reverseProxyListeners: the published web farm on 443 (§1.3) and, from Lync 2010 on, the
// Director's external web services on a listener of their own (§3.3).
func reverseProxyListeners(in *input, s *listenerSet) {
	ip := string(in.ocs.ReverseProxy.IP)
	name := lower(in.ocs.ReverseProxy.FQDN)
	if in.lync() {
		name, _ = in.externalWeb()
		if d := in.ocs.Director; d != nil && d.ExternalWebFQDN != "" {
			s.add(ViewExternal, ip, lower(d.ExternalWebFQDN), "§3.3", portHTTPS)
		}
	}
	s.add(ViewExternal, ip, name, "§1.3", portHTTPS)
}

// cwaListeners: the CWA site on 443 outside and, when internal users have an address, inside
// (R-CWA).
func cwaListeners(in *input, s *listenerSet) {
	c := in.ocs.CommunicatorWebAccess
	s.add(ViewExternal, string(c.IP), lower(c.FQDN), "R-CWA", portHTTPS)
	if c.InternalIP != "" {
		s.add(ViewInternal, string(c.InternalIP), lower(c.FQDN), "R-CWA", portHTTPS)
	}
}

// exchangeListeners: the Client Access namespace on 443 inside and outside (§2.1, §2.2) and, in
// hybrid, SMTP with STARTTLS on 25 where the MX records point: the same certificate carries the
// mail flow with Exchange Online (DOMAIN-CURRENT.md §2.3, S-EX-HYBPRE, R-EX-04).
func exchangeListeners(in *input, s *listenerSet) {
	x := in.exchange
	ext := lower(x.ExternalFQDN)
	s.add(ViewInternal, string(x.InternalIP), ext, "§2.2", portHTTPS)
	s.add(ViewExternal, string(x.ExternalIP), ext, "§2.2", portHTTPS)
	if x.Hybrid {
		s.list = append(s.list, Listener{View: ViewExternal, Address: string(x.ExternalIP), Port: portSMTP,
			Protocol: ProtocolSMTPStartTLS, ServerName: ext, Rule: "S-EX-HYBPRE"})
	}
}

// officeOnlineListeners: the farm on 443 at its internal address, and outside when it has a
// public address of its own; otherwise the reverse proxy publishes it with its own certificate
// (DOMAIN-CURRENT.md §1.4, S-OOS-PLAN, R-SFB-10).
func officeOnlineListeners(in *input, s *listenerSet) {
	o := in.ocs.OfficeOnlineServer
	s.add(ViewInternal, string(o.InternalIP), lower(o.InternalFQDN), "S-OOS-PLAN", portHTTPS)
	if o.ExternalIP != "" && o.ExternalFQDN != "" {
		s.add(ViewExternal, string(o.ExternalIP), lower(o.ExternalFQDN), "S-OOS-PLAN", portHTTPS)
	}
}

// String names a listener in messages: "view address:port serverName", "-" for an unknown address.
func (l Listener) String() string {
	addr := l.Address
	if addr == "" {
		addr = "-"
	}
	return fmt.Sprintf("%s %s:%d %s", l.View, addr, l.Port, l.ServerName)
}
