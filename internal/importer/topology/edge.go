package topology

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/importer/safexml"
)

// Owners of the Edge service's ports (<Ports><Port Owner=…>), as Topology Builder writes them.
const (
	ownerAccess    = "urn:component:AccessEdge"
	ownerData      = "urn:component:DataEdge"
	ownerMedia     = "urn:component:MediaRelayEdge"
	ownerMediaAuth = "urn:component:MediaRelayAuthenticationEdge"
	ownerXMPP      = "urn:component:XmppFederationProxy"
)

type port struct {
	owner, usage, side, number, protocol, fqdn string
	port                                       int32
}

func edgePorts(el *safexml.Element) []port {
	var out []port
	for _, p := range el.Path("Ports").All("Port") {
		n, _ := strconv.ParseInt(p.Get("Port"), 10, 32)
		out = append(out, port{owner: p.Get("Owner"), usage: p.Get("Usage"), side: p.Get("InterfaceSide"), number: p.Get("InterfaceNumber"),
			protocol: p.Get("Protocol"), fqdn: strings.ToLower(p.Get("ConfiguredFqdn")), port: int32(n)})
	}
	return out
}

// find returns the first port of owner on side whose usage (and protocol, when given) match.
func find(ports []port, owner, side, usage, protocol string) (port, bool) {
	for _, p := range ports {
		if p.owner == owner && strings.EqualFold(p.side, side) && (usage == "" || p.usage == usage) && (protocol == "" || strings.EqualFold(p.protocol, protocol)) {
			return p, true
		}
	}
	return port{}, false
}

