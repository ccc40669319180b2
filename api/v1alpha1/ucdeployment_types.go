package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FQDN is a fully qualified domain name written in lowercase without a trailing dot.
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="self.matches('^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?[.])+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$')",message="must be a lowercase fully qualified domain name: dot-separated labels of letters, digits and hyphens, each 1-63 characters, no wildcard and no trailing dot (for example pool01.contoso.local)"
type FQDN string

// DNSName is a lowercase fully qualified domain name that may start with a "*." wildcard label.
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="self.matches('^([*][.])?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?[.])+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$')",message="must be a lowercase fully qualified domain name, optionally starting with a '*.' wildcard label, no trailing dot (for example imap.contoso.com or *.contoso.com)"
type DNSName string

// IPv4Address is a dotted-quad IPv4 address. OCS 2007 R2 does not support IPv6. The unspecified
// address 0.0.0.0 and the broadcast address 255.255.255.255 are refused: clients cannot reach
// either where DNS publishes it.
// +kubebuilder:validation:MaxLength=15
// +kubebuilder:validation:XValidation:rule="isIP(self) && ip(self).family() == 4",message="must be an IPv4 address such as 10.0.0.10"
// +kubebuilder:validation:XValidation:rule="!isIP(self) || !(ip(self).isUnspecified() || self == '255.255.255.255')",message="must not be 0.0.0.0 or 255.255.255.255: clients cannot reach a published unspecified or broadcast address"
type IPv4Address string

// NetBIOSName is a single-label Windows computer name of at most 15 characters.
// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][-A-Za-z0-9]{0,14}$`
type NetBIOSName string

// Port is a TCP or UDP port number.
// +kubebuilder:validation:Minimum=1
// +kubebuilder:validation:Maximum=65535
type Port int32

// UCDeploymentSpec describes one unified communications deployment: the OCS pool and its
// edge, the Exchange organisation, and how their certificates and DNS records are produced.
// +kubebuilder:validation:XValidation:rule="has(self.ocs) || has(self.exchange)",message="at least one of ocs or exchange must be set"
// +kubebuilder:validation:XValidation:rule="!has(self.ocs) || (has(self.sipDomains) && size(self.sipDomains) > 0)",message="sipDomains must list at least one SIP domain when ocs is set"
// +kubebuilder:validation:XValidation:rule="!has(self.exchange) || (has(self.exchange.smtpDomains) && size(self.exchange.smtpDomains) > 0) || (has(self.sipDomains) && size(self.sipDomains) > 0)",message="exchange needs at least one SMTP domain: set exchange.smtpDomains (it defaults to sipDomains)"
type UCDeploymentSpec struct {
	// SIPDomains are the OCS SIP domains; the first one is the primary domain. Each gets its
	// sign-in and federation SRV records and a sip.<domain> name on the edge certificate.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=250
	SIPDomains []FQDN `json:"sipDomains,omitempty"`

	// OCS describes the deployment of the product family Office Communications Server 2007 R2,
	// Lync Server 2010/2013 and Skype for Business Server 2015/2019/SE (ocs.version says which).
	// Absent for an Exchange-only deployment.
	// +optional
	OCS *OCSSpec `json:"ocs,omitempty"`

	// Exchange describes the Exchange organisation (2007 to Subscription Edition). Absent for an
	// OCS-only deployment.
	// +optional
	Exchange *ExchangeSpec `json:"exchange,omitempty"`

	// Certificates says how certificates are grouped and which cert-manager issuers sign them.
	// +optional
	// +kubebuilder:default={}
	Certificates CertificatesSpec `json:"certificates,omitempty"`

	// DNS says how the DNS records are published.
	// +optional
	// +kubebuilder:default={}
	DNS DNSSpec `json:"dns,omitempty"`
}

// OCSVersion names a release of the family Office Communications Server, Lync Server, Skype for
// Business Server.
// +kubebuilder:validation:Enum=OCS2007R2;Lync2010;Lync2013;SfB2015;SfB2019;SfBSE
type OCSVersion string

const (
	// OCS2007R2 is Office Communications Server 2007 R2.
	OCS2007R2 OCSVersion = "OCS2007R2"
	// Lync2010 is Lync Server 2010.
	Lync2010 OCSVersion = "Lync2010"
	// Lync2013 is Lync Server 2013.
	Lync2013 OCSVersion = "Lync2013"
	// SfB2015 is Skype for Business Server 2015, the last release with XMPP federation.
	SfB2015 OCSVersion = "SfB2015"
	// SfB2019 is Skype for Business Server 2019.
	SfB2019 OCSVersion = "SfB2019"
	// SfBSE is Skype for Business Server Subscription Edition, planned like 2019 (R-SFB-02).
	SfBSE OCSVersion = "SfBSE"
)

// HybridMode says where the users of a Lync/Skype for Business deployment are homed.
// +kubebuilder:validation:Enum=OnPremises;Hybrid;TeamsOnly
type HybridMode string

const (
	// OnPremises: every user is homed on premises.
	OnPremises HybridMode = "OnPremises"
	// Hybrid: users are split between the pools and Microsoft 365; every external record still
	// points on premises (DOMAIN-CURRENT.md §1.6).
	Hybrid HybridMode = "Hybrid"
	// TeamsOnly: no user remains on premises; DNS points at Microsoft 365 (R-SFB-11).
	TeamsOnly HybridMode = "TeamsOnly"
)

// OCSEdition is the OCS edition: a single Standard Edition server or an Enterprise pool.
// +kubebuilder:validation:Enum=Standard;Enterprise
type OCSEdition string

const (
	// StandardEdition is a single OCS Standard Edition server with all roles collocated.
	StandardEdition OCSEdition = "Standard"
	// EnterpriseEdition is an OCS Enterprise pool of front-end servers behind a load balancer.
	EnterpriseEdition OCSEdition = "Enterprise"
)

// SignInTarget names the server that the _sipinternaltls._tcp records designate for automatic sign-in.
// +kubebuilder:validation:Enum=Pool;Director
type SignInTarget string

const (
	// SignInPool designates the Standard Edition server or Enterprise pool.
	SignInPool SignInTarget = "Pool"
	// SignInDirector designates the Director.
	SignInDirector SignInTarget = "Director"
)

