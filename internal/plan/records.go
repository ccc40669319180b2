package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// recordSet collects records of both views; zones are assigned at the end.
type recordSet struct {
	ttl     int32
	records []Record
}

func (s *recordSet) add(view, name, typ, data, rule string) {
	if name == "" || data == "" {
		return
	}
	s.records = append(s.records, Record{View: view, Name: name, Type: typ, TTL: s.ttl, Data: data, Rule: rule})
}

// addA adds an A record when the address is known.
func (s *recordSet) addA(view, name, ip, rule string) {
	if ip != "" {
		s.add(view, name, "A", ip, rule)
	}
}

func (s *recordSet) addSRV(view, name string, port int32, target, rule string) {
	s.add(view, name, "SRV", fmt.Sprintf("0 0 %d %s.", port, target), rule)
}

// dnsRecords computes the records of both views (§1.4, §2.2).
func dnsRecords(in *input) []Record {
	s := &recordSet{ttl: in.ttl}
	if in.ocs != nil {
		ocsInternalRecords(in, s)
		if in.edge != nil {
			edgeExternalRecords(in, s)
		}
		if rp := in.ocs.ReverseProxy; rp != nil {
			s.addA(ViewExternal, lower(rp.FQDN), string(rp.IP), "S-RP-2010")
		}
		if c := in.ocs.CommunicatorWebAccess; c != nil {
			url := lower(c.FQDN)
			for _, n := range []string{url, "as." + url, "download." + url} {
				s.addA(ViewExternal, n, string(c.IP), "R-CWA")
			}
		}
	}
	if in.exchange != nil {
		exchangeRecords(in, s)
	}
	assignZones(in, s.records)
	slices.SortFunc(s.records, func(a, b Record) int {
		if recordLess(a, b) {
			return -1
		}
		if recordLess(b, a) {
			return 1
		}
		return 0
	})
	return dedupeRecords(s.records)
}

// ocsInternalRecords: pool, front ends, web farm, sign-in SRV and fallback, Director, edge internal.
func ocsInternalRecords(in *input, s *recordSet) {
	o := in.ocs
	pool := lower(o.PoolFQDN)
	s.addA(ViewInternal, pool, string(o.PoolIP), "S-OCS-DNS")
	for _, fe := range o.FrontEnds {
		s.addA(ViewInternal, lower(fe.FQDN), string(fe.IP), "S-OCS-DNS")
	}
	if web := in.internalWebFQDN(); web != pool {
		s.addA(ViewInternal, web, string(o.PoolIP), "S-OCS-DNS")
	}
	if d := o.Director; d != nil {
		s.addA(ViewInternal, lower(d.FQDN), string(d.IP), "R-OCS-DIR")
	}
	if in.automaticSignIn() {
		target, ip, _ := in.signInTarget()
		for _, d := range in.sipDomains {
			// V10: exactly one _sipinternaltls._tcp per SIP domain, to the one sign-in server.
			s.addSRV(ViewInternal, "_sipinternaltls._tcp."+d, 5061, target, "S-OCS-AUTOSIGNIN")
			// Fallback A record for clients and phones that find no SRV (S-SCHERTZ-DNS, S-OCS-PHONE);
			// sip.<domain> is on the sign-in server's certificate.
			s.addA(ViewInternal, "sip."+d, ip, "S-OCS-PHONE")
		}
	}
	if e := in.edge; e != nil {
		s.addA(ViewInternal, lower(e.InternalFQDN), string(e.InternalIP), "S-OCS-EDGEDNS")
	}
}

// edgeExternalRecords: remote access and federation SRVs per SIP domain, pointing at sip.<domain>
// so that the SRV target stays in the SIP domain (V8) and is a name on the Access Edge
// certificate (S-OCS-EDGEDNS-R2); A records for each edge service.
func edgeExternalRecords(in *input, s *recordSet) {
	e := in.edge
	accessIP := string(e.AccessIP)
	s.addA(ViewExternal, lower(e.AccessFQDN), accessIP, "S-OCS-EDGEDNS")
	for _, d := range in.sipDomains {
		s.addSRV(ViewExternal, "_sip._tls."+d, 443, "sip."+d, "S-OCS-EDGEDNS")
		if in.federation() {
			s.addSRV(ViewExternal, "_sipfederationtls._tcp."+d, 5061, "sip."+d, "S-OCS-EDGEDNS")
		}
		s.addA(ViewExternal, "sip."+d, accessIP, "S-OCS-EDGEDNS")
	}
	wc, wcIP := in.webConferencing()
	s.addA(ViewExternal, wc, wcIP, "S-OCS-EDGEDNS")
	s.addA(ViewExternal, lower(e.AVFQDN), string(e.AVIP), "S-OCS-EDGEDNS")
}

