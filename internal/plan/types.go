// Package plan is ucdeploy's planning engine: a pure function from a UCDeployment spec to the
// certificates, DNS records and findings the deployment needs. It reads no clock, calls no API
// and returns byte-stable, sorted output. Each rule cites its id in docs/DOMAIN.md.
package plan

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// Issuer classes: which CA signs a certificate.
const (
	// IssuerPublic is a public CA: names the Internet sees.
	IssuerPublic = v1alpha1.IssuerClassPublic
	// IssuerInternal is the enterprise (internal) CA: names only domain members see.
	IssuerInternal = v1alpha1.IssuerClassInternal
)

// View names a DNS view: the API's type.
type View = v1alpha1.DNSView

// DNS views.
const (
	// ViewInternal is the DNS view of domain-joined clients and servers.
	ViewInternal = v1alpha1.InternalView
	// ViewExternal is the DNS view the Internet sees.
	ViewExternal = v1alpha1.ExternalView
)

// Views are the DNS views, internal first: the order every output lists them in.
var Views = []View{ViewInternal, ViewExternal}

// Severity is how much a finding matters: the API's type.
type Severity = v1alpha1.Severity

// Finding severities.
const (
	// SeverityError marks a design that does not work; nothing is applied while one is present.
	SeverityError = v1alpha1.SeverityError
	// SeverityWarning marks a design that works but is discouraged or uncertain.
	SeverityWarning = v1alpha1.SeverityWarning
	// SeverityInfo is advice.
	SeverityInfo = v1alpha1.SeverityInfo
)

// Plan is everything a deployment needs.
type Plan struct {
	// Certificates are sorted by name.
	Certificates []Certificate `json:"certificates"`
	// DNSRecords are sorted by view, zone, name, type and data.
	DNSRecords []Record `json:"dnsRecords"`
	// Findings are sorted by severity (errors first), code and path.
	Findings []Finding `json:"findings"`
	// OutlookProviderPrincipalName is the msstd: principal name Outlook Anywhere must expect when
	// the Exchange names sit on a certificate whose subject is not the Exchange external FQDN
	// (S-EX07-AUTOD); empty when the subject already matches.
	OutlookProviderPrincipalName string `json:"outlookProviderPrincipalName,omitempty"`
	// KeystoreProfile is the cert-manager PKCS#12 profile of every certificate's keystore.p12
	// (R-K8S-01): LegacyDES or Modern2023; empty when spec.certificates.pkcs12 asks for none.
	KeystoreProfile string `json:"keystoreProfile,omitempty"`
}

// Certificate is one planned certificate.
type Certificate struct {
	// Name is <deployment>-<role>; it names the cert-manager Certificate.
	Name string `json:"name"`
	// Role is what the certificate serves (pool, director, edge-internal, unified, ...).
	Role string `json:"role"`
	// Issuer is IssuerPublic or IssuerInternal.
	Issuer string `json:"issuer"`
	// CommonName is the subject CN; it is repeated as the first DNS name (V6).
	CommonName string `json:"commonName"`
	// DNSNames are the subject alternative names: CN first, then FQDNs sorted, then wildcards (V5).
	DNSNames []string `json:"dnsNames"`
	// SecretName is <name>-tls.
	SecretName string `json:"secretName"`
	// Usages are cert-manager key usage names.
	Usages []string `json:"usages"`
	// Services are where the certificate is bound, in the product's own words: the
	// Enable-ExchangeCertificate -Services values for Exchange (IIS, SMTP), the Set-CsCertificate
	// -Type values for Lync and Skype for Business (R-SFB-03). Empty when the plan does not name
	// them (the OCS 2007 R2 roles, assigned in the OCS Certificate Wizard; the reverse proxy;
	// Office Online Server, selected by friendly name).
	Services []string `json:"services,omitempty"`
	// KeyAlgorithm is RSA or ECDSA.
	KeyAlgorithm string `json:"keyAlgorithm"`
	// KeySize is the key size in bits.
	KeySize int32 `json:"keySize"`
	// Duration is the lifetime requested from the issuer: certificates.duration when set;
	// otherwise 90 days, and for a public certificate at most the CA/Browser Forum's limit on the
	// issue day (R-PKI-01), so that a deployment that never names a duration keeps issuing as the
	// limit falls to 100 and 47 days.
	Duration metav1.Duration `json:"duration"`
	// Listeners are the TLS endpoints that present the certificate, sorted by view (internal
	// first), address, port, protocol and server name. A unified certificate is presented by the
	// listeners of every role it merges.
	Listeners []Listener `json:"listeners,omitempty"`
}

// Listener is one TLS endpoint that presents a planned certificate: what a client connects to
// and the name it asks for.
type Listener struct {
	// View is the DNS view whose clients connect: ViewInternal or ViewExternal.
	View View `json:"view"`
	// Address is the IP from the spec; empty when the spec names none.
	Address string `json:"address,omitempty"`
	// Port is the TCP port.
	Port int32 `json:"port"`
	// Protocol is ProtocolTLS, or ProtocolSMTPStartTLS for Exchange's SMTP in hybrid.
	Protocol string `json:"protocol"`
	// ServerName is the name a client asks for (SNI) and expects on the certificate.
	ServerName string `json:"serverName"`
	// Rule is the DOMAIN.md section or rule the port comes from.
	Rule string `json:"rule"`
}

// Record is one DNS resource record.
type Record struct {
	// View is ViewInternal or ViewExternal.
	View View `json:"view"`
	// Zone is the DNS zone the record belongs in, without a trailing dot.
	Zone string `json:"zone"`
	// Name is the owner FQDN without a trailing dot.
	Name string `json:"name"`
	// Type is A, CNAME, SRV or MX.
	Type string `json:"type"`
	// TTL in seconds.
	TTL int32 `json:"ttl"`
	// Data is the zone-file RDATA; absolute names end with a dot.
	Data string `json:"data"`
	// Rule is the DOMAIN.md rule or source the record comes from.
	Rule string `json:"rule"`
}

// Finding is one observation about the design.
type Finding struct {
	// Severity is SeverityError, SeverityWarning or SeverityInfo.
	Severity Severity `json:"severity"`
	// Code is a stable CamelCase identifier.
	Code string `json:"code"`
	// Path is the spec field the finding is about, e.g. spec.ocs.edge.avAuthenticationPort.
	Path string `json:"path"`
	// Message explains what is wrong and how to fix it.
	Message string `json:"message"`
	// Rule is the DOMAIN.md rule id.
	Rule string `json:"rule"`
}

// HasErrors reports whether any finding is an Error.
func (p Plan) HasErrors() bool {
	for _, f := range p.Findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

// RecordsFor returns the records of one view, in plan order.
func (p Plan) RecordsFor(view View) []Record {
	var out []Record
	for _, r := range p.DNSRecords {
		if r.View == view {
			out = append(out, r)
		}
	}
	return out
}

// OnlyView returns p with the DNS records and listeners of one view; the certificates stay.
func (p Plan) OnlyView(view View) Plan {
	p.DNSRecords = p.RecordsFor(view)
	certs := make([]Certificate, len(p.Certificates))
	for i, c := range p.Certificates {
		c.Listeners = slices.DeleteFunc(slices.Clone(c.Listeners), func(l Listener) bool { return l.View != view })
		if len(c.Listeners) == 0 {
			c.Listeners = nil
		}
		certs[i] = c
	}
	p.Certificates = certs
	return p
}