// OCSSpec describes a deployment of the family OCS 2007 R2, Lync Server 2010/2013 and Skype for
// Business Server 2015/2019/SE. The fields marked "Lync2010 on" are rejected on OCS2007R2.
// +kubebuilder:validation:XValidation:rule="self.edition == 'Enterprise' || !has(self.frontEnds)",message="frontEnds is only valid with edition Enterprise: a Standard Edition deployment is a single server (poolFQDN)"
// +kubebuilder:validation:XValidation:rule="!has(self.automaticSignInTarget) || self.automaticSignInTarget != 'Director' || has(self.director)",message="automaticSignInTarget Director needs a director"
// +kubebuilder:validation:XValidation:rule="self.version != 'OCS2007R2' || !has(self.externalWebFQDN)",message="externalWebFQDN needs version Lync2010 or later: OCS 2007 R2 names its external web farm with reverseProxy.fqdn"
// +kubebuilder:validation:XValidation:rule="self.version != 'OCS2007R2' || !has(self.simpleURLs)",message="simpleURLs needs version Lync2010 or later: OCS 2007 R2 has no simple URLs"
// +kubebuilder:validation:XValidation:rule="self.version != 'OCS2007R2' || !has(self.mobility)",message="mobility needs version Lync2010 or later: OCS 2007 R2 has no mobility service (lyncdiscover)"
// +kubebuilder:validation:XValidation:rule="self.version != 'OCS2007R2' || !has(self.hybrid)",message="hybrid needs version Lync2010 or later"
// +kubebuilder:validation:XValidation:rule="!(self.version in ['OCS2007R2', 'Lync2010']) || !has(self.officeOnlineServer)",message="officeOnlineServer needs version Lync2013 or later: earlier releases do not use Office Web Apps/Office Online Server"
// +kubebuilder:validation:XValidation:rule="self.version != 'OCS2007R2' || !has(self.director) || !has(self.director.externalWebFQDN)",message="director.externalWebFQDN needs version Lync2010 or later: an OCS 2007 R2 Director has no external web services"
// +kubebuilder:validation:XValidation:rule="self.version != 'OCS2007R2' || !has(self.edge) || !has(self.edge.xmppFQDN)",message="edge.xmppFQDN needs version Lync2013 or SfB2015: OCS 2007 R2 has no XMPP federation on the Edge"
// +kubebuilder:validation:XValidation:rule="self.version != 'OCS2007R2' || !has(self.reverseProxy) || has(self.reverseProxy.fqdn)",message="reverseProxy.fqdn is required with version OCS2007R2: it is the external web farm FQDN"
// +kubebuilder:validation:XValidation:rule="self.version == 'OCS2007R2' || !has(self.communicatorWebAccess)",message="communicatorWebAccess needs version OCS2007R2: Lync Server 2010 replaced Communicator Web Access"
// +kubebuilder:validation:XValidation:rule="!has(self.reverseProxy) || has(self.reverseProxy.fqdn) || has(self.externalWebFQDN)",message="a reverseProxy needs externalWebFQDN (or reverseProxy.fqdn): the name the reverse proxy publishes"
type OCSSpec struct {
	// Version is the release: OCS2007R2, Lync2010, Lync2013, SfB2015, SfB2019 or SfBSE
	// (Skype for Business Server Subscription Edition).
	// +optional
	// +kubebuilder:default=OCS2007R2
	Version OCSVersion `json:"version,omitempty"`

	// Edition is Standard (one server) or Enterprise (a pool of front ends).
	// +optional
	// +kubebuilder:default=Standard
	Edition OCSEdition `json:"edition,omitempty"`

	// PoolFQDN is the Standard Edition server FQDN, or the Enterprise pool FQDN.
	PoolFQDN FQDN `json:"poolFQDN"`

	// PoolIP is the Standard Edition server address, or the pool's load-balancer VIP.
	// +optional
	PoolIP IPv4Address `json:"poolIP,omitempty"`

	// FrontEnds are the members of an Enterprise pool.
	// +optional
	// +listType=map
	// +listMapKey=fqdn
	// +kubebuilder:validation:MaxItems=64
	FrontEnds []Server `json:"frontEnds,omitempty"`

	// FrontEndNamesOnPoolCertificate adds each front-end FQDN to the pool certificate. One
	// third-party source says external web conferencing needs them (DOMAIN.md R-OCS-FE-SAN, uncertain).
	// +optional
	FrontEndNamesOnPoolCertificate bool `json:"frontEndNamesOnPoolCertificate,omitempty"`

	// InternalWebFQDN is the internal web farm FQDN (Web Components). Defaults to poolFQDN.
	// +optional
	InternalWebFQDN FQDN `json:"internalWebFQDN,omitempty"`

	// AutomaticSignIn publishes _sipinternaltls._tcp records and puts sip.<domain> on the
	// sign-in server's certificate so that Communicator can sign in without manual settings.
	// +optional
	// +kubebuilder:default=true
	AutomaticSignIn *bool `json:"automaticSignIn,omitempty"`

	// AutomaticSignInTarget is the one server designated for sign-in per SIP domain.
	// +optional
	// +kubebuilder:default=Pool
	AutomaticSignInTarget SignInTarget `json:"automaticSignInTarget,omitempty"`

	// Director is an optional Director server in front of the pool.
	// +optional
	Director *DirectorSpec `json:"director,omitempty"`

	// Edge is the consolidated Edge Server (Access, Web Conferencing and A/V Edge).
	// +optional
	Edge *EdgeSpec `json:"edge,omitempty"`

	// ReverseProxy publishes the external web farm (address book, meeting content, device
	// updates); from Lync2010 on also the simple URLs, lyncdiscover and Office Online Server.
	// +optional
	ReverseProxy *ReverseProxySpec `json:"reverseProxy,omitempty"`

	// ExternalWebFQDN is the pool's external web services FQDN, published by the reverse proxy
	// (Lync2010 on). It is the subject of the reverse proxy certificate.
	// +optional
	ExternalWebFQDN FQDN `json:"externalWebFQDN,omitempty"`

	// SimpleURLs are the hosts of the Meet, Dialin and Admin simple URLs (Lync2010 on).
	// +optional
	SimpleURLs *SimpleURLsSpec `json:"simpleURLs,omitempty"`

	// Mobility publishes lyncdiscover.<domain> (external) and lyncdiscoverinternal.<domain>
	// (internal) for every SIP domain and puts them on the web certificates (Lync2010 CU4 on).
	// Unset means true from Lync2013 on and false on Lync2010.
	// +optional
	Mobility *bool `json:"mobility,omitempty"`

	// OfficeOnlineServer is the Office Web Apps / Office Online Server farm used for
	// PowerPoint sharing in meetings (Lync2013 on).
	// +optional
	OfficeOnlineServer *OfficeOnlineServerSpec `json:"officeOnlineServer,omitempty"`

	// Hybrid says where users are homed: on premises, split with Microsoft 365, or all in Teams
	// (Lync2010 on; DOMAIN-CURRENT.md §1.6).
	// +optional
	Hybrid *SfBHybridSpec `json:"hybrid,omitempty"`

	// CommunicatorWebAccess is the Communicator Web Access (2007 R2) site.
	// +optional
	CommunicatorWebAccess *CWASpec `json:"communicatorWebAccess,omitempty"`
}

// Server is a host with its FQDN and address.
type Server struct {
	// FQDN is the host's fully qualified domain name.
	FQDN FQDN `json:"fqdn"`
	// IP is the host's IPv4 address; without it no A record is produced.
	// +optional
	IP IPv4Address `json:"ip,omitempty"`
}

