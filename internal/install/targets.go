package install

import (
	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"slices"
)

// place is one row of the table of places: where a certificate is installed, on which product,
// and, for a product without a binding cmdlet, the assignment step people take by hand.
type place struct {
	// name is the script's -Target value.
	name string
	// present reports whether the spec has this place.
	present func(*v1alpha1.UCDeploymentSpec) bool
	// product is the software there.
	product func(*v1alpha1.UCDeploymentSpec) Product
	// servers returns the FQDNs to run the script on, and a note when they need one.
	servers func(*v1alpha1.UCDeploymentSpec) ([]string, string)
	// services are the binding names this place uses, of those the plan names for the
	// certificate: Enable-ExchangeCertificate -Services on the Exchange servers (IIS, and SMTP in
	// hybrid, R-EX-04), Set-CsCertificate -Type on Lync and Skype for Business servers (R-SFB-03).
	services []string
	// assign is the manual assignment step of OCS 2007 R2 and the reverse proxy, printed by the
	// script after the import.
	assign []string
}

// target returns the place as a Target of the spec for the planned certificate c.
func (p place) target(spec *v1alpha1.UCDeploymentSpec, c plan.Certificate) Target {
	servers, note := p.servers(spec)
	if servers == nil {
		servers = []string{}
	}
	t := Target{Name: p.name, Product: p.product(spec), Servers: servers, Note: note}
	for _, svc := range c.Services {
		if slices.Contains(p.services, svc) {
			t.Services = append(t.Services, svc)
		}
	}
	return t
}

// OCS 2007 R2 has no cmdlet that assigns a certificate (DOMAIN.md §1.1: the Certificate Wizard
// and IIS by hand). The menu paths below follow the OCS 2007 R2 administration tools as the
// TechNet pages describe them; the exact labels are [UNCERTAIN] (not in DOMAIN.md).
const (
	wizardStep = "Run the OCS 2007 R2 Certificate Wizard on this server (Office Communications Server 2007 R2 snap-in: the server > Properties > Certificates), choose 'Assign an existing certificate' and select the certificate with the thumbprint above"
	edgeWizard = "Run the Certificate Wizard on the Edge Server (Computer Management > Services and Applications > Office Communications Server 2007 R2 > Properties > Certificates), choose 'Assign an existing certificate' and select the certificate with the thumbprint above"
	edgeReboot = "Restart the Office Communications Server services of the Edge (Access Edge, Web Conferencing Edge, A/V Edge, A/V Authentication) so that they use it"
	// Renewal: OCS 2007 R2 has no -Roll; the A/V Authentication certificate must be the same on
	// every Edge of an array (DOMAIN.md §1.2), so replace it on all of them in one window.
	avArray = "In an array of Edge Servers every member must hold this same certificate and key (DOMAIN.md §1.2): run this script on each Edge in the same maintenance window"
)

// Set-CsCertificate -Type values of each place (DOMAIN-CURRENT.md §1.3).
var (
	frontEndTypes = []string{"Default", "WebServicesExternal", "WebServicesInternal"}
	edgeTypes     = []string{"AccessEdgeExternal", "AudioVideoAuthentication", "DataEdgeExternal", "Internal", "XMPPServer"}
)

