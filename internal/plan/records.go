package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// origin is where a record came from: the spec field that produced its owner name, and the order
// in which the planner added it (a later record is the one that collided with an earlier one).
type origin struct {
	path string
	seq  int
}

// recordSet collects records of both views; zones are assigned at the end. It remembers the
// field each record's owner name came from (DNSRecordConflict names it) and, for every host whose
// address field is empty, which field would give the address (RecordTargetWithoutAddress).
type recordSet struct {
	ttl     int32
	records []Record
	origins map[string]origin
	// unaddressed maps view and host name to the empty address field that would give its A record.
	unaddressed map[string]string
	// outsideZones are owner names under none of the zones spec.dns.zones lists.
	outsideZones []string
	// pinPoint are the internal view's pin-point zones: owner names under no hosted zone.
	pinPoint []string
}

// recordKey identifies a record by view, owner, type and data.
func recordKey(r Record) string {
	return string(r.View) + "\x00" + r.Name + "\x00" + r.Type + "\x00" + r.Data
}

// hostKey identifies a host name in a view.
func hostKey(view View, name string) string {
	return string(view) + "\x00" + name
}

// add adds a record whose owner name comes from the spec field path.
func (s *recordSet) add(view View, name, path, typ, data, rule string) {
	if name == "" || data == "" {
		return
	}
	r := Record{View: view, Name: name, Type: typ, TTL: s.ttl, Data: data, Rule: rule}
	if s.origins == nil {
		s.origins = map[string]origin{}
	}
	if _, dup := s.origins[recordKey(r)]; !dup {
		s.origins[recordKey(r)] = origin{path: path, seq: len(s.records)}
	}
	s.records = append(s.records, r)
}

// addA adds the A record of name (from the field namePath) when the address is known; when it is
// not, it remembers ipPath as the field that would give it.
func (s *recordSet) addA(view View, name, namePath, ip, ipPath, rule string) {
	if ip != "" {
		s.add(view, name, namePath, "A", ip, rule)
		return
	}
	if name == "" {
		return
	}
	if s.unaddressed == nil {
		s.unaddressed = map[string]string{}
	}
	if _, known := s.unaddressed[hostKey(view, name)]; !known {
		s.unaddressed[hostKey(view, name)] = ipPath
	}
}

func (s *recordSet) addSRV(view View, name, path string, port int32, target, rule string) {
	s.add(view, name, path, "SRV", fmt.Sprintf("0 0 %d %s.", port, target), rule)
}

// dnsRecords computes the records of both views (§1.4, §2.2) and the CAA records of the public
// certificates' zones (R-PKI-05), sorted and without duplicates.
func dnsRecords(in *input, groups []*group) *recordSet {
	s := &recordSet{ttl: in.ttl}
	if in.teamsOnly() {
		teamsOnlyRecords(in, s)
	}
	if in.onPremises() {
		ocsInternalRecords(in, s)
		if in.edge != nil {
			edgeExternalRecords(in, s)
		}
		if in.lync() {
			lyncRecords(in, s)
			hybridRecords(in, s)
		}
		if rp := in.ocs.ReverseProxy; rp != nil {
			s.addA(ViewExternal, lower(rp.FQDN), "spec.ocs.reverseProxy.fqdn", string(rp.IP), "spec.ocs.reverseProxy.ip", "S-RP-2010")
		}
		if c := in.ocs.CommunicatorWebAccess; c != nil {
			for _, n := range cwaNames(c) {
				s.addA(ViewExternal, n, "spec.ocs.communicatorWebAccess.fqdn", string(c.IP), "spec.ocs.communicatorWebAccess.ip", "R-CWA")
				if c.InternalIP != "" {
					// §4 rule 3: split DNS, so that internal users reach the site by the same names.
					s.addA(ViewInternal, n, "spec.ocs.communicatorWebAccess.fqdn", string(c.InternalIP), "spec.ocs.communicatorWebAccess.internalIP", "R-CWA")
				}
			}
		}
	}
	if in.exchange != nil {
		exchangeRecords(in, s)
	}
	caaRecords(in, groups, s)
	acmeChallengeRecords(in, groups, s)
	s.outsideZones, s.pinPoint = assignZones(in, s.records)
	s.records = dropLoneInternalAutodiscover(s.records)
	slices.SortFunc(s.records, func(a, b Record) int {
		if recordLess(a, b) {
			return -1
		}
		if recordLess(b, a) {
			return 1
		}
		return 0
	})
	s.records = dedupeRecords(s.records)
	return s
}