// DirectorSpec is a Director: a server (or pool) that authenticates external users before the pool.
type DirectorSpec struct {
	// FQDN is the Director's fully qualified domain name.
	FQDN FQDN `json:"fqdn"`
	// IP is the Director's IPv4 address; without it no A record is produced.
	// +optional
	IP IPv4Address `json:"ip,omitempty"`
	// ExternalWebFQDN is the Director's external web services FQDN, published by the reverse
	// proxy on a listener of its own (Lync2010 on). It must differ from ocs.externalWebFQDN.
	// +optional
	ExternalWebFQDN FQDN `json:"externalWebFQDN,omitempty"`
}

// ReverseProxySpec is the reverse proxy that publishes the web services to the Internet.
type ReverseProxySpec struct {
	// FQDN is the published external web farm name. Required with OCS2007R2; from Lync2010 on
	// the reverse proxy publishes ocs.externalWebFQDN and this may stay empty.
	// +optional
	FQDN FQDN `json:"fqdn,omitempty"`
	// IP is the public address of the published web services, simple URLs, lyncdiscover and
	// Office Online Server.
	// +optional
	IP IPv4Address `json:"ip,omitempty"`
}

// SimpleURLsSpec names the hosts of the simple URLs (DOMAIN-CURRENT.md §1.5, R-SFB-09).
type SimpleURLsSpec struct {
	// Meet are the Meet URL hosts, one per SIP domain. Default: meet.<each SIP domain>.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=250
	Meet []FQDN `json:"meet,omitempty"`
	// Dialin is the Dialin URL host, one per organisation. Default: dialin.<primary SIP domain>.
	// +optional
	Dialin FQDN `json:"dialin,omitempty"`
	// Admin is the optional Admin URL host; internal only, never published outside.
	// +optional
	Admin FQDN `json:"admin,omitempty"`
}

// OfficeOnlineServerSpec is an Office Online Server (Office Web Apps Server) farm.
type OfficeOnlineServerSpec struct {
	// InternalFQDN is the farm FQDN (New-OfficeWebAppsFarm -InternalUrl).
	InternalFQDN FQDN `json:"internalFQDN"`
	// InternalIP is the farm's server or load balancer address.
	// +optional
	InternalIP IPv4Address `json:"internalIP,omitempty"`
	// ExternalFQDN is the public farm name (-ExternalUrl), published by the reverse proxy.
	// +optional
	ExternalFQDN FQDN `json:"externalFQDN,omitempty"`
	// ExternalIP is the public address of externalFQDN; it defaults to reverseProxy.ip.
	// +optional
	ExternalIP IPv4Address `json:"externalIP,omitempty"`
}

// SfBHybridSpec describes the hybrid state of a Lync/Skype for Business deployment.
type SfBHybridSpec struct {
	// Mode is OnPremises, Hybrid or TeamsOnly. TeamsOnly plans exactly Microsoft's four online
	// records per SIP domain and no on-premises Lync/SfB record or certificate (R-SFB-11).
	// +optional
	// +kubebuilder:default=OnPremises
	Mode HybridMode `json:"mode,omitempty"`
	// OnlineSIPDomains are the SIP domains of the Microsoft 365 tenant (cloud consolidation):
	// each gets sip.<domain> on the Edge certificate, *.onmicrosoft.com excepted (R-SFB-12).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=250
	OnlineSIPDomains []FQDN `json:"onlineSIPDomains,omitempty"`
}

// EdgeSpec describes a consolidated Edge Server.
type EdgeSpec struct {
	// InternalFQDN is the FQDN of the edge's internal interface.
	InternalFQDN FQDN `json:"internalFQDN"`
	// InternalIP is the address of the edge's internal interface.
	// +optional
	InternalIP IPv4Address `json:"internalIP,omitempty"`
	// AccessFQDN is the external FQDN of the Access Edge service, usually sip.<primary SIP domain>.
	AccessFQDN FQDN `json:"accessFQDN"`
	// AccessIP is the public address of the Access Edge service.
	// +optional
	AccessIP IPv4Address `json:"accessIP,omitempty"`
	// AccessPort is the external port clients reach the Access Edge on (SIP over TLS): 443, or
	// 5061 in a single-IP Edge of Lync Server 2010 and later, where the Access, Web Conferencing
	// (webConferencingPort 444) and A/V (443) Edge share one address. The _sip._tls records point
	// at it. Federation always uses 5061.
	// +optional
	// +kubebuilder:default=443
	// +kubebuilder:validation:XValidation:rule="self == 443 || self == 5061",message="spec.ocs.edge.accessPort must be 443, or 5061 in a single-IP Edge"
	AccessPort Port `json:"accessPort,omitempty"`
	// WebConferencingFQDN is the external FQDN of the Web Conferencing Edge service.
	// +optional
	WebConferencingFQDN FQDN `json:"webConferencingFQDN,omitempty"`
	// WebConferencingIP is the public address of the Web Conferencing Edge service.
	// +optional
	WebConferencingIP IPv4Address `json:"webConferencingIP,omitempty"`
	// WebConferencingPort is the external port of the Web Conferencing Edge: 443, or 444 when it
	// shares the Access Edge address (the seed article's single-certificate design).
	// +optional
	// +kubebuilder:default=443
	WebConferencingPort Port `json:"webConferencingPort,omitempty"`
	// WebConferencingInternalPort is the PSOM port of the Web Conferencing Edge's internal interface.
	// +optional
	// +kubebuilder:default=8057
	WebConferencingInternalPort Port `json:"webConferencingInternalPort,omitempty"`
	// AVFQDN is the external FQDN of the A/V Edge service.
	// +optional
	AVFQDN FQDN `json:"avFQDN,omitempty"`
	// AVIP is the public address of the A/V Edge service.
	// +optional
	AVIP IPv4Address `json:"avIP,omitempty"`
	// AVAuthenticationPort is the internal port of the A/V authentication service; it must be 5062.
	// +optional
	// +kubebuilder:default=5062
	AVAuthenticationPort Port `json:"avAuthenticationPort,omitempty"`
	// Federation publishes _sipfederationtls._tcp records so that partners can find the Access Edge.
	// +optional
	// +kubebuilder:default=true
	Federation *bool `json:"federation,omitempty"`
	// PublicIMConnectivity (PIC with AOL, Yahoo!, Windows Live) adds the Client Authentication
	// usage to the Access Edge certificate, which AOL requires.
	// +optional
	PublicIMConnectivity bool `json:"publicIMConnectivity,omitempty"`
	// XMPPFQDN is the XMPP federation name (xmpp.<domain>). XMPP federation on the Edge works on
	// Lync2013 and SfB2015; Skype for Business Server 2019 and SE removed it (R-SFB-01). Every SIP
	// domain federates over XMPP: each gets its _xmpp-server._tcp record and its names on the Edge
	// certificate.
	// +optional
	XMPPFQDN FQDN `json:"xmppFQDN,omitempty"`
}

