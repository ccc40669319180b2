package topology

import (
	"fmt"
	"strings"

	"github.com/ucdeploy/ucdeploy/internal/importer/safexml"
)

// The namespaces of the two documents Import reads (docs/import.md cites where each was seen).
const (
	// NSTopology is the namespace of what Get-CsTopology -AsXml prints: root <Topology>.
	NSTopology = "urn:schema:Microsoft.Rtc.Management.Deploy.Topology.2008"
	// NSBuilder is the namespace of a Topology Builder document (.tbxml): root <TopologyBuilder>.
	NSBuilder = "urn:schema:Microsoft.Rtc.Management.Deploy.TopologyBuilder.2008"
	// NSWritable is the namespace of <PartialTopology> inside a Topology Builder document.
	NSWritable = "urn:schema:Microsoft.Rtc.Management.Deploy.WritableTopology.2008"
)

// model is what Import reads from either document, before it is mapped onto the API.
type model struct {
	defaultDomain string
	domains       []string
	domainAttrs   []string // InternalDomains/InternalDomain attributes the API cannot say, for warnings
	clusters      []*cluster
	byID          map[string]*cluster
	services      []*service
	simpleURLs    []SimpleURL
}

type cluster struct {
	id       string
	fqdn     string // lower case
	machines []machine
}

type machine struct {
	fqdn string // lower case; the cluster's when the document leaves it out
	nics []nic
}

type nic struct {
	side, number string
	ip           string // IPAddress
	configuredIP string // ConfiguredIPAddress
}

type service struct {
	role           string
	roleVersion    string
	serviceVersion string
	cluster        *cluster // nil when installed on a SQL instance
	el             *safexml.Element
}

func (m *model) servicesOn(c *cluster, role string) []*service {
	var out []*service
	for _, s := range m.services {
		if s.cluster == c && s.role == role {
			out = append(out, s)
		}
	}
	return out
}

func (m *model) serviceOn(c *cluster, role string) *service {
	if s := m.servicesOn(c, role); len(s) > 0 {
		return s[0]
	}
	return nil
}

// read recognises the document by its root element and reads it into a model.
func read(root *safexml.Element) (*model, error) {
	switch {
	case root.Name.Local == "Topology" && root.Name.Space == NSTopology:
		return readPublished(root)
	case root.Name.Local == "TopologyBuilder" && root.Name.Space == NSBuilder:
		partial := root.Path("NewTopology", "PartialTopology")
		if partial == nil || partial.Name.Space != NSWritable {
			return nil, fmt.Errorf("a Topology Builder document without <NewTopology><PartialTopology xmlns=%q>: not a layout this tool knows", NSWritable)
		}
		return readBuilder(partial)
	}
	ns := root.Name.Space
	if ns == "" {
		ns = "no namespace"
	}
	return nil, fmt.Errorf("the document's root is <%s> (%s); expected a Lync/Skype for Business topology: <Topology xmlns=%q> as `Get-CsTopology -AsXml` prints it, or a Topology Builder document <TopologyBuilder xmlns=%q>",
		root.Name.Local, ns, NSTopology, NSBuilder)
}

func newModel(domains *safexml.Element) *model {
	m := &model{byID: map[string]*cluster{}}
	m.defaultDomain = strings.ToLower(domains.Get("DefaultDomain"))
	for _, a := range []string{"AllowAllDomains"} {
		if strings.EqualFold(domains.Get(a), "true") {
			m.domainAttrs = append(m.domainAttrs, "InternalDomains "+a+"=true")
		}
	}
	for _, d := range domains.All("InternalDomain") {
		name := strings.ToLower(d.Get("Name"))
		if name == "" {
			continue
		}
		if strings.EqualFold(d.Get("AllowSubDomains"), "true") {
			m.domainAttrs = append(m.domainAttrs, fmt.Sprintf("InternalDomain Name=%s AllowSubDomains=true", name))
		}
		if name == m.defaultDomain {
			m.domains = append([]string{name}, m.domains...)
		} else {
			m.domains = append(m.domains, name)
		}
	}
	return m
}