// Places. Each is used by one or more roles below.
var (
	frontEnd = place{
		name: "front-end", present: hasOCS, product: ocs, servers: frontEnds, services: frontEndTypes,
		assign: []string{
			wizardStep,
			"IIS Manager: assign the same certificate to the Web Components web site (R-OCS-SE: the wizard does not)",
		},
	}
	director = place{
		name: "director", present: func(s *v1alpha1.UCDeploymentSpec) bool { return s.OCS != nil && s.OCS.Director != nil },
		product: ocs, servers: func(s *v1alpha1.UCDeploymentSpec) ([]string, string) {
			return []string{string(s.OCS.Director.FQDN)}, ""
		},
		services: frontEndTypes,
		assign:   []string{wizardStep, "IIS Manager: assign the same certificate to the Director's web site"},
	}
	// oauth is the global OAuthTokenIssuer certificate: assigned once, on one front end, and
	// replicated by the Central Management Store (S-SFB-OAUTH).
	oauth = place{
		name: "oauth", present: hasOCS, product: ocs, services: []string{"OAuthTokenIssuer"},
		servers: func(s *v1alpha1.UCDeploymentSpec) ([]string, string) {
			fes, _ := frontEnds(s)
			return fes[:1], "one front end only: the Central Management Store replicates the global OAuthTokenIssuer certificate to every server"
		},
	}
	officeOnline = place{
		name: "office-online", present: func(s *v1alpha1.UCDeploymentSpec) bool { return s.OCS != nil && s.OCS.OfficeOnlineServer != nil },
		product: func(*v1alpha1.UCDeploymentSpec) Product { return OfficeOnlineServer },
		servers: func(s *v1alpha1.UCDeploymentSpec) ([]string, string) {
			return []string{string(s.OCS.OfficeOnlineServer.InternalFQDN)}, "the farm FQDN: run the script on every Office Online Server of the farm (or import it on the load balancer that offloads SSL)"
		},
	}
	edgeInternal = edgePlace("edge", "for the internal interface of the Edge (Access, Web Conferencing and A/V Edge share it)")
	edgeAV       = edgePlace("edge", "as the A/V Authentication certificate", avArray)
	accessEdge   = edgePlace("edge", "for the external interface of the Access Edge")
	webConfEdge  = edgePlace("edge", "for the external interface of the Web Conferencing Edge")
	edgeExternal = edgePlace("edge", "for the external interfaces of the Access Edge and of the Web Conferencing Edge (the A/V Edge's external interface needs none)")
	reverseProxy = place{
		name: "reverse-proxy", present: func(s *v1alpha1.UCDeploymentSpec) bool { return s.OCS != nil && s.OCS.ReverseProxy != nil },
		product: func(*v1alpha1.UCDeploymentSpec) Product { return ReverseProxy },
		servers: func(s *v1alpha1.UCDeploymentSpec) ([]string, string) {
			name := s.OCS.ReverseProxy.FQDN
			if name == "" {
				name = s.OCS.ExternalWebFQDN
			}
			return []string{string(name)}, "the published external web farm name: run the script on the reverse proxy computer that publishes it"
		},
		assign: []string{
			"ISA Server 2006 / Forefront TMG Management: Firewall Policy > the web listener of the OCS publishing rule > Properties > Certificates > Select Certificate: choose the certificate with the thumbprint above, then Apply (another reverse proxy: select it on the HTTPS listener that publishes the names above)",
		},
	}
	cwaServer = place{
		name: "cwa-server", present: func(s *v1alpha1.UCDeploymentSpec) bool {
			return s.OCS != nil && s.OCS.CommunicatorWebAccess != nil && s.OCS.CommunicatorWebAccess.ServerFQDN != ""
		},
		product: ocs, servers: func(s *v1alpha1.UCDeploymentSpec) ([]string, string) {
			return []string{string(s.OCS.CommunicatorWebAccess.ServerFQDN)}, ""
		},
		assign: []string{"Communicator Web Access Manager: the CWA server > Properties > Certificate: select the certificate with the thumbprint above as the MTLS certificate (R-CWA)"},
	}
	cwaSite = place{
		name: "cwa", present: func(s *v1alpha1.UCDeploymentSpec) bool { return s.OCS != nil && s.OCS.CommunicatorWebAccess != nil },
		product: ocs, servers: cwaServers,
		assign: []string{"IIS Manager: the CWA virtual server's web site > Server Certificate: select the certificate with the thumbprint above (R-CWA)"},
	}
	exchangeCAS = place{
		name: "exchange", present: func(s *v1alpha1.UCDeploymentSpec) bool { return s.Exchange != nil },
		product: exchange, servers: exchangeServers,
		// The Client Access names (OWA, EAS, EWS, OAB, Outlook Anywhere, Autodiscover) are served
		// by IIS; in hybrid the same certificate carries mail flow (SMTP). The plan says which.
		services: []string{"IIS", "IMAP", "POP", "SMTP"},
	}
)