// CWASpec describes a Communicator Web Access site.
type CWASpec struct {
	// FQDN is the CWA URL host users browse to, e.g. cwa.contoso.com.
	FQDN FQDN `json:"fqdn"`
	// ServerFQDN is the FQDN of the CWA server; it goes on an internal-CA MTLS certificate.
	// +optional
	ServerFQDN FQDN `json:"serverFQDN,omitempty"`
	// IP is the public address (reverse proxy or CWA listener) for fqdn, as.<fqdn> and download.<fqdn>.
	// +optional
	IP IPv4Address `json:"ip,omitempty"`
	// InternalIP is the address internal users reach the CWA site on. With it, fqdn, as.<fqdn> and
	// download.<fqdn> are also published in the internal view; without it they are external only,
	// which internal users cannot resolve when the internal view hosts the same zone.
	// +optional
	InternalIP IPv4Address `json:"internalIP,omitempty"`
}

// ExchangeVersion names an Exchange Server release.
// +kubebuilder:validation:Enum="2007";"2010";"2013";"2016";"2019";"SE"
type ExchangeVersion string

const (
	// Exchange2007 is Exchange Server 2007.
	Exchange2007 ExchangeVersion = "2007"
	// Exchange2010 is Exchange Server 2010.
	Exchange2010 ExchangeVersion = "2010"
	// Exchange2013 is Exchange Server 2013: one HTTP namespace, no CAS array.
	Exchange2013 ExchangeVersion = "2013"
	// Exchange2016 is Exchange Server 2016.
	Exchange2016 ExchangeVersion = "2016"
	// Exchange2019 is Exchange Server 2019 (no Unified Messaging).
	Exchange2019 ExchangeVersion = "2019"
	// ExchangeSE is Exchange Server Subscription Edition, code-equivalent to 2019 CU15 at release.
	ExchangeSE ExchangeVersion = "SE"
)

// AutodiscoverMode says how Outlook outside the domain finds Autodiscover.
// +kubebuilder:validation:Enum=HostRecord;SRV
type AutodiscoverMode string

const (
	// AutodiscoverHostRecord publishes autodiscover.<domain> and puts it on the certificate.
	AutodiscoverHostRecord AutodiscoverMode = "HostRecord"
	// AutodiscoverSRV publishes _autodiscover._tcp.<domain> pointing at the external FQDN (KB 940881).
	AutodiscoverSRV AutodiscoverMode = "SRV"
)

// Publisher names the product that publishes Exchange to the Internet.
// +kubebuilder:validation:Enum=None;ISA2004;ISA2006;ISA2006SP1;TMG
type Publisher string

// ExchangeSpec describes an Exchange organisation, from Exchange 2007 to Exchange Server SE.
// +kubebuilder:validation:XValidation:rule="self.version == '2010' || !has(self.casArrayFQDN)",message="casArrayFQDN needs version 2010: the CAS array object is an Exchange 2010 feature, gone from 2013 on"
// +kubebuilder:validation:XValidation:rule="self.version in ['2007', '2010', '2013'] || !has(self.legacyFQDN)",message="legacyFQDN needs version 2007, 2010 or 2013: a legacy namespace exists only while an older Exchange coexists (2003 with 2007, 2003/2007 with 2010, 2007 with 2013)"
// +kubebuilder:validation:XValidation:rule="!has(self.hybrid) || !self.hybrid || !(self.version in ['2007'])",message="hybrid needs Exchange 2010 or later: Exchange 2007 cannot be in a hybrid deployment with Exchange Online"
// +kubebuilder:validation:XValidation:rule="!has(self.legacyInternalIP) || has(self.legacyFQDN)",message="legacyInternalIP needs legacyFQDN: it is the internal address of the legacy namespace"
type ExchangeSpec struct {
	// Version is "2007", "2010", "2013", "2016", "2019" or "SE" (Subscription Edition).
	// +optional
	// +kubebuilder:default="2010"
	Version ExchangeVersion `json:"version,omitempty"`
	// SMTPDomains are the accepted SMTP domains. Defaults to sipDomains.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=250
	SMTPDomains []FQDN `json:"smtpDomains,omitempty"`
	// ExternalFQDN is the namespace for OWA, ActiveSync, EWS, OAB and Outlook Anywhere.
	ExternalFQDN FQDN `json:"externalFQDN"`
	// ExternalIP is the public address of the Client Access publishing point.
	// +optional
	ExternalIP IPv4Address `json:"externalIP,omitempty"`
	// InternalIP is the internal Client Access (or load balancer) address used by split DNS.
	// +optional
	InternalIP IPv4Address `json:"internalIP,omitempty"`
	// Servers are the Client Access servers.
	// +optional
	// +listType=map
	// +listMapKey=fqdn
	// +kubebuilder:validation:MaxItems=64
	Servers []ExchangeServer `json:"servers,omitempty"`
	// IncludeServerNames puts the servers' internal FQDNs and NetBIOS names on an internal-CA
	// certificate (they may never go on a public one).
	// +optional
	IncludeServerNames bool `json:"includeServerNames,omitempty"`
	// CASArrayFQDN is the Exchange 2010 CAS array name; internal DNS only, never on a certificate.
	// +optional
	CASArrayFQDN FQDN `json:"casArrayFQDN,omitempty"`
	// LegacyFQDN is the coexistence namespace (legacy.<domain>) for the older Exchange version.
	// +optional
	LegacyFQDN FQDN `json:"legacyFQDN,omitempty"`
	// LegacyIP is the public address of the legacy front end (external view).
	// +optional
	LegacyIP IPv4Address `json:"legacyIP,omitempty"`
	// LegacyInternalIP is the internal address of the legacy front end. Without it the internal
	// view publishes no legacy record: internal clients must not be sent to the public legacyIP.
	// +optional
	LegacyInternalIP IPv4Address `json:"legacyInternalIP,omitempty"`
	// Autodiscover is HostRecord (autodiscover.<domain> per SMTP domain) or SRV.
	// +optional
	// +kubebuilder:default=HostRecord
	Autodiscover AutodiscoverMode `json:"autodiscover,omitempty"`
	// MXPreference is the preference of the MX record of each SMTP domain.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	MXPreference *int32 `json:"mxPreference,omitempty"`
	// PublishedVia is the product publishing Exchange: None, ISA2004, ISA2006, ISA2006SP1 or TMG.
	// +optional
	// +kubebuilder:default=None
	PublishedVia Publisher `json:"publishedVia,omitempty"`
	// Hybrid says the organisation is in a hybrid deployment with Exchange Online: the public
	// Exchange certificate then also carries hybrid mail flow (SMTP), and must hold the EWS and
	// Autodiscover hosts (DOMAIN-CURRENT.md R-EX-04, R-EX-06).
	// +optional
	Hybrid bool `json:"hybrid,omitempty"`
	// AdditionalNames are further public names for the Exchange certificate (imap., smtp., pop., or
	// a wildcard, which Exchange accepts and OCS does not).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=100
	AdditionalNames []DNSName `json:"additionalNames,omitempty"`
}

