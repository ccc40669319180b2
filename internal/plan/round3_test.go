package plan

import (
	"slices"
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// Issue 26 ("Planner, round 3"): one design and one test per item, named after the item.

// xmppDesign is a federating Edge with XMPP for two SIP domains on release v.
func xmppDesign(v v1alpha1.OCSVersion) *v1alpha1.UCDeploymentSpec {
	s := sfbSpec(v)
	s.OCS.Edge.XMPPFQDN = "xmpp.contoso.com"
	return s
}

// TestItem01XMPPOnLync2013: Lync Server 2013 has the XMPP proxy on the Edge (DOMAIN.md §3.2,
// S-L13-XMPP): no Error, the XMPP records of §3.4 for every SIP domain, and the names Lync 2013's
// certificate summary lists (the bare XMPP domains) for every SIP domain, not only the primary.
// SfB 2015 gets *.<domain> for every SIP domain and the XMPPServer type (DOMAIN-CURRENT.md §1.3).
func TestItem01XMPPOnLync2013(t *testing.T) {
	for _, tc := range []struct {
		version  v1alpha1.OCSVersion
		perName  func(d string) string
		services []string
	}{
		{v1alpha1.Lync2013, func(d string) string { return d }, []string{"AccessEdgeExternal", "AudioVideoAuthentication", "DataEdgeExternal"}},
		{v1alpha1.SfB2015, func(d string) string { return "*." + d }, []string{"AccessEdgeExternal", "AudioVideoAuthentication", "DataEdgeExternal", "XMPPServer"}},
	} {
		t.Run(string(tc.version), func(t *testing.T) {
			p := Compute("c", xmppDesign(tc.version))
			if p.HasErrors() {
				t.Fatalf("errors: %+v", p.Findings)
			}
			edge := cert(t, p, RoleEdgeExternal)
			for _, d := range []string{"contoso.com", "fabrikam.com"} {
				if !slices.Contains(edge.DNSNames, tc.perName(d)) {
					t.Errorf("the Edge certificate %v lacks %s for the SIP domain %s", edge.DNSNames, tc.perName(d), d)
				}
				if !hasRecord(p, ViewExternal, "_xmpp-server._tcp."+d, "SRV", "0 0 5269 xmpp.contoso.com.") {
					t.Errorf("no _xmpp-server._tcp.%s", d)
				}
			}
			if !slices.Contains(edge.DNSNames, "xmpp.contoso.com") || !hasRecord(p, ViewExternal, "xmpp.contoso.com", "A", "131.107.155.10") {
				t.Errorf("xmpp.contoso.com is not on the Edge certificate %v or has no A record at the Access Edge", edge.DNSNames)
			}
			if !slices.Equal(edge.Services, tc.services) {
				t.Errorf("Edge services %v, want %v", edge.Services, tc.services)
			}
		})
	}
	for _, v := range []v1alpha1.OCSVersion{v1alpha1.Lync2010, v1alpha1.SfB2019, v1alpha1.SfBSE} {
		if p := Compute("c", xmppDesign(v)); !finds(p, SeverityError, CodeXMPPNotSupported, "spec.ocs.edge.xmppFQDN") {
			t.Errorf("%s: XMPP not refused: %+v", v, p.Findings)
		}
	}
}
