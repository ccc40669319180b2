package plan

import (
	"fmt"
	"slices"
	"strings"
)

// listener is a service that listens on a public address: where (a name, an address, or both)
// and on which TCP ports.
type listener struct {
	service  string // "Access Edge", "Exchange", ...
	fqdn     string
	ip       string
	fqdnPath string
	ipPath   string
	portPath string // the field that sets the port, when one does
	ports    []int32
	edge     bool // an Edge service; the web publishers (Exchange, reverse proxy, CWA) may share one listener
	av       bool // the A/V Edge
}

// publicListeners lists the services with a public address (§1.5 ports): the Access Edge on its
// client port (443, or 5061 in a single-IP Edge) and 5061 with federation or PIC, Web
// Conferencing on its port, the A/V Edge on TCP 443, and the HTTPS publishers.
func publicListeners(in *input) []listener {
	var out []listener
	if e := in.edge; e != nil {
		access := listener{service: "Access Edge", fqdn: lower(e.AccessFQDN), ip: string(e.AccessIP),
			fqdnPath: "spec.ocs.edge.accessFQDN", ipPath: "spec.ocs.edge.accessIP", portPath: "spec.ocs.edge.accessPort",
			ports: []int32{in.accessPort()}, edge: true}
		if (in.federation() || e.PublicIMConnectivity) && !slices.Contains(access.ports, 5061) {
			access.ports = append(access.ports, 5061)
		}
		out = append(out, access)
		if wc := lower(e.WebConferencingFQDN); wc != "" {
			out = append(out, listener{service: "Web Conferencing Edge", fqdn: wc, ip: string(e.WebConferencingIP),
				fqdnPath: "spec.ocs.edge.webConferencingFQDN", ipPath: "spec.ocs.edge.webConferencingIP",
				portPath: "spec.ocs.edge.webConferencingPort", ports: []int32{in.webConferencingPort()}, edge: true})
		}
		if e.AVFQDN != "" || e.AVIP != "" {
			out = append(out, listener{service: "A/V Edge", fqdn: lower(e.AVFQDN), ip: string(e.AVIP),
				fqdnPath: "spec.ocs.edge.avFQDN", ipPath: "spec.ocs.edge.avIP", ports: []int32{443}, edge: true, av: true})
		}
	}
	web := func(service, fqdn, ip, fqdnPath, ipPath string) {
		if fqdn != "" || ip != "" {
			out = append(out, listener{service: service, fqdn: fqdn, ip: ip, fqdnPath: fqdnPath, ipPath: ipPath, ports: []int32{443}})
		}
	}
	if in.onPremises() {
		if rp := in.ocs.ReverseProxy; rp != nil {
			name, path := in.externalWeb() // the published name: externalWebFQDN from Lync 2010 on
			web("reverse proxy", name, string(rp.IP), path, "spec.ocs.reverseProxy.ip")
		}
		if c := in.ocs.CommunicatorWebAccess; c != nil {
			web("Communicator Web Access", lower(c.FQDN), string(c.IP), "spec.ocs.communicatorWebAccess.fqdn", "spec.ocs.communicatorWebAccess.ip")
		}
	}
	if x := in.exchange; x != nil {
		web("Exchange Client Access publishing point", lower(x.ExternalFQDN), string(x.ExternalIP), "spec.exchange.externalFQDN", "spec.exchange.externalIP")
	}
	return out
}

// sharedAddress says whether two listeners share an address and how it is known: one name is one
// address even before any IP is planned, so an equal FQDN counts as well as an equal IP. The
// returned description names the fields; path is b's field that makes it so.
func sharedAddress(a, b listener) (shared bool, how, path string) {
	switch {
	case a.fqdn != "" && a.fqdn == b.fqdn:
		return true, fmt.Sprintf("the name %s (%s and %s)", a.fqdn, a.fqdnPath, b.fqdnPath), b.fqdnPath
	case a.ip != "" && a.ip == b.ip:
		return true, fmt.Sprintf("the address %s (%s and %s)", a.ip, a.ipPath, b.ipPath), b.ipPath
	}
	return false, "", ""
}