// ExchangeServer is one Exchange Client Access server.
type ExchangeServer struct {
	// FQDN is the server's internal FQDN.
	FQDN FQDN `json:"fqdn"`
	// NetBIOSName is the server's computer name.
	// +optional
	NetBIOSName NetBIOSName `json:"netbiosName,omitempty"`
}

// CertificateStrategy says how the public names are grouped into certificates.
// +kubebuilder:validation:Enum=Unified;PerRole
type CertificateStrategy string

const (
	// Unified is the seed article's design: one public certificate for every Internet-facing name.
	Unified CertificateStrategy = "Unified"
	// PerRole gives each public role (Access Edge, Web Conferencing Edge, reverse proxy, CWA, Exchange) its own certificate.
	PerRole CertificateStrategy = "PerRole"
)

// IssuerRef names a cert-manager issuer. A kind Issuer always means an Issuer in the
// UCDeployment's own namespace.
type IssuerRef struct {
	// Name of the Issuer or ClusterIssuer.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be a Kubernetes object name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (an RFC 1123 subdomain)"
	Name string `json:"name"`
	// Kind is Issuer or ClusterIssuer.
	// +optional
	// +kubebuilder:default=ClusterIssuer
	// +kubebuilder:validation:Enum=Issuer;ClusterIssuer
	Kind string `json:"kind,omitempty"`
}

// PrivateKeySpec is the private key of every certificate.
// +kubebuilder:validation:XValidation:rule="!has(self.algorithm) || self.algorithm != 'ECDSA' || !has(self.size) || self.size in [256, 384, 521]",message="an ECDSA key size must be 256, 384 or 521"
// +kubebuilder:validation:XValidation:rule="!has(self.algorithm) || self.algorithm != 'RSA' || !has(self.size) || self.size >= 1024",message="an RSA key size must be at least 1024 bits (2048 or more is recommended)"
type PrivateKeySpec struct {
	// Algorithm is RSA or ECDSA. The products of this era expect RSA.
	// +optional
	// +kubebuilder:default=RSA
	// +kubebuilder:validation:Enum=RSA;ECDSA
	Algorithm string `json:"algorithm,omitempty"`
	// Size is the key size in bits (RSA 1024-8192, default 2048; ECDSA 256, 384 or 521, default 256).
	// +optional
	// +kubebuilder:validation:Minimum=256
	// +kubebuilder:validation:Maximum=8192
	Size int32 `json:"size,omitempty"`
}

// CertificatesSpec says how certificates are grouped and which issuers sign them.
type CertificatesSpec struct {
	// Strategy is Unified (one public certificate for every Internet-facing name) or PerRole.
	// +optional
	// +kubebuilder:default=Unified
	Strategy CertificateStrategy `json:"strategy,omitempty"`
	// PublicIssuerRef signs the certificates the Internet sees.
	// +optional
	PublicIssuerRef *IssuerRef `json:"publicIssuerRef,omitempty"`
	// InternalIssuerRef (the enterprise CA) signs the certificates of internal roles.
	// +optional
	InternalIssuerRef *IssuerRef `json:"internalIssuerRef,omitempty"`
	// Duration is the requested certificate lifetime. When unset, ucdeploy asks for 90 days, and
	// for a public certificate no more than the CA/Browser Forum allows on the day it is issued
	// (200 days from 15 March 2026, 100 days from 15 March 2027, 47 days from 15 March 2029;
	// DOMAIN-CURRENT.md R-PKI-01): leave it unset so that the deployment keeps issuing as the limit
	// falls. A duration set here is used as written and judged against the limit.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$')",message="must be a Go duration: numbers with the units h, m, s, ms, us or ns and no sign, such as 8760h or 2160h30m (not 1y or 30d)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$') || duration(self) >= duration('0s')",message="must be at most 2562047h (about 292 years)"
	Duration *metav1.Duration `json:"duration,omitempty"`
	// RenewBefore is how long before expiry cert-manager renews.
	// +optional
	// +kubebuilder:default="720h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$')",message="must be a Go duration: numbers with the units h, m, s, ms, us or ns and no sign, such as 720h (not 1y or 30d)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$') || duration(self) >= duration('0s')",message="must be at most 2562047h (about 292 years)"
	RenewBefore *metav1.Duration `json:"renewBefore,omitempty"`
	// PrivateKey is the key of every certificate.
	// +optional
	// +kubebuilder:default={}
	PrivateKey PrivateKeySpec `json:"privateKey,omitempty"`
	// MaxSANs is the most names the public CA's product allows on one certificate.
	// +optional
	// +kubebuilder:default=100
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxSANs int32 `json:"maxSANs,omitempty"`
	// PKCS12 asks cert-manager to write a password-protected PKCS#12 keystore (keystore.p12) into
	// every certificate's Secret, in the encryption the oldest importing Windows can read
	// (DOMAIN-CURRENT.md §4, R-K8S-01). ucdeploy never reads the password Secret.
	// +optional
	PKCS12 *PKCS12Spec `json:"pkcs12,omitempty"`
	// VerifyServed makes the controller connect to the listeners that present each certificate
	// and report, in condition CertificatesServed and status.servedCertificates, whether they serve
	// its current revision. Absent: off. The manager connects only to addresses its
	// --verify-served-networks allow.
	// +optional
	VerifyServed *ServedVerifySpec `json:"verifyServed,omitempty"`
}

// ServedVerifySpec configures the check of what the servers serve.
type ServedVerifySpec struct {
	// Interval between two passes over every listener.
	// +optional
	// +kubebuilder:default="15m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$') && duration(self) >= duration('1m') && duration(self) <= duration('24h')",message="must be a duration between 1m and 24h, such as 15m"
	Interval *metav1.Duration `json:"interval,omitempty"`
	// Endpoints replace the planned listeners of their role: where NAT, a load balancer or a lab
	// puts a certificate's listener on another address than the one the spec publishes.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Endpoints []ServedEndpoint `json:"endpoints,omitempty"`
}

// ServedRole is a certificate role that a TLS listener presents (the Certificate is named
// <deployment>-<role>). The OAuth token-signing certificate is presented by no listener.
// +kubebuilder:validation:Enum=pool;director;edge-internal;av-auth;cwa-internal;exchange-internal;unified;access-edge;webconf-edge;edge-external;reverse-proxy;cwa;exchange;office-online
type ServedRole string

// ServedEndpoint is one listener to check for a role's certificate.
type ServedEndpoint struct {
	// Role is the certificate role the listener presents.
	Role ServedRole `json:"role"`
	// Address is the listener: an IP address and a port, IPv6 in brackets (131.107.155.10:443,
	// [2001:db8::10]:5061). Host names are refused, as for spec.dns.verify: the manager's
	// allow-list is of addresses.
	Address ListenerAddress `json:"address"`
	// ServerName is the name sent in the TLS handshake (SNI); default: the certificate's common
	// name.
	// +optional
	ServerName FQDN `json:"serverName,omitempty"`
}

