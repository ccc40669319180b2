package plan

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// endpoints renders a certificate's listeners as "view address:port protocol serverName".
func endpoints(c Certificate) []string {
	out := make([]string, len(c.Listeners))
	for i, l := range c.Listeners {
		out[i] = fmt.Sprintf("%s %s:%d %s %s", l.View, l.Address, l.Port, l.Protocol, l.ServerName)
	}
	return out
}

func wantListeners(t *testing.T, p Plan, role string, want ...string) {
	t.Helper()
	if got := endpoints(cert(t, p, role)); !slices.Equal(got, want) {
		t.Errorf("%s listeners:\n got %q\nwant %q", role, got, want)
	}
}

// TestListenersOCS2007R2: the OCS 2007 R2 ports of DOMAIN.md §1.5, one certificate per role.
func TestListenersOCS2007R2(t *testing.T) {
	p := Compute("c", base())
	wantListeners(t, p, RolePool, "internal 10.0.0.10:443 tls pool01.contoso.com", "internal 10.0.0.10:5061 tls pool01.contoso.com")
	wantListeners(t, p, RoleDirector, "internal 10.0.0.30:5061 tls dir01.contoso.com")
	wantListeners(t, p, RoleEdgeInternal, "internal 172.16.0.10:5061 tls edge01.contoso.local", "internal 172.16.0.10:8057 tls edge01.contoso.local")
	wantListeners(t, p, RoleAVAuthentication, "internal 172.16.0.10:5062 tls av.contoso.com")
	wantListeners(t, p, RoleAccessEdge, "external 131.107.155.10:443 tls sip.contoso.com", "external 131.107.155.10:5061 tls sip.contoso.com")
	wantListeners(t, p, RoleWebConferencing, "external 131.107.155.20:443 tls webconf.contoso.com")
	wantListeners(t, p, RoleReverseProxy, "external 131.107.155.40:443 tls webext.contoso.com")
	wantListeners(t, p, RoleCWA, "external 131.107.155.41:443 tls cwa.contoso.com")
	wantListeners(t, p, RoleExchange, "internal 10.0.0.20:443 tls mail.contoso.com", "external 131.107.155.50:443 tls mail.contoso.com")
	if c := cert(t, p, RoleCWAInternal); len(c.Listeners) != 0 {
		t.Errorf("the CWA MTLS certificate is a client certificate, not served: %q", endpoints(c))
	}
}

// TestListenersSeedSingleCertificate: Access and Web Conferencing on one name and address, Web
// Conferencing on 444 (§1.2 seed variant), merged with Exchange into the unified certificate.
func TestListenersSeedSingleCertificate(t *testing.T) {
	s := base()
	s.Certificates.Strategy = v1alpha1.Unified
	s.OCS.ReverseProxy, s.OCS.CommunicatorWebAccess = nil, nil
	s.OCS.Edge.WebConferencingFQDN, s.OCS.Edge.WebConferencingIP, s.OCS.Edge.WebConferencingPort = "sip.contoso.com", "", 444
	p := Compute("c", s)
	wantListeners(t, p, RoleUnified,
		"internal 10.0.0.20:443 tls mail.contoso.com",
		"external 131.107.155.10:443 tls sip.contoso.com",
		"external 131.107.155.10:444 tls sip.contoso.com",
		"external 131.107.155.10:5061 tls sip.contoso.com",
		"external 131.107.155.50:443 tls mail.contoso.com")
}

// TestListenersSfB: the one Edge certificate serves Access, Web Conferencing and A/V
// Authentication (§3.2); the pool and Director add the web services on 443 and 4443 (§3.1,
// §3.3); a DNS-load-balanced pool answers SIP on every front end (§3.4); Office Online on 443.
func TestListenersSfB(t *testing.T) {
	p := Compute("c", sfbSpec(v1alpha1.SfB2019))
	wantListeners(t, p, RoleEdgeExternal,
		"internal 172.16.0.10:5062 tls sip.contoso.com",
		"external 131.107.155.10:443 tls sip.contoso.com",
		"external 131.107.155.10:5061 tls sip.contoso.com",
		"external 131.107.155.20:443 tls webconf.contoso.com")
	wantListeners(t, p, RolePool,
		"internal 10.0.0.10:443 tls webint.contoso.com",
		"internal 10.0.0.10:4443 tls webext.contoso.com",
		"internal 10.0.0.11:5061 tls pool01.contoso.com",
		"internal 10.0.0.12:5061 tls pool01.contoso.com")
	wantListeners(t, p, RoleDirector,
		"internal 10.0.0.30:443 tls dir01.contoso.com",
		"internal 10.0.0.30:4443 tls webdir.contoso.com",
		"internal 10.0.0.30:5061 tls dir01.contoso.com")
	wantListeners(t, p, RoleReverseProxy,
		"external 131.107.155.40:443 tls webdir.contoso.com",
		"external 131.107.155.40:443 tls webext.contoso.com")
	wantListeners(t, p, RoleOfficeOnline, "internal 10.0.0.50:443 tls oos.contoso.com")
	if c := cert(t, p, RoleOAuth); len(c.Listeners) != 0 {
		t.Errorf("the OAuth certificate signs tokens and is not served: %q", endpoints(c))
	}
}

// TestListenersSingleIPEdge: when the A/V Edge holds 443 on the Access Edge's address, SIP is
// on 5061 alone (§3.5).
func TestListenersSingleIPEdge(t *testing.T) {
	s := sfbSpec(v1alpha1.SfB2015)
	s.OCS.Edge.AVIP = s.OCS.Edge.AccessIP
	s.OCS.Edge.WebConferencingIP, s.OCS.Edge.WebConferencingPort = s.OCS.Edge.AccessIP, 444
	p := Compute("c", s)
	wantListeners(t, p, RoleEdgeExternal,
		"internal 172.16.0.10:5062 tls sip.contoso.com",
		"external 131.107.155.10:444 tls webconf.contoso.com",
		"external 131.107.155.10:5061 tls sip.contoso.com")
}

// TestListenersExchangeHybrid: SMTP with STARTTLS on 25 beside 443 in hybrid (DOMAIN-CURRENT.md
// §2.3); a spec without addresses leaves them empty.
func TestListenersExchangeHybrid(t *testing.T) {
	s := modernExchangeSpec(v1alpha1.Exchange2019)
	s.Exchange.Hybrid = true
	s.Exchange.InternalIP = ""
	p := Compute("c", s)
	wantListeners(t, p, RoleExchange,
		"internal :443 tls mail.contoso.com",
		"external 131.107.155.50:25 smtp-starttls mail.contoso.com",
		"external 131.107.155.50:443 tls mail.contoso.com")
}

// TestOnlyView keeps one view's listeners and records and leaves the plan it came from alone.
func TestOnlyView(t *testing.T) {
	p := Compute("c", base())
	ext := p.OnlyView(ViewExternal)
	if got := endpoints(cert(t, ext, RoleExchange)); !slices.Equal(got, []string{"external 131.107.155.50:443 tls mail.contoso.com"}) {
		t.Errorf("external exchange listeners %q", got)
	}
	if c := cert(t, ext, RolePool); c.Listeners != nil {
		t.Errorf("the pool has no external listener: %q", endpoints(c))
	}
	if n := len(cert(t, p, RoleExchange).Listeners); n != 2 {
		t.Errorf("OnlyView changed the original plan: %d exchange listeners", n)
	}
	for _, r := range ext.DNSRecords {
		if r.View != ViewExternal {
			t.Errorf("internal record kept: %+v", r)
		}
	}
}