// cwaNames are the names of a CWA site: its URL host, as.<url> and download.<url> (R-CWA).
func cwaNames(c *v1alpha1.CWASpec) []string {
	url := lower(c.FQDN)
	if url == "" {
		return nil
	}
	return []string{url, "as." + url, "download." + url}
}

// ocsInternalRecords: pool, front ends, web farm, sign-in SRV and fallback, Director, edge internal.
func ocsInternalRecords(in *input, s *recordSet) {
	o := in.ocs
	pool := lower(o.PoolFQDN)
	for _, a := range poolAddresses(in) {
		s.addA(ViewInternal, pool, "spec.ocs.poolFQDN", a.ip, a.path, a.rule)
	}
	for i, fe := range o.FrontEnds {
		s.addA(ViewInternal, lower(fe.FQDN), fmt.Sprintf("spec.ocs.frontEnds[%d].fqdn", i), string(fe.IP), fmt.Sprintf("spec.ocs.frontEnds[%d].ip", i), "S-OCS-DNS")
	}
	if web := in.internalWebFQDN(); web != pool {
		s.addA(ViewInternal, web, "spec.ocs.internalWebFQDN", string(o.PoolIP), "spec.ocs.poolIP", "S-OCS-DNS")
	}
	if d := o.Director; d != nil {
		s.addA(ViewInternal, lower(d.FQDN), "spec.ocs.director.fqdn", string(d.IP), "spec.ocs.director.ip", "R-OCS-DIR")
	}
	if in.automaticSignIn() {
		t := in.signInTarget()
		for i, d := range in.sipDomains {
			domainPath := fmt.Sprintf("spec.sipDomains[%d]", i)
			// V10: exactly one _sipinternaltls._tcp per SIP domain, to the one sign-in server.
			s.addSRV(ViewInternal, "_sipinternaltls._tcp."+d, domainPath, 5061, t.fqdn, "S-OCS-AUTOSIGNIN")
			// Fallback A record for clients and phones that find no SRV (S-SCHERTZ-DNS, S-OCS-PHONE);
			// sip.<domain> is on the sign-in server's certificate.
			for _, a := range t.addresses {
				rule := "S-OCS-PHONE"
				if a.rule == ruleDNSLoadBalancing {
					rule = a.rule // every front end, on purpose
				}
				s.addA(ViewInternal, "sip."+d, domainPath, a.ip, a.path, rule)
			}
		}
	}
	if e := in.edge; e != nil {
		s.addA(ViewInternal, lower(e.InternalFQDN), "spec.ocs.edge.internalFQDN", string(e.InternalIP), "spec.ocs.edge.internalIP", "S-OCS-EDGEDNS")
	}
}