// ListenerAddress is an IP address and a TCP port, written as Nameserver is: one spelling per
// address, no unspecified, broadcast or IPv4-mapped addresses, a port from 1 to 65535.
// +kubebuilder:validation:MaxLength=47
// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9.]+|[[][0-9a-fA-F.]*:[0-9a-fA-F:.]*[]]):[1-9][0-9]{0,4}$') && isIP((self.startsWith('[') ? self.substring(1, self.lastIndexOf(']')) : self.substring(0, self.lastIndexOf(':')))) && int(self.substring(self.lastIndexOf(':') + 1)) <= 65535",message="must be an IP address and a port from 1 to 65535 without leading zeros, IPv6 in brackets, such as 131.107.155.10:443 or [2001:db8::10]:5061 (not a host name)"
// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9.]+|[[][0-9a-fA-F.]*:[0-9a-fA-F:.]*[]]):[1-9][0-9]{0,4}$') || !isIP((self.startsWith('[') ? self.substring(1, self.lastIndexOf(']')) : self.substring(0, self.lastIndexOf(':')))) || !(ip((self.startsWith('[') ? self.substring(1, self.lastIndexOf(']')) : self.substring(0, self.lastIndexOf(':')))).isUnspecified() || (self.startsWith('[') ? self.substring(1, self.lastIndexOf(']')) : self.substring(0, self.lastIndexOf(':'))) == '255.255.255.255')",message="must not be an unspecified address (0.0.0.0, ::), which reaches the manager's own pod, nor the broadcast address 255.255.255.255"
// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9.]+|[[][0-9a-fA-F.]*:[0-9a-fA-F:.]*[]]):[1-9][0-9]{0,4}$') || !isIP((self.startsWith('[') ? self.substring(1, self.lastIndexOf(']')) : self.substring(0, self.lastIndexOf(':')))) || ip.isCanonical((self.startsWith('[') ? self.substring(1, self.lastIndexOf(']')) : self.substring(0, self.lastIndexOf(':'))))",message="must be written canonically, IPv6 in lower case and compressed (RFC 5952)"
type ListenerAddress string

// WindowsVersion names a Windows Server release that imports the PFX files.
// +kubebuilder:validation:Enum="2016";"2019";"2022";"2025"
type WindowsVersion string

const (
	// WindowsServer2016 cannot import AES-256 PFX files: the keystores use 3DES (LegacyDES).
	WindowsServer2016 WindowsVersion = "2016"
	// WindowsServer2019 and later import AES-256 PFX files (Modern2023).
	WindowsServer2019 WindowsVersion = "2019"
	// WindowsServer2022 imports AES-256 PFX files (Modern2023).
	WindowsServer2022 WindowsVersion = "2022"
	// WindowsServer2025 imports AES-256 PFX files (Modern2023).
	WindowsServer2025 WindowsVersion = "2025"
)

// PKCS12Spec configures the PKCS#12 keystore cert-manager writes next to tls.crt and tls.key.
type PKCS12Spec struct {
	// PasswordSecretRef names the Secret, in the UCDeployment's namespace, and the key holding the
	// keystore password. cert-manager reads it; ucdeploy does not. While it is missing the
	// certificates are not issued and status.certificates[].message says so.
	PasswordSecretRef SecretKeyRef `json:"passwordSecretRef"`
	// OldestWindows is the oldest Windows Server release that imports the PFX files: "2016" (3DES,
	// LegacyDES), or "2019", "2022", "2025" (AES-256, Modern2023). Windows Server 2016 rejects
	// AES-256 PFX files as a wrong password (DOMAIN-CURRENT.md §4.3).
	// +optional
	// +kubebuilder:default="2016"
	OldestWindows WindowsVersion `json:"oldestWindows,omitempty"`
}

// SecretKeyRef names one key of a Secret in the UCDeployment's namespace.
type SecretKeyRef struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be a Kubernetes object name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (an RFC 1123 subdomain)"
	Name string `json:"name"`
	// Key is the key of the Secret's data that holds the value.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// DNSSpec says how DNS records are produced.
// +kubebuilder:validation:XValidation:rule="!has(self.acmeChallengeDelegation) || !has(self.zones) || !self.zones.exists(z, z == self.acmeChallengeDelegation)",message="dns.acmeChallengeDelegation must be a zone a DNS-01 solver can update, not one of dns.zones (the zones your DNS servers host)"
type DNSSpec struct {
	// TTL of every record, in seconds.
	// +optional
	// +kubebuilder:default=3600
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=2147483647
	TTL int32 `json:"ttl,omitempty"`

	// Zones are the DNS zones the DNS servers host, in both views. Each record goes into the most
	// specific listed zone that contains its name; a record under none of them goes, in the
	// external view, into its domain and, in the internal view, into a pin-point zone of its own
	// name (so that no internal zone hides a whole domain's public names), and is reported
	// (RecordOutsideZones; PinPointZones for the default zones). By default the zones are the SIP
	// and SMTP domains plus the parent domain of every internal host (pool, front ends, Director,
	// edge internal interface, CWA and Exchange servers, CAS array).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=100
	Zones []FQDN `json:"zones,omitempty"`

	// DNSEndpoint also publishes the records as external-dns DNSEndpoint objects
	// (externaldns.k8s.io/v1alpha1), one per selected view, for an external-dns instance running
	// with --source=crd. Off by default: the ConfigMaps stay the portable output either way.
	// +optional
	DNSEndpoint *DNSEndpointSpec `json:"dnsEndpoint,omitempty"`

	// CAA publishes CAA records (RFC 8659) in the external view that name the one CA allowed to
	// issue for the zones holding public certificate names (DOMAIN-CURRENT.md R-PKI-05).
	// +optional
	CAA *CAASpec `json:"caa,omitempty"`

	// ACMEChallengeDelegation is a zone that a DNS-01 solver can update, for names whose own
	// zones it cannot (Active Directory-integrated DNS takes no unsigned RFC 2136 updates;
	// DOMAIN-CURRENT.md §3.5, R-PKI-13). The external view then publishes, for every name of a
	// public certificate, _acme-challenge.<name> CNAME <name>.<this zone>; point the public ACME
	// issuer's DNS-01 solver at this zone with cnameStrategy: Follow.
	// +optional
	ACMEChallengeDelegation FQDN `json:"acmeChallengeDelegation,omitempty"`

	// Verify makes the controller ask the DNS servers of each listed view for every planned record
	// of that view, once per interval, and report the answer in the condition DNSRecordsVerified
	// (docs/dns.md). The manager's --dns-verify-nameservers must allow the nameservers' addresses;
	// otherwise the condition says VerificationDisabled. Ready does not depend on it.
	// +optional
	Verify *DNSVerifySpec `json:"verify,omitempty"`
}

// DNSVerifySpec lists, per view, the nameservers to verify the planned records at.
// +kubebuilder:validation:XValidation:rule="has(self.internal) || has(self.external)",message="name the nameservers of at least one view (internal or external)"
type DNSVerifySpec struct {
	// Internal are the nameservers serving the internal view.
	// +optional
	Internal *DNSViewVerify `json:"internal,omitempty"`
	// External are the nameservers serving the external view.
	// +optional
	External *DNSViewVerify `json:"external,omitempty"`
	// Interval between two verification passes.
	// +optional
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('30s') && duration(self) <= duration('24h')",message="must be a duration between 30s and 24h, such as 5m"
	Interval *metav1.Duration `json:"interval,omitempty"`
}