// commonPorts returns the TCP ports both listeners use, ascending.
func commonPorts(a, b listener) []string {
	var out []string
	for _, p := range a.ports {
		if slices.Contains(b.ports, p) {
			out = append(out, fmt.Sprint(p))
		}
	}
	return out
}

// checkEdgePorts (V11, V12): two services on one address cannot listen on one port. Addresses
// are compared by FQDN or IP, whichever is known. The HTTPS publishers (Exchange, reverse proxy,
// CWA) may share an address with each other: one listener publishes them all.
func checkEdgePorts(d *draft) []Finding {
	ls := publicListeners(d.in)
	var out []Finding
	for i, a := range ls {
		for _, b := range ls[i+1:] {
			if !a.edge && !b.edge {
				continue
			}
			shared, how, path := sharedAddress(a, b)
			ports := commonPorts(a, b)
			if !shared || len(ports) == 0 {
				continue
			}
			out = append(out, portConflict(d.in.lync(), a, b, how, path, strings.Join(ports, " and ")))
		}
	}
	return out
}

// singleIPAdvice is how Lync Server 2010 and later put the three Edge services on one address
// (V30, issue 26 item 11): different ports, supported but not recommended.
const singleIPAdvice = "a single-IP Edge (accessPort 5061, webConferencingPort 444, A/V on 443; supported but not recommended, V30)"

// portConflict is the finding for listeners a and b (a listed first) sharing an address and ports.
// From Lync Server 2010 on it suggests a single-IP Edge; for OCS 2007 R2, the seed's design
// (Web Conferencing on 444 beside the Access Edge, the A/V Edge on its own address).
func portConflict(lync bool, a, b listener, how, path, ports string) Finding {
	switch {
	case (b.av || a.av) && lync:
		return finding(SeverityError, CodeEdgePortConflict, path, "V12",
			"the %s and the %s share %s and both listen on TCP %s: give the A/V Edge its own name and address (Microsoft recommends a separate external address for each Edge service), or make it %s", a.service, b.service, how, ports, singleIPAdvice)
	case b.av || a.av:
		return finding(SeverityError, CodeEdgePortConflict, path, "V12",
			"the %s and the %s share %s and both listen on TCP %s: give the A/V Edge its own name and address (Microsoft recommends a separate external address for each Edge service)", a.service, b.service, how, ports)
	case b.portPath != "" && a.edge && lync:
		return finding(SeverityError, CodeEdgePortConflict, b.portPath, "V11",
			"the %s and the %s share %s and both listen on TCP %s: give Web Conferencing its own name and address, or make it %s", a.service, b.service, how, ports, singleIPAdvice)
	case b.portPath != "" && a.edge:
		return finding(SeverityError, CodeEdgePortConflict, b.portPath, "V11",
			"the %s and the %s share %s and both listen on TCP %s: set webConferencingPort to 444 (the seed's single-certificate design) or give Web Conferencing its own name and address", a.service, b.service, how, ports)
	default:
		return finding(SeverityError, CodeEdgePortConflict, path, "V11",
			"the %s and the %s share %s and both listen on TCP %s: only one service can listen there; give each its own public address", a.service, b.service, how, ports)
	}
}

// checkEdgeNamesOnSharedAddress (V17): when the Access and Web Conferencing Edges of OCS 2007 R2
// share an address, the seed design gives them one name as well. From Lync Server 2010 on that is
// a single-IP Edge, which checkSingleIPEdge reports (V30).
func checkEdgeNamesOnSharedAddress(d *draft) []Finding {
	e := d.in.edge
	if e == nil || e.AccessIP == "" || e.WebConferencingIP != e.AccessIP || d.in.lync() {
		return nil
	}
	wc := lower(e.WebConferencingFQDN)
	if wc == "" || wc == lower(e.AccessFQDN) {
		return nil
	}
	return []Finding{finding(SeverityWarning, CodeEdgeNamesDifferOnSharedAddress, "spec.ocs.edge.webConferencingFQDN", "V17",
		"the Web Conferencing Edge shares the Access Edge's address %s under another name (%s, not %s): the seed design gives both one name on one address, with Web Conferencing on port 444; set webConferencingFQDN to %s or give Web Conferencing its own address", e.AccessIP, wc, lower(e.AccessFQDN), lower(e.AccessFQDN))}
}