// edgeExternalRecords: remote access and federation SRVs per SIP domain, pointing at sip.<domain>
// so that the SRV target stays in the SIP domain (V8) and is a name on the Access Edge
// certificate (S-OCS-EDGEDNS-R2); A records for each edge service.
func edgeExternalRecords(in *input, s *recordSet) {
	e := in.edge
	accessIP := string(e.AccessIP)
	const accessIPPath = "spec.ocs.edge.accessIP"
	s.addA(ViewExternal, lower(e.AccessFQDN), "spec.ocs.edge.accessFQDN", accessIP, accessIPPath, "S-OCS-EDGEDNS")
	for i, d := range in.sipDomains {
		domainPath := fmt.Sprintf("spec.sipDomains[%d]", i)
		s.addSRV(ViewExternal, "_sip._tls."+d, domainPath, in.accessPort(), "sip."+d, "S-OCS-EDGEDNS")
		if in.federation() {
			s.addSRV(ViewExternal, "_sipfederationtls._tcp."+d, domainPath, 5061, "sip."+d, "S-OCS-EDGEDNS")
		}
		s.addA(ViewExternal, "sip."+d, domainPath, accessIP, accessIPPath, "S-OCS-EDGEDNS")
	}
	wc, wcIP := in.webConferencing()
	wcIPPath := "spec.ocs.edge.webConferencingIP"
	if wc == lower(e.AccessFQDN) {
		wcIPPath = accessIPPath
	}
	s.addA(ViewExternal, wc, "spec.ocs.edge.webConferencingFQDN", wcIP, wcIPPath, "S-OCS-EDGEDNS")
	s.addA(ViewExternal, lower(e.AVFQDN), "spec.ocs.edge.avFQDN", string(e.AVIP), "spec.ocs.edge.avIP", "S-OCS-EDGEDNS")
}

// exchangeRecords: MX and autodiscover per SMTP domain, the external namespace in both views
// (split DNS), the CAS array internally only (S-CASARRAY), the legacy namespace in each view at
// that view's address (S-EX10-TRANS).
func exchangeRecords(in *input, s *recordSet) {
	x := in.exchange
	ext := lower(x.ExternalFQDN)
	const extPath = "spec.exchange.externalFQDN"
	s.addA(ViewExternal, ext, extPath, string(x.ExternalIP), "spec.exchange.externalIP", "§2.2")
	s.addA(ViewInternal, ext, extPath, string(x.InternalIP), "spec.exchange.internalIP", "§2.2")
	for i, d := range in.smtpDomains {
		domainPath := fmt.Sprintf("%s[%d]", in.smtpPath, i)
		s.add(ViewExternal, d, domainPath, "MX", fmt.Sprintf("%d %s.", in.mxPreference(), ext), "§2.2")
		if x.Autodiscover == v1alpha1.AutodiscoverSRV {
			s.addSRV(ViewExternal, "_autodiscover._tcp."+d, domainPath, 443, ext, "S-KB940881")
			continue
		}
		if ad := "autodiscover." + d; ad != ext {
			s.add(ViewExternal, ad, domainPath, "CNAME", ext+".", "S-EX07-AUTOD")
			// §2.2: domain-joined clients find Autodiscover through the SCP; clients outside the
			// domain on the LAN need the record in every SMTP domain whose zone the internal view
			// holds (dropLoneInternalAutodiscover drops the others, issue 26 item 9).
			s.add(ViewInternal, ad, domainPath, "CNAME", ext+".", "S-EX07-AUTOD")
		}
	}
	if x.Version == v1alpha1.Exchange2010 || x.Version == "" {
		s.addA(ViewInternal, lower(x.CASArrayFQDN), "spec.exchange.casArrayFQDN", string(x.InternalIP), "spec.exchange.internalIP", "S-CASARRAY")
	}
	legacy := lower(x.LegacyFQDN)
	s.addA(ViewExternal, legacy, "spec.exchange.legacyFQDN", string(x.LegacyIP), "spec.exchange.legacyIP", "S-EX10-TRANS")
	// The internal view never sends clients to the public legacy address.
	s.addA(ViewInternal, legacy, "spec.exchange.legacyFQDN", string(x.LegacyInternalIP), "spec.exchange.legacyInternalIP", "S-EX10-TRANS")
}

// dropLoneInternalAutodiscover removes internal autodiscover CNAMEs whose zone would hold nothing
// else: such a zone would hide every public record of the domain from internal users (§2.2).
func dropLoneInternalAutodiscover(records []Record) []Record {
	occupied := map[string]bool{}
	for _, r := range records {
		if r.View == ViewInternal && !isInternalAutodiscover(r) {
			occupied[r.Zone] = true
		}
	}
	return slices.DeleteFunc(records, func(r Record) bool { return isInternalAutodiscover(r) && !occupied[r.Zone] })
}