// ByView returns the nameservers by view name ("internal", "external"); a view without
// nameservers has no entry, and a nil spec gives nil.
func (v *DNSVerifySpec) ByView() map[string][]string {
	if v == nil {
		return nil
	}
	out := map[string][]string{}
	for view, vv := range map[DNSView]*DNSViewVerify{InternalView: v.Internal, ExternalView: v.External} {
		if vv == nil {
			continue
		}
		for _, ns := range vv.Nameservers {
			out[string(view)] = append(out[string(view)], string(ns))
		}
	}
	return out
}

// DNSViewVerify lists the nameservers of one view.
type DNSViewVerify struct {
	// Nameservers are asked for every planned record of the view; each must answer as planned.
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=4
	Nameservers []Nameserver `json:"nameservers"`
}

// Nameserver is the address of a DNS server: an IP address and a port, IPv6 in brackets
// (10.0.0.53:53, [fd00::53]:53). A host name is not accepted: the manager's allow-list is of
// addresses (--dns-verify-nameservers), and resolving a name would let the name decide. The
// address is written one way only (IPv6 lower case and compressed, the port without leading
// zeros), so that a list cannot hold the same nameserver twice in two spellings; the unspecified
// addresses (0.0.0.0, ::), which reach the manager's own pod, the broadcast address and IPv4-mapped
// IPv6 addresses are refused. ParseNameserver applies the same rules in Go.
// +kubebuilder:validation:MaxLength=47
// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9.]+|[[][0-9a-fA-F.]*:[0-9a-fA-F:.]*[]]):[1-9][0-9]{0,4}$') && isIP((self.startsWith('[') ? self.substring(1, self.lastIndexOf(']')) : self.substring(0, self.lastIndexOf(':')))) && int(self.substring(self.lastIndexOf(':') + 1)) <= 65535",message="must be an IP address and a port from 1 to 65535 without leading zeros, IPv6 in brackets, such as 10.0.0.53:53 or [fd00::53]:53"
// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9.]+|[[][0-9a-fA-F.]*:[0-9a-fA-F:.]*[]]):[1-9][0-9]{0,4}$') || !isIP((self.startsWith('[') ? self.substring(1, self.lastIndexOf(']')) : self.substring(0, self.lastIndexOf(':')))) || !(ip((self.startsWith('[') ? self.substring(1, self.lastIndexOf(']')) : self.substring(0, self.lastIndexOf(':')))).isUnspecified() || (self.startsWith('[') ? self.substring(1, self.lastIndexOf(']')) : self.substring(0, self.lastIndexOf(':'))) == '255.255.255.255')",message="must not be an unspecified address (0.0.0.0, ::), which reaches the manager's own pod, nor the broadcast address 255.255.255.255"
// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9.]+|[[][0-9a-fA-F.]*:[0-9a-fA-F:.]*[]]):[1-9][0-9]{0,4}$') || !isIP((self.startsWith('[') ? self.substring(1, self.lastIndexOf(']')) : self.substring(0, self.lastIndexOf(':')))) || ip.isCanonical((self.startsWith('[') ? self.substring(1, self.lastIndexOf(']')) : self.substring(0, self.lastIndexOf(':'))))",message="must be written canonically, IPv6 in lower case and compressed (RFC 5952) such as [fd00::53]:53: each address has one spelling, so that the same nameserver cannot be listed twice"
type Nameserver string

// CAASpec names the CA that CAA records allow.
type CAASpec struct {
	// Issuer is the CA's issuer domain, as the CA documents it (letsencrypt.org for Let's Encrypt).
	Issuer FQDN `json:"issuer"`
	// AccountURI restricts issuance to one ACME account (RFC 8657 accounturi).
	// +optional
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.matches('^https://[!-~]+$') && !self.contains(';') && !self.contains('\"')",message="must be an https:// URL without spaces, semicolons or quotes, in printable ASCII (no control characters, other whitespace or typographic quotes)"
	AccountURI string `json:"accountURI,omitempty"`
	// ValidationMethods restricts the ACME challenges the CA may use (RFC 8657 validationmethods).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=3
	ValidationMethods []ACMEChallenge `json:"validationMethods,omitempty"`
}

// ACMEChallenge names an ACME validation method.
// +kubebuilder:validation:Enum=dns-01;http-01;tls-alpn-01
type ACMEChallenge string

// DNSView names a DNS view.
// +kubebuilder:validation:Enum=internal;external
type DNSView string

const (
	// InternalView is the DNS view of domain-joined clients and servers.
	InternalView DNSView = "internal"
	// ExternalView is the DNS view the Internet sees.
	ExternalView DNSView = "external"
)

// DNSEndpointSpec configures the external-dns output. Each selected view gets a DNSEndpoint named
// <deployment>-dns-<view> holding one endpoint per record name and type with all of its targets.
// external-dns must run with --source=crd, and by default it manages only A, AAAA and CNAME
// records: SRV and MX need --managed-record-types and a provider that supports them.
//
// When the DNSEndpoint CRD is not installed, the condition DNSEndpointsReady is False with reason
// CRDNotInstalled and the controller looks again every few minutes; this does not make the
// UCDeployment unready, because the records are still published in the ConfigMaps.
type DNSEndpointSpec struct {
	// Enabled publishes DNSEndpoints; disabling it deletes the ones this UCDeployment created.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// Views are the DNS views published as DNSEndpoints: internal, external or both. Usually only
	// external: an external-dns instance manages one (public) zone set.
	// +optional
	// +listType=set
	// +kubebuilder:default={external}
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=2
	Views []DNSView `json:"views,omitempty"`
}

// UCDeploymentStatus is what the controller observed and computed.
type UCDeploymentStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Ready, CertificatesReady, DNSRecordsReady, DNSEndpointsReady (only while
	// spec.dns.dnsEndpoint is enabled), and Reconciling or Stalled while true.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// Certificates are the planned certificates and what cert-manager reports for each.
	// +optional
	// +listType=atomic
	Certificates []CertificateStatus `json:"certificates,omitempty"`
	// CertificatesReady is "<ready>/<total>", for kubectl get.
	// +optional
	CertificatesReady string `json:"certificatesReady,omitempty"`
	// DNS summarises the DNS records per view.
	// +optional
	DNS *DNSStatus `json:"dns,omitempty"`
	// Findings are the planner's warnings and errors about the design.
	// +optional
	// +listType=atomic
	Findings []Finding `json:"findings,omitempty"`
	// FindingsSummary counts findings by severity, for kubectl get.
	// +optional
	FindingsSummary string `json:"findingsSummary,omitempty"`
	// InstallConfigMap holds one PowerShell import-and-bind script per certificate (<role>.ps1)
	// and install.json, which says which servers receive which certificate.
	// +optional
	InstallConfigMap string `json:"installConfigMap,omitempty"`
	// InstallDigests are the SHA-256 digests (hex) of every key of the install ConfigMap as the
	// manager last wrote it. `ucdeploy export` checks the scripts it writes against them, and an
	// administrator can check a script copied out of the ConfigMap, which anyone with configmaps
	// update in the namespace could have edited in between.
	// +optional
	InstallDigests map[string]string `json:"installDigests,omitempty"`
	// ServedCertificates are the listeners spec.certificates.verifyServed checked and what each
	// serves (at most 20: those not Current first, then in plan order); absent while
	// verification is off.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	ServedCertificates []ServedCertificate `json:"servedCertificates,omitempty"`
}

