package plan

import (
	"strings"
	"time"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// Defaults the planner assumes when a field is zero. They match the CRD's default markers, so a
// spec that did not pass through the API server (a Go caller, a fuzzer) plans the same way.
const (
	defaultWebConferencingPort         = 443
	defaultAccessPort                  = 443
	defaultWebConferencingInternalPort = 8057 // S-OCS-WCEINT
	defaultAVAuthenticationPort        = 5062 // SEED, S-SFB-EDGE
	defaultMXPreference                = 10
	defaultTTL                         = 3600
	defaultMaxSANs                     = 100
	defaultRSAKeySize                  = 2048
	defaultECDSAKeySize                = 256
	defaultDuration                    = 90 * 24 * time.Hour // cert-manager's default; capped by lifetime
)

// input is the spec with defaults applied and names lower-cased: what every rule reads.
type input struct {
	name        string
	sipDomains  []string
	smtpDomains []string
	smtpPath    string // the field smtpDomains came from
	ocs         *v1alpha1.OCSSpec
	edge        *v1alpha1.EdgeSpec
	exchange    *v1alpha1.ExchangeSpec
	certs       v1alpha1.CertificatesSpec
	ttl         int32
	zones       []string  // spec.dns.zones, lower-cased
	issued      time.Time // the issue date (IssuedOn); zero when not given
	acme        bool      // the public issuer is an ACME CA (PublicACME)
	acmeProfile string    // its profile
	// acmeAccountURI is the public issuer's ACME account (ACMEAccount); empty when not given.
	acmeAccountURI string
	// acmeSolversKnown says ACMESolvers was given; acmeDNS01Only and acmeFollowsCNAME are its.
	acmeSolversKnown bool
	acmeDNS01Only    bool
	acmeFollowsCNAME bool
	caa              *v1alpha1.CAASpec
	sizer            ConfigMapSizer // measures the DNS ConfigMaps (MeasuredBy); nil when not given
	// acmeDelegation is spec.dns.acmeChallengeDelegation, lower-cased; empty when not set.
	acmeDelegation string
}

func newInput(name string, spec *v1alpha1.UCDeploymentSpec) *input {
	in := &input{
		name:           name,
		sipDomains:     lowerAll(spec.SIPDomains),
		ocs:            spec.OCS,
		exchange:       spec.Exchange,
		certs:          spec.Certificates,
		ttl:            spec.DNS.TTL,
		zones:          lowerAll(spec.DNS.Zones),
		caa:            spec.DNS.CAA,
		acmeDelegation: lower(spec.DNS.ACMEChallengeDelegation),
	}
	if in.ttl <= 0 {
		in.ttl = defaultTTL
	}
	if in.onPremises() {
		in.edge = in.ocs.Edge
	}
	if in.exchange != nil {
		in.smtpDomains = lowerAll(in.exchange.SMTPDomains)
		in.smtpPath = "spec.exchange.smtpDomains"
		if len(in.smtpDomains) == 0 {
			in.smtpDomains = in.sipDomains
			in.smtpPath = "spec.sipDomains"
		}
	}
	return in
}

// lowerAll returns the names lower-cased, duplicates removed, order kept.
func lowerAll[T ~string](names []T) []string {
	out := make([]string, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		s := lower(n)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// lower canonicalises a DNS name: lower case, no trailing dot.
func lower[T ~string](s T) string {
	return strings.TrimSuffix(strings.ToLower(string(s)), ".")
}

func (in *input) automaticSignIn() bool {
	return in.onPremises() && (in.ocs.AutomaticSignIn == nil || *in.ocs.AutomaticSignIn)
}

// signInTarget is the one server designated for sign-in (V10, S-OCS-AUTOSIGNIN): its FQDN and
// addresses, and the fields they come from.
type signInTarget struct {
	fqdn, fqdnPath string
	addresses      []address
}

// signInTarget returns the Director when it is designated, otherwise the pool (every front end
// of a DNS-load-balanced pool, DOMAIN.md §3.4).
func (in *input) signInTarget() signInTarget {
	if in.ocs.AutomaticSignInTarget == v1alpha1.SignInDirector && in.ocs.Director != nil {
		return signInTarget{lower(in.ocs.Director.FQDN), "spec.ocs.director.fqdn", []address{{ip: string(in.ocs.Director.IP), path: "spec.ocs.director.ip"}}}
	}
	return signInTarget{lower(in.ocs.PoolFQDN), "spec.ocs.poolFQDN", poolAddresses(in)}
}

func (in *input) internalWebFQDN() string {
	if in.ocs.InternalWebFQDN == "" {
		return lower(in.ocs.PoolFQDN)
	}
	return lower(in.ocs.InternalWebFQDN)
}

func (in *input) federation() bool {
	return in.edge != nil && (in.edge.Federation == nil || *in.edge.Federation)
}

// accessPort is the Access Edge's client port: 443, or 5061 in a single-IP Edge (V30).
func (in *input) accessPort() int32 {
	return orDefault(int32(in.edge.AccessPort), defaultAccessPort)
}

func (in *input) webConferencingPort() int32 {
	return orDefault(int32(in.edge.WebConferencingPort), defaultWebConferencingPort)
}

func (in *input) webConferencingInternalPort() int32 {
	return orDefault(int32(in.edge.WebConferencingInternalPort), defaultWebConferencingInternalPort)
}

func (in *input) avAuthenticationPort() int32 {
	return orDefault(int32(in.edge.AVAuthenticationPort), defaultAVAuthenticationPort)
}

// webConferencing returns the Web Conferencing Edge FQDN and address. When it shares the Access
// Edge FQDN (the seed's single-certificate design) it shares its address too.
func (in *input) webConferencing() (fqdn, ip string) {
	fqdn, ip = lower(in.edge.WebConferencingFQDN), string(in.edge.WebConferencingIP)
	if fqdn == lower(in.edge.AccessFQDN) && ip == "" {
		ip = string(in.edge.AccessIP)
	}
	return fqdn, ip
}

// sharesAccessOrWebConferencingName reports whether name is the Access or Web Conferencing Edge's FQDN.
func (in *input) sharesAccessOrWebConferencingName(name string) bool {
	wc, _ := in.webConferencing()
	return name == lower(in.edge.AccessFQDN) || name == wc
}

// exchangeVersion is the Exchange release, 2010 when the spec does not say (the CRD's default).
func (in *input) exchangeVersion() v1alpha1.ExchangeVersion {
	if in.exchange == nil || in.exchange.Version == "" {
		return v1alpha1.Exchange2010
	}
	return in.exchange.Version
}

// modernExchange reports Exchange 2013 or later: one HTTP namespace, no CAS array (R-EX-01).
func (in *input) modernExchange() bool {
	switch in.exchangeVersion() {
	case v1alpha1.Exchange2007, v1alpha1.Exchange2010:
		return false
	}
	return in.exchange != nil
}

func (in *input) mxPreference() int32 {
	if in.exchange.MXPreference == nil {
		return defaultMXPreference
	}
	return *in.exchange.MXPreference
}

func (in *input) maxSANs() int {
	return int(orDefault(in.certs.MaxSANs, defaultMaxSANs))
}

func (in *input) keyAlgorithm() string {
	if in.certs.PrivateKey.Algorithm == "" {
		return "RSA"
	}
	return in.certs.PrivateKey.Algorithm
}

// keySize is the key size in bits: the spec's, or cert-manager's default for the algorithm.
func (in *input) keySize() int32 {
	if in.keyAlgorithm() == "ECDSA" {
		return orDefault(in.certs.PrivateKey.Size, defaultECDSAKeySize)
	}
	return orDefault(in.certs.PrivateKey.Size, defaultRSAKeySize)
}

// duration is the requested certificate lifetime: the spec's, or cert-manager's default of 90
// days when the spec does not say.
// lifetime is the duration requested for a certificate of the issuer class: certificates.duration
// when the spec sets it; otherwise the default, which for a public certificate issued on a known
// day is cut to the CA/Browser Forum's limit of that day (R-PKI-01: 90 days until 15 March 2029,
// 47 days from then). A duration the author wrote is never changed: checkPublicValidity judges it.
func (in *input) lifetime(issuer string) time.Duration {
	if in.certs.Duration != nil {
		return in.certs.Duration.Duration
	}
	if issuer != IssuerPublic || in.issued.IsZero() {
		return defaultDuration
	}
	limit, _ := MaxValidityDays(in.issued)
	return min(defaultDuration, time.Duration(limit)*24*time.Hour)
}

func orDefault(v, def int32) int32 {
	if v == 0 {
		return def
	}
	return v
}