// exchangeRecords: MX and autodiscover per SMTP domain, the external namespace in both views
// (split DNS), the CAS array internally only (S-CASARRAY), the legacy namespace in both.
func exchangeRecords(in *input, s *recordSet) {
	x := in.exchange
	ext := lower(x.ExternalFQDN)
	s.addA(ViewExternal, ext, string(x.ExternalIP), "§2.2")
	s.addA(ViewInternal, ext, string(x.InternalIP), "§2.2")
	for _, d := range in.smtpDomains {
		s.add(ViewExternal, d, "MX", fmt.Sprintf("%d %s.", in.mxPreference(), ext), "§2.2")
		if x.Autodiscover == v1alpha1.AutodiscoverSRV {
			s.addSRV(ViewExternal, "_autodiscover._tcp."+d, 443, ext, "S-KB940881")
			continue
		}
		if ad := "autodiscover." + d; ad != ext {
			s.add(ViewExternal, ad, "CNAME", ext+".", "S-EX07-AUTOD")
			s.add(ViewInternal, ad, "CNAME", ext+".", "S-EX07-AUTOD")
		}
	}
	if x.Version == v1alpha1.Exchange2010 || x.Version == "" {
		s.addA(ViewInternal, lower(x.CASArrayFQDN), string(x.InternalIP), "S-CASARRAY")
	}
	legacy := lower(x.LegacyFQDN)
	s.addA(ViewExternal, legacy, string(x.LegacyIP), "S-EX10-TRANS")
	s.addA(ViewInternal, legacy, string(x.LegacyIP), "S-EX10-TRANS")
}

// assignZones puts each record in the longest known zone that contains it: the SIP and SMTP
// domains and the parent domains of every host in the spec.
func assignZones(in *input, records []Record) {
	zones := map[string]bool{}
	for _, z := range knownZones(in) {
		zones[z] = true
	}
	for i := range records {
		r := &records[i]
		r.Zone = parent(r.Name)
		// The longest known zone the name is in: walk its suffixes, longest first.
		for n := r.Name; ; {
			if zones[n] {
				r.Zone = n
				break
			}
			dot := strings.IndexByte(n, '.')
			if dot < 0 {
				break
			}
			n = n[dot+1:]
		}
	}
}

func knownZones(in *input) []string {
	set := map[string]bool{}
	for _, d := range in.sipDomains {
		set[d] = true
	}
	for _, d := range in.smtpDomains {
		set[d] = true
	}
	for _, h := range hostNames(in) {
		set[parent(h)] = true
	}
	out := make([]string, 0, len(set))
	for z := range set {
		out = append(out, z)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

// hostNames lists every host FQDN of the spec.
func hostNames(in *input) []string {
	var out []string
	add := func(n v1alpha1.FQDN) {
		if n != "" {
			out = append(out, lower(n))
		}
	}
	if o := in.ocs; o != nil {
		add(o.PoolFQDN)
		add(o.InternalWebFQDN)
		for _, fe := range o.FrontEnds {
			add(fe.FQDN)
		}
		if o.Director != nil {
			add(o.Director.FQDN)
		}
		if e := o.Edge; e != nil {
			add(e.InternalFQDN)
			add(e.AccessFQDN)
			add(e.WebConferencingFQDN)
			add(e.AVFQDN)
		}
		if o.ReverseProxy != nil {
			add(o.ReverseProxy.FQDN)
		}
		if c := o.CommunicatorWebAccess; c != nil {
			add(c.FQDN)
			add(c.ServerFQDN)
		}
	}
	if x := in.exchange; x != nil {
		add(x.ExternalFQDN)
		add(x.CASArrayFQDN)
		add(x.LegacyFQDN)
		for _, s := range x.Servers {
			add(s.FQDN)
		}
	}
	return out
}

func recordLess(a, b Record) bool {
	switch {
	case a.View != b.View:
		return a.View < b.View
	case a.Zone != b.Zone:
		return a.Zone < b.Zone
	case a.Name != b.Name:
		return a.Name < b.Name
	case a.Type != b.Type:
		return a.Type < b.Type
	default:
		return a.Data < b.Data
	}
}

// dedupeRecords drops records equal in view, name, type and data to the one before (the input is sorted).
func dedupeRecords(records []Record) []Record {
	out := records[:0]
	for i, r := range records {
		if i > 0 {
			p := out[len(out)-1]
			if p.View == r.View && p.Name == r.Name && p.Type == r.Type && p.Data == r.Data {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}