// targets is the table of roles: where each planned role's certificate is installed. A role
// listed with several places (unified) gets a script with a -Target parameter.
var targets = map[string][]place{
	plan.RolePool:             {frontEnd},
	plan.RoleDirector:         {director},
	plan.RoleEdgeInternal:     {edgeInternal},
	plan.RoleAVAuthentication: {edgeAV},
	plan.RoleCWAInternal:      {cwaServer},
	plan.RoleExchangeInternal: {exchangeCAS},
	plan.RoleAccessEdge:       {accessEdge},
	plan.RoleWebConferencing:  {webConfEdge},
	plan.RoleReverseProxy:     {reverseProxy},
	plan.RoleCWA:              {cwaSite},
	plan.RoleExchange:         {exchangeCAS},
	plan.RoleEdgeExternal:     {edgeExternal},
	plan.RoleOAuth:            {oauth},
	plan.RoleOfficeOnline:     {officeOnline},
	// The seed article's single public certificate goes wherever a public name is served.
	plan.RoleUnified: {edgeExternal, reverseProxy, cwaSite, exchangeCAS},
}

// edgePlace is the Edge Server, where the certificate is assigned with the Certificate Wizard.
func edgePlace(name, purpose string, more ...string) place {
	return place{
		name: name, present: func(s *v1alpha1.UCDeploymentSpec) bool { return s.OCS != nil && s.OCS.Edge != nil },
		product: ocs,
		servers: func(s *v1alpha1.UCDeploymentSpec) ([]string, string) {
			return []string{string(s.OCS.Edge.InternalFQDN)}, "the Edge Server, by its internal FQDN"
		},
		services: edgeTypes,
		assign:   append([]string{edgeWizard + " " + purpose, edgeReboot}, more...),
	}
}

func hasOCS(s *v1alpha1.UCDeploymentSpec) bool { return s.OCS != nil }

// ocs is the product of the spec's OCS family release: OCS 2007 R2 (the default), or Lync and
// Skype for Business Server, which bind with Set-CsCertificate.
func ocs(s *v1alpha1.UCDeploymentSpec) Product {
	if s.OCS.Version == "" || s.OCS.Version == v1alpha1.OCS2007R2 {
		return OCS2007R2
	}
	return SkypeForBusiness
}

// exchange is the product of the spec's Exchange version (2010 by default).
func exchange(s *v1alpha1.UCDeploymentSpec) Product {
	if s.Exchange.Version == v1alpha1.Exchange2007 {
		return Exchange2007
	}
	return Exchange2010
}

// frontEnds are the Standard Edition server, or every front end of an Enterprise pool.
func frontEnds(s *v1alpha1.UCDeploymentSpec) ([]string, string) {
	if s.OCS.Edition == v1alpha1.EnterpriseEdition {
		if len(s.OCS.FrontEnds) == 0 {
			return []string{string(s.OCS.PoolFQDN)}, "the pool FQDN: spec.ocs.frontEnds lists no front end; run the script on every front end of the pool"
		}
		out := make([]string, len(s.OCS.FrontEnds))
		for i, fe := range s.OCS.FrontEnds {
			out[i] = string(fe.FQDN)
		}
		return out, ""
	}
	return []string{string(s.OCS.PoolFQDN)}, ""
}

// cwaServers is the CWA server, or the CWA URL when the spec names no server.
func cwaServers(s *v1alpha1.UCDeploymentSpec) ([]string, string) {
	c := s.OCS.CommunicatorWebAccess
	if c.ServerFQDN != "" {
		return []string{string(c.ServerFQDN)}, ""
	}
	return []string{string(c.FQDN)}, "the CWA URL: spec.ocs.communicatorWebAccess.serverFQDN is not set; run the script on the CWA server"
}

// exchangeServers are every Exchange server of the spec.
func exchangeServers(s *v1alpha1.UCDeploymentSpec) ([]string, string) {
	if len(s.Exchange.Servers) == 0 {
		return nil, "spec.exchange.servers lists no server: run the script on every Exchange Client Access server"
	}
	out := make([]string, len(s.Exchange.Servers))
	for i, x := range s.Exchange.Servers {
		out[i] = string(x.FQDN)
	}
	return out, ""
}