// checkAccessEdgeName (S-OCS-EDGEDNS-R2): OCS 2007 R2 (not Lync 2010 on, DOMAIN.md §3.2) wants the Access Edge certificate's subject,
// and so the Access Edge FQDN, to be sip.<domain> for the SRV records' domain.
func checkAccessEdgeName(d *draft) []Finding {
	e := d.in.edge
	if e == nil || e.AccessFQDN == "" || d.in.lync() {
		return nil
	}
	access := lower(e.AccessFQDN)
	for _, dom := range d.in.sipDomains {
		if access == "sip."+dom {
			return nil
		}
	}
	return []Finding{finding(SeverityWarning, CodeAccessEdgeNameNotSIP, "spec.ocs.edge.accessFQDN", "S-OCS-EDGEDNS-R2",
		"the Access Edge FQDN %s is not sip.<domain> for any SIP domain: OCS 2007 R2 requires the subject name of the Access Edge certificate to be sip.<domain>, matching the SRV records' domain; name the Access Edge sip.%s", access, firstOr(d.in.sipDomains, "<domain>"))}
}

// firstOr returns the first element of list, or def when it is empty.
func firstOr(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return list[0]
}

// checkEdgeAddresses (V17): a Web Conferencing Edge named like the Access Edge must share its
// address too; one name cannot point at two services.
func checkEdgeAddresses(d *draft) []Finding {
	e := d.in.edge
	if e == nil {
		return nil
	}
	wc := lower(e.WebConferencingFQDN)
	if wc == "" || wc != lower(e.AccessFQDN) || e.WebConferencingIP == "" || e.WebConferencingIP == e.AccessIP {
		return nil
	}
	return []Finding{finding(SeverityError, CodeEdgeAddressConflict, "spec.ocs.edge.webConferencingIP", "V17",
		"webConferencingFQDN equals accessFQDN but its address %s differs from accessIP %s: one name cannot point at two services; share the address (port 444) or use another name", e.WebConferencingIP, e.AccessIP)}
}

// checkSingleIPEdge (V30, S-SFB-EDGE; issue 26 item 11): from Lync Server 2010 on, an Edge whose
// Access, Web Conferencing and A/V services share one public address listens on different ports
// (Access 5061, Web Conferencing 444, A/V 443): supported, but Microsoft does not recommend it,
// since firewalls on the clients' networks may block the ports other than 443. Port conflicts
// on that address are checkEdgePorts's.
func checkSingleIPEdge(d *draft) []Finding {
	e := d.in.edge
	if e == nil || !d.in.lync() {
		return nil
	}
	var access, av *listener
	ls := publicListeners(d.in)
	for i := range ls {
		switch l := &ls[i]; {
		case l.edge && l.av:
			av = l
		case l.edge && l.service == "Access Edge":
			access = l
		}
	}
	if access == nil || av == nil {
		return nil
	}
	shared, how, _ := sharedAddress(*access, *av)
	if !shared {
		return nil
	}
	return []Finding{finding(SeverityWarning, CodeSingleIPEdge, "spec.ocs.edge.avIP", "V30",
		"the Access Edge and the A/V Edge share %s: a single-IP Edge (Access on %d, Web Conferencing on %d, A/V on 443) is supported but not recommended, because firewalls on users' and partners' networks may block the ports other than 443; Microsoft recommends an address per Edge service",
		how, d.in.accessPort(), d.in.webConferencingPort())}
}