// edge maps the first EdgeServer service: its cluster is the Edge pool (internal FQDN), its
// first machine's interfaces give the addresses, and the external ports' ConfiguredFqdn the
// Access, Web Conferencing and A/V names.
func (m *model) edge(opts Options, version v1alpha1.OCSVersion, r *Result) (*v1alpha1.EdgeSpec, error) {
	var edges []*service
	for _, s := range m.services {
		if s.role == "EdgeServer" {
			edges = append(edges, s)
		}
	}
	if len(edges) == 0 {
		if opts.XMPPFQDN != "" {
			r.warnf("--xmpp-fqdn %s: the topology has no Edge pool; not imported", opts.XMPPFQDN)
		}
		return nil, nil
	}
	s := edges[0]
	if s.cluster == nil || len(s.cluster.machines) == 0 {
		return nil, fmt.Errorf("Services/Service RoleName=EdgeServer (line %d) is installed on no cluster with a machine: the topology is incomplete", s.el.Line)
	}
	for _, other := range edges[1:] {
		if other.cluster != nil {
			r.warnf("Services/Service RoleName=EdgeServer on %s: a further Edge pool; the API describes one Edge", other.cluster.fqdn)
		}
	}
	pool, first := s.cluster, s.cluster.machines[0]
	ports := edgePorts(s.el)
	access, ok := find(ports, ownerAccess, "External", "SipClient", "")
	if !ok {
		access, ok = find(ports, ownerAccess, "External", "", "")
	}
	if !ok || access.fqdn == "" {
		return nil, fmt.Errorf("the Edge pool %s has no external settings: no <Port Owner=%q InterfaceSide=\"External\" ConfiguredFqdn=…> gives the Access Edge name; publish the Edge's external FQDNs in Topology Builder and export again", pool.fqdn, ownerAccess)
	}
	e := &v1alpha1.EdgeSpec{InternalFQDN: v1alpha1.FQDN(pool.fqdn), AccessFQDN: v1alpha1.FQDN(access.fqdn)}
	e.InternalIP = primaryIP(first, "Internal", r)
	e.AccessIP = externalIP(first, access, r)
	switch access.port {
	case 443:
	case 5061:
		e.AccessPort = 5061 // a single-IP Edge (V30): _sip._tls points at 5061
	default:
		r.warnf("EdgeServer Port Owner=%s InterfaceSide=External Port=%d: the API takes an Access Edge on 443 or 5061 only; 443 is planned, correct spec.ocs.edge.accessPort and the _sip._tls record by hand", ownerAccess, access.port)
	}
	if data, ok := find(ports, ownerData, "External", "", ""); ok {
		e.WebConferencingFQDN = v1alpha1.FQDN(data.fqdn)
		e.WebConferencingIP = externalIP(first, data, r)
		e.WebConferencingPort = v1alpha1.Port(data.port)
	}
	if in, ok := find(ports, ownerData, "Internal", "", ""); ok {
		e.WebConferencingInternalPort = v1alpha1.Port(in.port)
	}
	if av, ok := find(ports, ownerMedia, "External", "TURNServer", "Tcp"); ok {
		e.AVFQDN = v1alpha1.FQDN(av.fqdn)
		e.AVIP = externalIP(first, av, r)
	}
	if e.AVFQDN == e.AccessFQDN && access.port != 443 && access.port != 5061 {
		// The A/V Edge on 443 of the Access Edge's name and address, the Access Edge on a port the
		// API cannot say: it plans the Access Edge on 443, so the A/V Edge would collide; its name
		// is the Access Edge's, already on the certificate and in DNS.
		r.warnf("EdgeServer Port Owner=%s ConfiguredFqdn=%s: the A/V Edge shares the Access Edge's name and address; avFQDN and avIP are left out because the API cannot say an Access Edge on %d", ownerMedia, e.AVFQDN, access.port)
		e.AVFQDN, e.AVIP = "", ""
	}
	if auth, ok := find(ports, ownerMediaAuth, "Internal", "", ""); ok {
		e.AVAuthenticationPort = v1alpha1.Port(auth.port)
	}
	for _, mc := range s.cluster.machines[1:] {
		r.warnf("Clusters/Cluster Fqdn=%s Machine Fqdn=%s: a further Edge server; the API describes one Edge server's addresses, so this server's internal and external addresses are not imported", pool.fqdn, mc.fqdn)
	}
	if _, ok := find(ports, ownerXMPP, "External", "", ""); ok {
		switch {
		case version == v1alpha1.SfB2019 || version == v1alpha1.SfBSE:
			r.warnf("EdgeServer Port Owner=%s: %s removed XMPP federation; not imported", ownerXMPP, version)
		case opts.XMPPFQDN == "":
			r.warnf("EdgeServer Port Owner=%s: the Edge listens for XMPP federation, but the topology does not hold the XMPP name; give --xmpp-fqdn (for example xmpp.%s)", ownerXMPP, strings.TrimPrefix(access.fqdn, "sip."))
		default:
			e.XMPPFQDN = v1alpha1.FQDN(strings.ToLower(opts.XMPPFQDN))
		}
	} else if opts.XMPPFQDN != "" {
		r.warnf("--xmpp-fqdn %s: the Edge pool %s has no XMPP port (Port Owner=%s); not imported", opts.XMPPFQDN, pool.fqdn, ownerXMPP)
	}
	return e, nil
}

// externalIP is the public address of the external interface the port is on: its
// ConfiguredIPAddress when set (the address published through NAT), else its IPAddress.
func externalIP(mc machine, p port, r *Result) v1alpha1.IPv4Address {
	n, ok := mc.nic("External", p.number)
	if !ok {
		r.warnf("Machine Fqdn=%s has no NetInterface InterfaceSide=External InterfaceNumber=%s for Port Owner=%s; its address is not imported", mc.fqdn, p.number, p.owner)
		return ""
	}
	where := fmt.Sprintf("Machine Fqdn=%s NetInterface InterfaceSide=External InterfaceNumber=%s", mc.fqdn, n.number)
	if n.configuredIP != "" && n.configuredIP != n.ip {
		r.warnf("%s: IPAddress=%s with ConfiguredIPAddress=%s, read as NAT (the interface's address and the public one); the public address %s is imported, the interface's is not", where, n.ip, n.configuredIP, n.configuredIP)
		return ipv4(n.configuredIP, where+" ConfiguredIPAddress", r)
	}
	return ipv4(n.ip, where+" IPAddress", r)
}