// readPublished reads <Topology>: clusters under <Clusters> keyed by <ClusterId SiteId Number>,
// services keyed by <ServiceId RoleName> and placed by <InstalledOn><ClusterId>.
func readPublished(root *safexml.Element) (*model, error) {
	m := newModel(root.Child("InternalDomains"))
	for _, c := range root.Path("Clusters").All("Cluster") {
		cl := &cluster{id: clusterID(c.Child("ClusterId")), fqdn: strings.ToLower(c.Get("Fqdn"))}
		for _, mc := range c.All("Machine") {
			cl.machines = append(cl.machines, readMachine(mc, cl.fqdn))
		}
		m.addCluster(cl)
	}
	for _, s := range root.Path("Services").All("Service") {
		id := s.Child("ServiceId")
		sv := &service{role: id.Get("RoleName"), roleVersion: s.Get("RoleVersion"), serviceVersion: s.Get("ServiceVersion"), el: s}
		if on := s.Path("InstalledOn", "ClusterId"); on != nil {
			sv.cluster = m.byID[clusterID(on)]
		}
		m.services = append(m.services, sv)
	}
	return m, nil
}

// readBuilder reads <PartialTopology>: clusters under CentralSites/CentralSite/Clusters keyed by
// UniqueId, machines under <Machines>, services naming RoleName and InstalledOn as attributes,
// and the simple URLs Topology Builder keeps in <SimpleUrlConfiguration>.
func readBuilder(partial *safexml.Element) (*model, error) {
	m := newModel(partial.Child("InternalDomains"))
	for _, site := range partial.Path("CentralSites").All("CentralSite") {
		for _, c := range site.Path("Clusters").All("Cluster") {
			cl := &cluster{id: c.Get("UniqueId"), fqdn: strings.ToLower(c.Get("Fqdn"))}
			for _, mc := range c.Path("Machines").All("Machine") {
				cl.machines = append(cl.machines, readMachine(mc, cl.fqdn))
			}
			m.addCluster(cl)
		}
	}
	for _, s := range partial.Path("Services").All("Service") {
		m.services = append(m.services, &service{
			role: s.Get("RoleName"), roleVersion: s.Get("RoleVersion"), serviceVersion: s.Get("ServiceVersion"),
			cluster: m.byID[s.Get("InstalledOn")], el: s,
		})
	}
	for _, u := range partial.Path("SimpleUrlConfiguration").All("SimpleUrl") {
		m.simpleURLs = append(m.simpleURLs, SimpleURL{Component: u.Get("Component"), Domain: u.Get("Domain"), URL: u.Get("ActiveUrl"), Source: "SimpleUrlConfiguration/SimpleUrl"})
	}
	return m, nil
}

func (m *model) addCluster(c *cluster) {
	m.clusters = append(m.clusters, c)
	if c.id != "" {
		m.byID[c.id] = c
	}
}

func clusterID(e *safexml.Element) string {
	if e == nil {
		return ""
	}
	return e.Get("SiteId") + ":" + e.Get("Number")
}

func readMachine(e *safexml.Element, clusterFQDN string) machine {
	mc := machine{fqdn: strings.ToLower(e.Get("Fqdn"))}
	if mc.fqdn == "" {
		mc.fqdn = clusterFQDN
	}
	for _, n := range e.All("NetInterface") {
		mc.nics = append(mc.nics, nic{side: n.Get("InterfaceSide"), number: n.Get("InterfaceNumber"), ip: n.Get("IPAddress"), configuredIP: n.Get("ConfiguredIPAddress")})
	}
	return mc
}

// nic returns the machine's interface on side with number ("" for the first on that side).
func (mc machine) nic(side, number string) (nic, bool) {
	for _, n := range mc.nics {
		if strings.EqualFold(n.side, side) && (number == "" || n.number == number) {
			return n, true
		}
	}
	return nic{}, false
}
