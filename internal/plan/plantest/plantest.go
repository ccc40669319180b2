// Package plantest holds the designs the planner's benchmark and the performance benchmark
// (bench.Planner) both plan, so that the two measure the same thing. It depends on the API
// types only.
package plantest

import (
	"fmt"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// EnterpriseSpec is the planner benchmark's deployment: an OCS 2007 R2 Enterprise pool with two
// front ends, a Director, a consolidated Edge, a reverse proxy, Communicator Web Access and
// Exchange 2010, certificates per role, serving domains SIP domains that are also the accepted
// SMTP domains (contoso.com, contoso1.com, ...). With one domain it is the contoso-ee sample's
// shape less fabrikam.com.
func EnterpriseSpec(domains int) *v1alpha1.UCDeploymentSpec {
	names := make([]v1alpha1.FQDN, domains)
	for i := range names {
		names[i] = "contoso.com"
		if i > 0 {
			names[i] = v1alpha1.FQDN(fmt.Sprintf("contoso%d.com", i))
		}
	}
	yes := true
	return &v1alpha1.UCDeploymentSpec{
		SIPDomains: names,
		OCS: &v1alpha1.OCSSpec{
			Version:  v1alpha1.OCS2007R2,
			Edition:  v1alpha1.EnterpriseEdition,
			PoolFQDN: "pool01.contoso.com",
			PoolIP:   "10.0.0.10",
			FrontEnds: []v1alpha1.Server{
				{FQDN: "fe01.contoso.com", IP: "10.0.0.11"},
				{FQDN: "fe02.contoso.com", IP: "10.0.0.12"},
			},
			InternalWebFQDN: "ocsweb.contoso.com",
			AutomaticSignIn: &yes,
			Director:        &v1alpha1.DirectorSpec{FQDN: "dir01.contoso.com", IP: "10.0.0.30"},
			Edge: &v1alpha1.EdgeSpec{
				InternalFQDN: "edge01.contoso.local", InternalIP: "172.16.0.10",
				AccessFQDN: "sip.contoso.com", AccessIP: "131.107.155.10",
				WebConferencingFQDN: "webconf.contoso.com", WebConferencingIP: "131.107.155.20", WebConferencingPort: 443,
				AVFQDN: "av.contoso.com", AVIP: "131.107.155.30", AVAuthenticationPort: 5062,
				Federation: &yes,
			},
			ReverseProxy:          &v1alpha1.ReverseProxySpec{FQDN: "webext.contoso.com", IP: "131.107.155.40"},
			CommunicatorWebAccess: &v1alpha1.CWASpec{FQDN: "cwa.contoso.com", ServerFQDN: "cwa01.contoso.local", IP: "131.107.155.41"},
		},
		Exchange: &v1alpha1.ExchangeSpec{
			Version:      v1alpha1.Exchange2010,
			SMTPDomains:  names,
			ExternalFQDN: "mail.contoso.com",
			ExternalIP:   "131.107.155.50",
			InternalIP:   "10.0.0.20",
			Servers: []v1alpha1.ExchangeServer{
				{FQDN: "ex01.contoso.local", NetBIOSName: "EX01"},
				{FQDN: "ex02.contoso.local", NetBIOSName: "EX02"},
			},
			CASArrayFQDN: "outlook.contoso.com",
			Autodiscover: v1alpha1.AutodiscoverHostRecord,
			PublishedVia: "TMG",
		},
		Certificates: v1alpha1.CertificatesSpec{
			Strategy:          v1alpha1.PerRole,
			PublicIssuerRef:   &v1alpha1.IssuerRef{Name: "public-ca", Kind: "ClusterIssuer"},
			InternalIssuerRef: &v1alpha1.IssuerRef{Name: "corp-ca", Kind: "ClusterIssuer"},
		},
	}
}