// ServedCertificate is what one listener serves.
type ServedCertificate struct {
	// Role is the certificate role the listener presents.
	Role string `json:"role"`
	// Address is the listener, IP:port.
	Address string `json:"address"`
	// State is Current, Outdated, Foreign, Expired, IncompleteChain or Unreachable.
	State string `json:"state"`
	// Serial is the served leaf's serial number in hexadecimal; absent when none was read.
	// +optional
	Serial string `json:"serial,omitempty"`
	// NotAfter is the served leaf's expiry; absent when none was read.
	// +optional
	NotAfter *metav1.Time `json:"notAfter,omitempty"`
}

// CertificateStatus is one planned certificate and its state in cert-manager.
type CertificateStatus struct {
	// Name of the cert-manager Certificate.
	Name string `json:"name"`
	// Role the certificate serves (pool, edge-internal, unified, exchange, ...).
	Role string `json:"role"`
	// Issuer is "public" or "internal".
	Issuer string `json:"issuer"`
	// DNSNameCount is the number of subject alternative names. The names, the subject CN and the
	// Secret are in the Certificate's spec (and in `ucdeploy plan` and `ucdeploy status`): the
	// status carries only what the Certificate does not, because every status write costs the
	// API server in proportion to its size (docs/performance.md, "A smaller status").
	DNSNameCount int32 `json:"dnsNameCount"`
	// Services are where the certificate is bound, in the product's own words: Set-CsCertificate
	// -Type values for Lync and Skype for Business (Default, WebServicesInternal, ...),
	// Enable-ExchangeCertificate -Services values for Exchange (IIS, SMTP).
	// +optional
	// +listType=atomic
	Services []string `json:"services,omitempty"`
	// Ready is true when cert-manager reports the certificate Ready.
	Ready bool `json:"ready"`
	// NotAfter is the expiry of the issued certificate.
	// +optional
	NotAfter *metav1.Time `json:"notAfter,omitempty"`
	// RenewalTime is when cert-manager will renew it.
	// +optional
	RenewalTime *metav1.Time `json:"renewalTime,omitempty"`
	// Message is cert-manager's Ready condition message while the certificate is not ready.
	// +optional
	Message string `json:"message,omitempty"`
	// Revision is cert-manager's revision of the certificate: it grows by one at every issuance.
	// A new revision means a new key and thumbprint that the Windows servers must import and bind
	// again (R-K8S-03): see the <deployment>-install ConfigMap.
	// +optional
	Revision *int32 `json:"revision,omitempty"`
}

// DNSStatus summarises the published DNS records.
type DNSStatus struct {
	// Records is the number of records across both views.
	Records int32 `json:"records"`
	// InternalRecords is the number of records of the internal view.
	InternalRecords int32 `json:"internalRecords"`
	// ExternalRecords is the number of records of the external view.
	ExternalRecords int32 `json:"externalRecords"`
	// InternalConfigMap holds the internal view's zone files.
	InternalConfigMap string `json:"internalConfigMap"`
	// ExternalConfigMap holds the external view's zone files.
	ExternalConfigMap string `json:"externalConfigMap"`
	// DNSEndpoints are the external-dns DNSEndpoints holding the records, when spec.dns.dnsEndpoint
	// is enabled and they are published.
	// +optional
	// +listType=atomic
	DNSEndpoints []string `json:"dnsEndpoints,omitempty"`
	// Mismatches are the first planned records that a nameserver of spec.dns.verify answers
	// otherwise (at most 20, sorted by view, name, type and nameserver), while DNSRecordsVerified
	// is False.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Mismatches []DNSMismatch `json:"mismatches,omitempty"`
}

// DNSMismatch is a planned record set that a nameserver answers otherwise.
type DNSMismatch struct {
	// View is internal or external.
	View DNSView `json:"view"`
	// Nameserver is the server that answered.
	Nameserver string `json:"nameserver"`
	// Name is the record's owner name.
	Name string `json:"name"`
	// Type is the record type: A, CNAME, SRV, MX, CAA.
	Type string `json:"type"`
	// Want is the planned data, sorted and joined by ", ".
	Want string `json:"want"`
	// Got is what the nameserver answered, in the same form, or its response code.
	Got string `json:"got"`
}

// Finding is one planner finding about the design.
type Finding struct {
	// Severity is Error, Warning or Info.
	Severity Severity `json:"severity"`
	// Code is a stable CamelCase identifier of the finding.
	Code string `json:"code"`
	// Path is the spec field the finding is about.
	// +optional
	Path string `json:"path,omitempty"`
	// Message explains the finding and how to fix it.
	Message string `json:"message"`
	// Rule is the DOMAIN.md rule id the finding implements.
	// +optional
	Rule string `json:"rule,omitempty"`
}

// UCDeployment turns a description of an OCS 2007 R2, Lync or Skype for Business Server and
// Exchange 2007 to SE deployment into cert-manager Certificates and DNS record sets.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ucd,categories=ucdeploy
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Certificates",type="string",JSONPath=".status.certificatesReady"
// +kubebuilder:printcolumn:name="Records",type="integer",JSONPath=".status.dns.records"
// +kubebuilder:printcolumn:name="Findings",type="string",JSONPath=".status.findingsSummary"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 52",message="metadata.name must be at most 52 characters: it becomes a label value (at most 63) and part of child names such as <name>-exchange-internal-tls"
// +kubebuilder:printcolumn:name="Reason",type="string",priority=1,JSONPath=".status.conditions[?(@.type==\"Ready\")].reason"
// +kubebuilder:printcolumn:name="Message",type="string",priority=1,JSONPath=".status.conditions[?(@.type==\"Ready\")].message"
type UCDeployment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec describes the deployment.
	Spec UCDeploymentSpec `json:"spec"`
	// Status is what the controller observed. It defaults to observedGeneration -1 so that a new
	// object reads as not yet observed (kstatus InProgress, Argo CD Progressing) until the
	// controller's first status update.
	// +optional
	// +kubebuilder:default={"observedGeneration":-1}
	Status UCDeploymentStatus `json:"status,omitempty"`
}

// UCDeploymentList is a list of UCDeployments.
// +kubebuilder:object:root=true
type UCDeploymentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the UCDeployments.
	Items []UCDeployment `json:"items"`
}
