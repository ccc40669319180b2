package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// checkRecordConflicts: a CNAME may not share its owner with any other record (RFC 1034 §3.6.2),
// and an address record of one name pointing at different addresses is almost always a mistake.
// Each finding names the spec field that produced the colliding name.
func checkRecordConflicts(d *draft) []Finding {
	// The records are sorted by view, zone (a function of the name) and name: the records of
	// one (view, name) are adjacent.
	records := d.dns.records
	var out []Finding
	for i := 0; i < len(records); {
		j := i + 1
		for j < len(records) && records[j].View == records[i].View && records[j].Name == records[i].Name {
			j++
		}
		rs := records[i:j]
		var cname bool
		var addrs []string
		balanced := true // every A record is a DNS-load-balanced pool member (§3.4)
		for _, r := range rs {
			switch r.Type {
			case "CNAME":
				cname = true
			case "A":
				addrs = append(addrs, r.Data)
				balanced = balanced && r.Rule == ruleDNSLoadBalancing
			}
		}
		if cname && len(rs) > 1 {
			path, fields := d.collision(rs, func(r Record) bool { return r.Type != "CNAME" })
			out = append(out, finding(SeverityError, CodeDNSRecordConflict, path, "RFC 1034",
				"%s (%s view) would be a CNAME and have other records (from %s): give the hosts distinct names", rs[0].Name, rs[0].View, fields))
		}
		if len(addrs) > 1 && !balanced {
			sortedAddrs := slices.Clone(addrs)
			slices.Sort(sortedAddrs)
			path, fields := d.collision(rs, func(r Record) bool { return r.Type == "A" })
			out = append(out, finding(SeverityWarning, CodeDNSRecordConflict, path, "RFC 1034",
				"%s (%s view) resolves to several addresses (%s) from %s: two roles share this name with different IPs", rs[0].Name, rs[0].View, strings.Join(sortedAddrs, ", "), fields))
		}
		i = j
	}
	return out
}

// collision returns the field that produced the last-added record of rs that match keeps (the one
// that collided with an earlier record) and all the fields behind rs, sorted and joined.
func (d *draft) collision(rs []Record, match func(Record) bool) (path, fields string) {
	last := -1
	var all []string
	for _, r := range rs {
		o := d.dns.origins[recordKey(r)]
		all = append(all, o.path)
		if match(r) && o.seq > last {
			last, path = o.seq, o.path
		}
	}
	slices.Sort(all)
	return path, strings.Join(slices.Compact(all), " and ")
}

// targetOf returns the host an SRV, MX or CNAME record points at, without the trailing dot.
func targetOf(r Record) (string, bool) {
	switch r.Type {
	case "SRV", "MX", "CNAME":
		f := strings.Fields(r.Data)
		if len(f) == 0 {
			return "", false
		}
		return strings.TrimSuffix(f[len(f)-1], "."), true
	}
	return "", false
}

// checkRecordTargets (V9): every SRV, MX and CNAME target the plan emits needs an address record
// in the same view. When the field that would give it is empty, the record points nowhere until
// someone else publishes the address; the finding names that field.
func checkRecordTargets(d *draft) []Finding {
	owners := map[string]bool{}
	for _, r := range d.dns.records {
		if r.Type == "A" || r.Type == "CNAME" {
			owners[hostKey(r.View, r.Name)] = true
		}
	}
	missing := map[string][]string{} // address field -> targets without an address
	for _, r := range d.dns.records {
		t, ok := targetOf(r)
		if !ok || owners[hostKey(r.View, t)] || microsoftOnline(t) || d.in.inDelegationZone(t) {
			continue
		}
		path, known := d.dns.unaddressed[hostKey(r.View, t)]
		if !known {
			path = d.dns.origins[recordKey(r)].path
		}
		key := path + "\x00" + string(r.View)
		if !slices.Contains(missing[key], t) {
			missing[key] = append(missing[key], t)
		}
	}
	var out []Finding
	for _, key := range slices.Sorted(maps.Keys(missing)) {
		path, view, _ := strings.Cut(key, "\x00")
		targets := missing[key]
		slices.Sort(targets)
		out = append(out, finding(SeverityWarning, CodeRecordTargetWithoutAddress, path, "V9",
			"records of the %s view point at %s, which has no address record in that view: set %s, or publish the address yourself", view, strings.Join(targets, ", "), path))
	}
	return out
}

// checkLegacyNamespace (S-EX10-TRANS): the internal view publishes the legacy namespace only at an
// internal address; the public legacyIP is for the external view.
func checkLegacyNamespace(d *draft) []Finding {
	x := d.in.exchange
	if x == nil || x.LegacyFQDN == "" || x.LegacyInternalIP != "" {
		return nil
	}
	return []Finding{finding(SeverityInfo, CodeLegacyNamespaceExternalOnly, "spec.exchange.legacyInternalIP", "S-EX10-TRANS",
		"%s is published in the external view only: the internal view must not send clients to the public legacyIP; set legacyInternalIP to the legacy front end's internal address to publish it inside too", lower(x.LegacyFQDN))}
}

// checkUnreachableInside (§4 rule 3, split DNS): a name users browse to that is published only
// externally, inside a zone the internal view also holds, cannot be resolved from inside: the
// internal zone answers for the domain and does not know it.
func checkUnreachableInside(d *draft) []Finding {
	internalZones, internalNames := map[string]bool{}, map[string]bool{}
	externalZone := map[string]string{}
	for _, r := range d.dns.records {
		if r.View == ViewInternal {
			internalZones[r.Zone] = true
			internalNames[r.Name] = true
		} else {
			externalZone[r.Name] = r.Zone
		}
	}
	var out []Finding
	for _, c := range browsedNames(d.in) {
		var hidden []string
		for _, n := range c.names {
			if z, published := externalZone[n]; published && !internalNames[n] && internalZones[z] {
				hidden = append(hidden, n)
			}
		}
		if len(hidden) > 0 {
			out = append(out, finding(SeverityWarning, CodeNameUnreachableInside, c.path, "§4",
				"%s %s published only in the external view, but the internal view holds the zone, so internal users cannot resolve %[3]s: set %[4]s to publish %[3]s inside too", strings.Join(hidden, ", "), plural(len(hidden), "is", "are"), plural(len(hidden), "it", "them"), c.path))
		}
	}
	return out
}