func isInternalAutodiscover(r Record) bool {
	return r.View == ViewInternal && r.Type == "CNAME" && strings.HasPrefix(r.Name, "autodiscover.")
}

// assignZones puts each record in the most specific hosted zone that contains it (spec.dns.zones,
// or the default list of hostedZones). A record under no hosted zone goes, in the external view,
// into its domain (zoneOf); in the internal view into a pin-point zone of its own name (DOMAIN.md
// §3.4, S-SFB-ADVDNS), so that an internal zone for a foreign domain that holds, say, only a
// simple URL does not hide every public name of that domain from internal users (issue 26 item
// 9). A CNAME cannot be a zone's apex (it would sit next to the SOA and NS records), so an internal
// CNAME keeps its domain. assignZones returns the owner names outside spec.dns.zones when the spec
// lists zones, and the internal view's pin-point zones.
func assignZones(in *input, records []Record) (outside, pinPoint []string) {
	zones := hostedZoneSet(in)
	for i := range records {
		r := &records[i]
		var hosted bool
		r.Zone, hosted = zones.zoneOf(r.Name)
		if hosted {
			continue
		}
		if len(in.zones) > 0 {
			outside = append(outside, r.Name)
		}
		if r.View == ViewInternal && r.Type != "CNAME" {
			r.Zone = r.Name
			pinPoint = append(pinPoint, r.Name)
		}
	}
	return sortedSet(outside), sortedSet(pinPoint)
}

// sortedSet sorts names and drops repeats.
func sortedSet(names []string) []string {
	slices.Sort(names)
	return slices.Compact(names)
}

// zoneSet is a set of hosted zones.
type zoneSet map[string]bool

// hostedZoneSet is hostedZones as a set.
func hostedZoneSet(in *input) zoneSet {
	zones := zoneSet{}
	for _, z := range hostedZones(in) {
		zones[z] = true
	}
	return zones
}

// zoneOf returns the longest hosted zone name is in, or, when none holds it, the domain it belongs
// to (hosted false): its parent, or for a service name (_sip._tls.<domain>) the domain below the
// underscore labels, never a pseudo-zone such as _tcp.<domain> (issue 26 item 9).
func (zones zoneSet) zoneOf(name string) (zone string, hosted bool) {
	for n := name; ; {
		if zones[n] {
			return n, true
		}
		dot := strings.IndexByte(n, '.')
		if dot < 0 {
			return unhostedZone(name), false
		}
		n = n[dot+1:]
	}
}

// unhostedZone is the zone of a name under no hosted zone: for _acme-challenge.<name> the zone of
// <name>; otherwise the domain below its leading underscore labels when it has them, or else its
// parent.
func unhostedZone(name string) string {
	if rest, ok := strings.CutPrefix(name, acmeChallengePrefix); ok {
		// A challenge name lives in the zone of the name it validates (R-PKI-13).
		return unhostedZone(rest)
	}
	n := name
	for strings.HasPrefix(n, "_") && strings.Count(n, ".") >= 2 {
		n = n[strings.IndexByte(n, '.')+1:]
	}
	if n != name {
		return n
	}
	return parent(name)
}

// hostedZones are the zones the DNS servers host: spec.dns.zones when given, otherwise the SIP
// and SMTP domains and the parent domain of every internal host (a zone the admin already runs
// for the servers; DOMAIN.md §3.4 zone design).
func hostedZones(in *input) []string {
	if len(in.zones) > 0 {
		return in.zones
	}
	out := append(slices.Clone(in.sipDomains), in.smtpDomains...)
	out = append(out, in.onlineSIPDomains()...)
	for _, h := range internalHostNames(in) {
		out = append(out, parent(h))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// internalHostNames lists the FQDNs of the spec's internal hosts.
func internalHostNames(in *input) []string {
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
		}
		if c := o.CommunicatorWebAccess; c != nil {
			add(c.ServerFQDN)
		}
		if oos := o.OfficeOnlineServer; oos != nil {
			add(oos.InternalFQDN)
		}
	}
	if x := in.exchange; x != nil {
		add(x.CASArrayFQDN)
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
