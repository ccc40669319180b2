package plan

import (
	"fmt"
	"slices"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// Certificate roles. The Certificate name is <deployment>-<role>.
const (
	RolePool             = "pool"
	RoleDirector         = "director"
	RoleEdgeInternal     = "edge-internal"
	RoleAVAuthentication = "av-auth"
	RoleCWAInternal      = "cwa-internal"
	RoleExchangeInternal = "exchange-internal"
	RoleUnified          = "unified"
	RoleAccessEdge       = "access-edge"
	RoleWebConferencing  = "webconf-edge"
	RoleReverseProxy     = "reverse-proxy"
	RoleCWA              = "cwa"
	RoleExchange         = "exchange"
)

// Key usages (cert-manager names). Every server certificate needs Server Authentication
// (S-OCS-CERTINFRA); the Access Edge needs Client Authentication too for AOL PIC (V28).
var (
	serverUsages       = []string{"digital signature", "key encipherment", "server auth"}
	serverClientUsages = []string{"digital signature", "key encipherment", "server auth", "client auth"}
)

// nameList is an ordered set of DNS names, each remembering the spec field it came from.
type nameList struct {
	names []string
	paths map[string]string
}

func (l *nameList) add(name, path string) {
	if name == "" {
		return
	}
	if l.paths == nil {
		l.paths = map[string]string{}
	}
	if _, dup := l.paths[name]; dup {
		return
	}
	l.paths[name] = path
	l.names = append(l.names, name)
}

func (l *nameList) addAll(other nameList) {
	for _, n := range other.names {
		l.add(n, other.paths[n])
	}
}

// group is a certificate in the making.
type group struct {
	role       string
	issuer     string
	commonName string
	names      nameList
	usages     []string
	services   []string // binding names in the product's own words, sorted
	parts      []string // the roles merged into a unified certificate, in merge order
	ocs        bool     // carries OCS/Lync/SfB names: wildcards are limited (V2, V3, V4)
	edge       bool     // carries the Lync/SfB Edge names: no wildcard but XMPP's (V4)
}

// addServices adds binding names, keeping the list sorted and without duplicates.
func (g *group) addServices(services ...string) {
	g.services = append(g.services, services...)
	slices.Sort(g.services)
	g.services = slices.Compact(g.services)
}

// ordered returns the subject alternative names: the CN first (V6, R-SN-FIRST-SAN), then the
// other FQDNs sorted, then wildcards sorted (V5).
func (g *group) ordered() []string {
	var fqdns, wild []string
	for _, n := range g.names.names {
		switch {
		case n == g.commonName:
		case isWildcard(n):
			wild = append(wild, n)
		default:
			fqdns = append(fqdns, n)
		}
	}
	sort.Strings(fqdns)
	sort.Strings(wild)
	out := make([]string, 0, len(g.names.names)+1)
	out = append(out, g.commonName)
	out = append(out, fqdns...)
	return append(out, wild...)
}

// internalGroups are the certificates of internal roles, signed by the enterprise CA (§4 split, rule 2).
func internalGroups(in *input) []*group {
	var out []*group
	switch {
	case !in.onPremises():
	case in.lync():
		out = lyncInternalGroups(in)
	default:
		out = ocsInternalGroups(in)
	}
	if x := in.exchange; x != nil && x.IncludeServerNames && len(x.Servers) > 0 {
		// §2.1 + §4 rule 3: server FQDNs and NetBIOS names only on an internal-CA certificate.
		g := newGroup(RoleExchangeInternal, IssuerInternal, lower(x.Servers[0].FQDN), "spec.exchange.servers[0].fqdn")
		for i, s := range x.Servers {
			g.names.add(lower(s.FQDN), fmt.Sprintf("spec.exchange.servers[%d].fqdn", i))
			g.names.add(lower(s.NetBIOSName), fmt.Sprintf("spec.exchange.servers[%d].netbiosName", i))
		}
		g.addServices("IIS")
		out = append(out, g)
	}
	return out
}

// ocsInternalGroups are the internal certificates of OCS 2007 R2 (DOMAIN.md §1.1, §1.2).
func ocsInternalGroups(in *input) []*group {
	out := []*group{poolCertificate(in)}
	if d := in.ocs.Director; d != nil {
		out = append(out, directorCertificate(in, d))
	}
	if e := in.edge; e != nil {
		// §1.2: the edge internal interface: SN = internal FQDN, no other SAN (V16).
		g := newGroup(RoleEdgeInternal, IssuerInternal, lower(e.InternalFQDN), "spec.ocs.edge.internalFQDN")
		out = append(out, g)
		if av := lower(e.AVFQDN); av != "" && !in.sharesAccessOrWebConferencingName(av) {
			// §1.2: a separate A/V Authentication certificate "as a security precaution";
			// the SN rule is UNCERTAIN, the A/V FQDN is the common practice. An A/V Edge
			// named like the Access or Web Conferencing Edge is an EdgePortConflict (V12),
			// and its certificate would carry their subject: it is left out.
			out = append(out, newGroup(RoleAVAuthentication, IssuerInternal, lower(e.AVFQDN), "spec.ocs.edge.avFQDN"))
		}
	}
	if c := in.ocs.CommunicatorWebAccess; c != nil && c.ServerFQDN != "" {
		// R-CWA: the MTLS certificate carries the CWA server FQDN; it never goes public (V1).
		out = append(out, newGroup(RoleCWAInternal, IssuerInternal, lower(c.ServerFQDN), "spec.ocs.communicatorWebAccess.serverFQDN"))
	}
	return out
}

// poolCertificate is the Standard Edition server or Enterprise pool certificate (R-OCS-SE, R-OCS-EE).
func poolCertificate(in *input) *group {
	g := newGroup(RolePool, IssuerInternal, lower(in.ocs.PoolFQDN), "spec.ocs.poolFQDN")
	g.ocs = true
	// V18: the internal web farm FQDN must be on the certificate when it differs from the pool FQDN.
	g.names.add(in.internalWebFQDN(), "spec.ocs.internalWebFQDN")
	if in.ocs.Edition == v1alpha1.EnterpriseEdition && in.ocs.FrontEndNamesOnPoolCertificate {
		// R-OCS-FE-SAN (UNCERTAIN, opt-in).
		for i, fe := range in.ocs.FrontEnds {
			g.names.add(lower(fe.FQDN), fmt.Sprintf("spec.ocs.frontEnds[%d].fqdn", i))
		}
	}
	if in.automaticSignIn() && in.ocs.AutomaticSignInTarget != v1alpha1.SignInDirector {
		addSIPNames(in, &g.names)
	}
	return g
}

// directorCertificate is the Director certificate (R-OCS-DIR): sip.<domain> only when it is the
// sign-in target.
func directorCertificate(in *input, d *v1alpha1.DirectorSpec) *group {
	g := newGroup(RoleDirector, IssuerInternal, lower(d.FQDN), "spec.ocs.director.fqdn")
	g.ocs = true
	if in.automaticSignIn() && in.ocs.AutomaticSignInTarget == v1alpha1.SignInDirector {
		addSIPNames(in, &g.names)
	}
	return g
}

// addSIPNames adds sip.<domain> for every SIP domain (R-OCS-SE, V7).
func addSIPNames(in *input, names *nameList) {
	for i, d := range in.sipDomains {
		names.add("sip."+d, fmt.Sprintf("spec.sipDomains[%d]", i))
	}
}

// publicGroups are the certificates of the names the Internet sees (§4 split, rule 1), one per
// role; the Unified strategy merges them into the seed article's single certificate.
func publicGroups(in *input) []*group {
	var roles []*group
	switch {
	case !in.onPremises():
	case in.lync():
		roles = lyncPublicGroups(in)
	default:
		roles = ocsPublicGroups(in)
	}
	if x := in.exchange; x != nil {
		roles = append(roles, exchangeCertificate(in, x))
	}
	if in.certs.Strategy == v1alpha1.PerRole || len(roles) <= 1 {
		return roles
	}
	// The unified CN is the Access Edge FQDN, or the Exchange external FQDN when there is no edge.
	head := roles[0]
	if in.edge == nil && in.exchange != nil {
		head = roles[len(roles)-1]
	}
	unified := newGroup(RoleUnified, IssuerPublic, head.commonName, head.names.paths[head.commonName])
	for _, g := range roles {
		unified.names.addAll(g.names)
		unified.ocs = unified.ocs || g.ocs
		unified.edge = unified.edge || g.edge
		unified.addServices(g.services...)
		unified.parts = append(unified.parts, g.role)
		if len(g.usages) > len(unified.usages) {
			unified.usages = g.usages
		}
	}
	return []*group{unified}
}

// ocsPublicGroups are the public certificates of OCS 2007 R2: Access Edge, Web Conferencing Edge,
// reverse proxy and CWA (DOMAIN.md §1.2, §1.3).
func ocsPublicGroups(in *input) []*group {
	var roles []*group
	if e := in.edge; e != nil {
		// §1.2: Access Edge SN = its external FQDN, SAN sip.<domain> per SIP domain (V7).
		g := newGroup(RoleAccessEdge, IssuerPublic, lower(e.AccessFQDN), "spec.ocs.edge.accessFQDN")
		addSIPNames(in, &g.names)
		if e.PublicIMConnectivity {
			g.usages = serverClientUsages // V28
		}
		roles = append(roles, g)
		if wc, _ := in.webConferencing(); wc != "" && wc != g.commonName {
			roles = append(roles, newGroup(RoleWebConferencing, IssuerPublic, wc, "spec.ocs.edge.webConferencingFQDN"))
		}
		// The A/V Edge external interface has no certificate (§1.2).
	}
	if rp := in.ocs.ReverseProxy; rp != nil {
		// §1.3: SN = external web farm FQDN.
		roles = append(roles, newGroup(RoleReverseProxy, IssuerPublic, lower(rp.FQDN), "spec.ocs.reverseProxy.fqdn"))
	}
	if c := in.ocs.CommunicatorWebAccess; c != nil {
		// R-CWA: the CWA URL plus as.<url> and download.<url>.
		url := lower(c.FQDN)
		g := newGroup(RoleCWA, IssuerPublic, url, "spec.ocs.communicatorWebAccess.fqdn")
		g.names.add("as."+url, "spec.ocs.communicatorWebAccess.fqdn")
		g.names.add("download."+url, "spec.ocs.communicatorWebAccess.fqdn")
		roles = append(roles, g)
	}
	for _, g := range roles {
		g.ocs = true
	}
	return roles
}

// exchangeCertificate is the Client Access certificate (§2.1): the external namespace,
// autodiscover.<domain> per SMTP domain unless SRV records replace it (V23), the legacy
// namespace, and any additional names. The CAS array FQDN never goes on it (V22).
func exchangeCertificate(in *input, x *v1alpha1.ExchangeSpec) *group {
	g := newGroup(RoleExchange, IssuerPublic, lower(x.ExternalFQDN), "spec.exchange.externalFQDN")
	if x.Autodiscover != v1alpha1.AutodiscoverSRV {
		for i, d := range in.smtpDomains {
			g.names.add("autodiscover."+d, fmt.Sprintf("%s[%d]", in.smtpPath, i))
		}
	}
	g.names.add(lower(x.LegacyFQDN), "spec.exchange.legacyFQDN")
	for i, n := range x.AdditionalNames {
		g.names.add(lower(n), fmt.Sprintf("spec.exchange.additionalNames[%d]", i))
	}
	// The client access services (S-EX-CERTS); in hybrid the same public certificate carries
	// the mail flow with Exchange Online (R-EX-04).
	g.addServices("IIS")
	if x.Hybrid {
		g.addServices("SMTP")
	}
	return g
}

func newGroup(role, issuer, cn, path string) *group {
	g := &group{role: role, issuer: issuer, commonName: cn, usages: serverUsages}
	g.names.add(cn, path)
	return g
}

// certificateFor turns a group into the planned Certificate.
func certificateFor(deployment string, in *input, g *group) Certificate {
	name := deployment + "-" + g.role
	return Certificate{
		Name:         name,
		Role:         g.role,
		Issuer:       g.issuer,
		CommonName:   g.commonName,
		DNSNames:     g.ordered(),
		SecretName:   name + "-tls",
		Usages:       usagesFor(in, g),
		Services:     slices.Clone(g.services),
		KeyAlgorithm: in.keyAlgorithm(),
		KeySize:      in.keySize(),
		Duration:     metav1.Duration{Duration: in.lifetime(g.issuer)},
		Listeners:    listenersOf(in, g),
	}
}