// plural returns one when n is 1 and many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// browsed is a set of names users browse to and the field that gives their internal address.
type browsed struct {
	names []string
	path  string
}

// browsedNames are the names internal users also browse to: the CWA site and the Exchange namespace.
func browsedNames(in *input) []browsed {
	var out []browsed
	if in.ocs != nil && in.ocs.CommunicatorWebAccess != nil {
		out = append(out, browsed{names: cwaNames(in.ocs.CommunicatorWebAccess), path: "spec.ocs.communicatorWebAccess.internalIP"})
	}
	if x := in.exchange; x != nil && x.ExternalFQDN != "" {
		out = append(out, browsed{names: []string{lower(x.ExternalFQDN)}, path: "spec.exchange.internalIP"})
	}
	return out
}

// checkRecordsOutsideZones (S-SFB-ADVDNS): with spec.dns.zones listed, a record under none of them
// goes into its parent domain, a zone the DNS servers may not host.
func checkRecordsOutsideZones(d *draft) []Finding {
	if len(d.dns.outsideZones) == 0 {
		return nil
	}
	inside := ""
	if n := len(d.dns.pinPoint); n > 0 {
		inside = fmt.Sprintf("; the internal view holds %s as %s", strings.Join(d.dns.pinPoint, ", "), plural(n, "a pin-point zone of its own", "pin-point zones of their own"))
	}
	return []Finding{finding(SeverityWarning, CodeRecordOutsideZones, "spec.dns.zones", "S-SFB-ADVDNS",
		"%s fall under none of the zones in dns.zones; they are planned in their domains, which your DNS servers must host%s (or add those zones to dns.zones)", strings.Join(d.dns.outsideZones, ", "), inside)}
}

// checkPinPointZones (DOMAIN.md §3.4, S-SFB-ADVDNS; issue 26 item 9): without spec.dns.zones, an
// internal record under none of the default zones (the SIP and SMTP domains, the servers'
// domains) is planned as a pin-point zone of its own name, which the internal DNS servers must
// create. With spec.dns.zones, RecordOutsideZones reports the same names.
func checkPinPointZones(d *draft) []Finding {
	if len(d.dns.pinPoint) == 0 || len(d.in.zones) > 0 {
		return nil
	}
	return []Finding{finding(SeverityInfo, CodePinPointZones, "spec.dns.zones", "S-SFB-ADVDNS",
		"%s %s under no zone of the SIP and SMTP domains or the servers' domains: the internal view holds %s as %s, so that an internal zone for the whole domain does not hide its public names; create %[3]s on the internal DNS servers, or list the zones they host in dns.zones",
		strings.Join(d.dns.pinPoint, ", "), plural(len(d.dns.pinPoint), "is", "are"), plural(len(d.dns.pinPoint), "it", "them"),
		plural(len(d.dns.pinPoint), "a pin-point zone of its own", "pin-point zones of their own"))}
}

// checkNamesWithoutAddress (S-OCS-DNS): every name the plan publishes needs its address record.
// A name whose address field is empty gets no record: it silently disappears from the view (the
// internal web services, meet, dial-in and lyncdiscoverinternal without spec.ocs.poolIP). The
// finding names the empty field. Names that records point at are RecordTargetWithoutAddress's;
// the legacy namespace inside is LegacyNamespaceExternalOnly's; a missing reverse proxy is
// EdgeWithoutReverseProxy's.
func checkNamesWithoutAddress(d *draft) []Finding {
	owners, targets := map[string]bool{}, map[string]bool{}
	for _, r := range d.dns.records {
		if r.Type == "A" || r.Type == "CNAME" {
			owners[hostKey(r.View, r.Name)] = true
		}
		if t, ok := targetOf(r); ok {
			targets[hostKey(r.View, t)] = true
		}
	}
	missing := map[string][]string{} // address field and view -> names
	for key, path := range d.dns.unaddressed {
		if owners[key] || targets[key] || addressReportedElsewhere(d.in, path) {
			continue
		}
		view, name, _ := strings.Cut(key, "\x00")
		missing[path+"\x00"+view] = append(missing[path+"\x00"+view], name)
	}
	var out []Finding
	for _, key := range slices.Sorted(maps.Keys(missing)) {
		path, view, _ := strings.Cut(key, "\x00")
		names := missing[key]
		slices.Sort(names)
		out = append(out, finding(SeverityWarning, CodeNameWithoutAddress, path, "S-OCS-DNS",
			"%s %s planned in the %s view but %s no address: %s is empty, so no record is published; set it", strings.Join(names, ", "), plural(len(names), "is", "are"), view, plural(len(names), "has", "have"), path))
	}
	return out
}

// addressReportedElsewhere reports an empty address field that another finding already names.
func addressReportedElsewhere(in *input, path string) bool {
	switch {
	case path == "spec.exchange.legacyInternalIP":
		return true // LegacyNamespaceExternalOnly
	case strings.HasPrefix(path, "spec.ocs.reverseProxy."):
		return in.ocs != nil && in.ocs.ReverseProxy == nil // EdgeWithoutReverseProxy
	}
	return false
}
