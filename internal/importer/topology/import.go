// Package topology turns a Lync Server 2010 to Skype for Business Server 2019 topology, as
// `Get-CsTopology -AsXml` prints it or as Topology Builder saves it (.tbxml), into a UCDeployment.
// docs/import.md lists the element or attribute each field comes from and where its shape was
// learned. What the topology holds and the API cannot say is returned as a warning that names
// the element; nothing is dropped silently.
package topology

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/importer/safexml"
)

// SimpleURL is one simple URL: its component (Meet, Dialin, Cscp or Admin), the SIP domain it
// serves ("*" for all) and its active URL.
type SimpleURL struct {
	Component, Domain, URL string
	// Source names where it was read, for warnings.
	Source string
}

// Options are what the topology does not hold.
type Options struct {
	// Name and Namespace of the UCDeployment; Name defaults to the default SIP domain with dots
	// turned into dashes.
	Name, Namespace string
	// Pool selects the Front End pool (or Standard Edition server) by FQDN when the topology has
	// several; default the first.
	Pool string
	// Version overrides the version read from the services' ServiceVersion.
	Version v1alpha1.OCSVersion
	// SimpleURLs come from the Central Management Store (--cms) or flags (--simple-url); they
	// override the ones a Topology Builder document carries, component by component.
	SimpleURLs []SimpleURL
	// XMPPFQDN is the XMPP federation name; the topology says only that the Edge listens for XMPP.
	XMPPFQDN string
	// InternalWebFQDN is the pool's internal web services FQDN when it is not the pool FQDN.
	InternalWebFQDN string
}

// Result is the imported UCDeployment and the warnings about what it could not say.
type Result struct {
	Deployment *v1alpha1.UCDeployment
	Warnings   []string
}

func (r *Result) warnf(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// Import reads a topology document (already decoded to UTF-8) and returns the UCDeployment it
// describes. It refuses a document that is not a topology, and one without a Front End pool.
func Import(data []byte, opts Options) (*Result, error) {
	root, err := safexml.Parse(data, safexml.Limits{})
	if err != nil {
		return nil, err
	}
	m, err := read(root)
	if err != nil {
		return nil, err
	}
	r := &Result{}
	spec := v1alpha1.UCDeploymentSpec{}
	for _, d := range m.domains {
		spec.SIPDomains = append(spec.SIPDomains, v1alpha1.FQDN(d))
	}
	for _, a := range m.domainAttrs {
		r.warnf("%s: a UCDeployment lists its SIP domains one by one; add each domain the topology allows to sipDomains by hand", a)
	}
	if len(spec.SIPDomains) == 0 {
		return nil, errors.New("the topology has no <InternalDomains><InternalDomain Name=…>: no SIP domain to plan for")
	}
	ocs, err := m.ocs(opts, r)
	if err != nil {
		return nil, err
	}
	spec.OCS = ocs
	name := opts.Name
	if name == "" {
		name = defaultName(string(spec.SIPDomains[0]))
	}
	r.Deployment = &v1alpha1.UCDeployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "UCDeployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: opts.Namespace},
		Spec:       spec,
	}
	m.warnUnmapped(r)
	return r, nil
}

// defaultName is the domain with dots turned into dashes, at most 52 characters (the API's limit).
func defaultName(domain string) string {
	n := strings.ReplaceAll(domain, ".", "-")
	if len(n) > 52 {
		n = strings.TrimRight(n[:52], "-")
	}
	return n
}

// frontEndPools are the clusters running a Registrar that is not a Director together with
// UserServices, in document order; directors are those whose RegistrarService says IsDirector.
func (m *model) pools() (frontEnds, directors []*cluster) {
	for _, c := range m.clusters {
		reg := m.serviceOn(c, "Registrar")
		if reg == nil {
			continue
		}
		if strings.EqualFold(reg.el.Child("RegistrarService").Get("IsDirector"), "true") {
			directors = append(directors, c)
		} else if m.serviceOn(c, "UserServices") != nil {
			frontEnds = append(frontEnds, c)
		}
	}
	return frontEnds, directors
}

func (m *model) ocs(opts Options, r *Result) (*v1alpha1.OCSSpec, error) {
	pools, directors := m.pools()
	if len(pools) == 0 {
		return nil, errors.New("the topology has no Front End pool or Standard Edition server (no cluster runs a Registrar service, not a Director, next to UserServices): nothing to plan")
	}
	pool := pools[0]
	if opts.Pool != "" {
		i := slices.IndexFunc(pools, func(c *cluster) bool { return c.fqdn == strings.ToLower(opts.Pool) })
		if i < 0 {
			return nil, fmt.Errorf("--pool %s: the topology has no such Front End pool (it has %s)", opts.Pool, fqdns(pools))
		}
		pool = pools[i]
	}
	for _, p := range pools {
		if p != pool {
			r.warnf("Clusters/Cluster Fqdn=%s: another Front End pool; a UCDeployment describes one pool: import it into another UCDeployment with --pool %s", p.fqdn, p.fqdn)
		}
	}
	o := &v1alpha1.OCSSpec{PoolFQDN: v1alpha1.FQDN(pool.fqdn)}
	o.Version = opts.Version
	if o.Version == "" {
		o.Version = m.version(pool, r)
	}
	if len(pool.machines) == 1 && pool.machines[0].fqdn == pool.fqdn {
		o.Edition = v1alpha1.StandardEdition
		o.PoolIP = primaryIP(pool.machines[0], "Primary", r)
	} else {
		o.Edition = v1alpha1.EnterpriseEdition
		for _, mc := range pool.machines {
			o.FrontEnds = append(o.FrontEnds, v1alpha1.Server{FQDN: v1alpha1.FQDN(mc.fqdn), IP: primaryIP(mc, "Primary", r)})
		}
		r.warnf("Clusters/Cluster Fqdn=%s: the topology does not hold the pool's load-balancer address; set ocs.poolIP by hand (DNS load balancing publishes each front end's address instead)", pool.fqdn)
		if opts.InternalWebFQDN == "" {
			r.warnf("Services/Service RoleName=WebServices on %s: the internal web services FQDN is not read from the topology; an Enterprise pool needs one of its own on the load balancer: give --internal-web-fqdn", pool.fqdn)
		}
	}
	o.InternalWebFQDN = v1alpha1.FQDN(strings.ToLower(opts.InternalWebFQDN))
	o.ExternalWebFQDN = v1alpha1.FQDN(m.externalWeb(pool, r))
	if len(directors) > 0 {
		d := directors[0]
		o.Director = &v1alpha1.DirectorSpec{FQDN: v1alpha1.FQDN(d.fqdn), ExternalWebFQDN: v1alpha1.FQDN(m.externalWeb(d, r))}
		if len(d.machines) > 0 {
			o.Director.IP = primaryIP(d.machines[0], "Primary", r)
		}
		for _, mc := range d.machines[min(1, len(d.machines)):] {
			r.warnf("Clusters/Cluster Fqdn=%s Machine Fqdn=%s: a further Director; the API describes one Director server, so its address is not imported", d.fqdn, mc.fqdn)
		}
		for _, other := range directors[1:] {
			r.warnf("Clusters/Cluster Fqdn=%s: a further Director pool; the API describes one Director", other.fqdn)
		}
	}
	edge, err := m.edge(opts, o.Version, r)
	if err != nil {
		return nil, err
	}
	o.Edge = edge
	o.OfficeOnlineServer = m.officeOnline(o.Version, r)
	o.SimpleURLs = simpleURLs(append(slices.Clone(m.simpleURLs), opts.SimpleURLs...), r)
	return o, nil
}

// version maps the ServiceVersion of the pool's Registrar (docs/import.md: 7 is Skype for
// Business Server 2015 and 8 is 2019 in public documents; 5 and 6 are inferred).
func (m *model) version(pool *cluster, r *Result) v1alpha1.OCSVersion {
	reg := m.serviceOn(pool, "Registrar")
	v := reg.serviceVersion
	for _, s := range m.services {
		if s.cluster == pool && s.serviceVersion != v {
			r.warnf("Services/Service RoleName=%s ServiceVersion=%s on %s differs from the Registrar's ServiceVersion=%s: the pool is mid-upgrade or the document was edited; the version follows the Registrar", s.role, s.serviceVersion, pool.fqdn, v)
			break
		}
	}
	switch v {
	case "8":
		r.warnf("Services/Service RoleName=Registrar ServiceVersion=8: Skype for Business Server 2019; Subscription Edition is planned like 2019 and its topology has not been compared: set --ocs-version SfBSE if the pool runs Subscription Edition")
		return v1alpha1.SfB2019
	case "7":
		return v1alpha1.SfB2015
	case "6":
		r.warnf("Services/Service RoleName=Registrar ServiceVersion=6: taken to be Lync Server 2013 (no public document confirms the number); check ocs.version")
		return v1alpha1.Lync2013
	case "5":
		r.warnf("Services/Service RoleName=Registrar ServiceVersion=5: taken to be Lync Server 2010 (no public document confirms the number); check ocs.version")
		return v1alpha1.Lync2010
	}
	r.warnf("Services/Service RoleName=Registrar ServiceVersion=%q: an unknown version, planned as SfB2019; give --ocs-version", v)
	return v1alpha1.SfB2019
}

// externalWeb is the WebServices' <WebService><ExternalSettings Host> of cluster c.
func (m *model) externalWeb(c *cluster, r *Result) string {
	ws := m.serviceOn(c, "WebServices")
	if ws == nil {
		return ""
	}
	w := ws.el.Child("WebService")
	for _, child := range w.Children {
		switch child.Name.Local {
		case "ExternalSettings", "WebComponents", "UpaSeparator":
		default:
			r.warnf("Services/Service RoleName=WebServices on %s: <WebService><%s> is not read (the API takes internalWebFQDN as the pool FQDN unless set by hand)", c.fqdn, child.Name.Local)
		}
	}
	ext := w.Child("ExternalSettings")
	if ov := ext.Child("OverrideUrls"); ov != nil && len(ov.Children) > 0 {
		r.warnf("Services/Service RoleName=WebServices on %s: <ExternalSettings><OverrideUrls> holds %d overrides the API cannot say", c.fqdn, len(ov.Children))
	}
	return strings.ToLower(ext.Get("Host"))
}

// primaryIP is the IPv4 address of the machine's first interface on side; 0.0.0.0 ("all
// addresses") and an empty value give "" (no A record), anything else unparsable a warning.
func primaryIP(mc machine, side string, r *Result) v1alpha1.IPv4Address {
	n, ok := mc.nic(side, "")
	if !ok {
		return ""
	}
	return ipv4(n.ip, fmt.Sprintf("Machine Fqdn=%s NetInterface InterfaceSide=%s IPAddress", mc.fqdn, side), r)
}

func ipv4(s, where string, r *Result) v1alpha1.IPv4Address {
	if s == "" {
		return ""
	}
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil || !a.Is4():
		r.warnf("%s=%q is not an IPv4 address; not imported", where, s)
		return ""
	case a.IsUnspecified():
		return "" // 0.0.0.0: the server listens on all its addresses; the topology names none
	}
	return v1alpha1.IPv4Address(a.String())
}

func (m *model) officeOnline(version v1alpha1.OCSVersion, r *Result) *v1alpha1.OfficeOnlineServerSpec {
	var out *v1alpha1.OfficeOnlineServerSpec
	for _, s := range m.services {
		if s.role != "WacService" {
			continue
		}
		w := s.el.Child("WacService")
		u, err := url.Parse(w.Get("DiscoveryUrl"))
		if err != nil || u.Hostname() == "" {
			r.warnf("Services/Service RoleName=WacService: DiscoveryUrl=%q names no host; not imported", w.Get("DiscoveryUrl"))
			continue
		}
		if out != nil {
			r.warnf("Services/Service RoleName=WacService DiscoveryUrl=%s: a further Office Online Server farm; the API describes one", w.Get("DiscoveryUrl"))
			continue
		}
		if version == v1alpha1.Lync2010 {
			r.warnf("Services/Service RoleName=WacService: Lync Server 2010 does not use Office Web Apps; not imported")
			continue
		}
		out = &v1alpha1.OfficeOnlineServerSpec{InternalFQDN: v1alpha1.FQDN(strings.ToLower(u.Hostname()))}
		if s.cluster != nil && len(s.cluster.machines) == 1 {
			out.InternalIP = primaryIP(s.cluster.machines[0], "Primary", r)
		}
		if strings.EqualFold(w.Get("IsExternal"), "true") {
			r.warnf("Services/Service RoleName=WacService IsExternal=true: the farm is reached over the Internet; set officeOnlineServer.externalFQDN by hand")
		}
	}
	return out
}

// simpleURLs maps Meet, Dialin and Admin (Cscp) URLs to hosts; later entries win per component.
func simpleURLs(urls []SimpleURL, r *Result) *v1alpha1.SimpleURLsSpec {
	if len(urls) == 0 {
		return nil
	}
	out := &v1alpha1.SimpleURLsSpec{}
	meet := map[string]string{} // domain → host
	var meetOrder []string
	for _, su := range urls {
		u, err := url.Parse(su.URL)
		host := ""
		if err == nil {
			host = strings.ToLower(u.Hostname())
		}
		if host == "" {
			r.warnf("%s Component=%s Url=%q names no host; not imported", su.Source, su.Component, su.URL)
			continue
		}
		if err == nil && strings.Trim(u.Path, "/") != "" {
			r.warnf("%s Component=%s Url=%s has a path (/%s): the API names simple URLs by host only", su.Source, su.Component, su.URL, strings.Trim(u.Path, "/"))
		}
		switch strings.ToLower(su.Component) {
		case "meet":
			if _, seen := meet[su.Domain]; !seen {
				meetOrder = append(meetOrder, su.Domain)
			}
			meet[su.Domain] = host
		case "dialin":
			out.Dialin = v1alpha1.FQDN(host)
		case "cscp", "admin":
			out.Admin = v1alpha1.FQDN(host)
		default:
			r.warnf("%s Component=%s: not a simple URL the API knows (Meet, Dialin, Admin/Cscp)", su.Source, su.Component)
		}
	}
	for _, d := range meetOrder {
		if h := v1alpha1.FQDN(meet[d]); !slices.Contains(out.Meet, h) {
			out.Meet = append(out.Meet, h)
		}
	}
	if len(out.Meet) == 0 && out.Dialin == "" && out.Admin == "" {
		return nil
	}
	return out
}

// mappedRoles are the service roles Import reads; ignoredRoles need no name of their own on a
// certificate or in DNS (databases, file shares, services collocated with the pool).
var (
	mappedRoles  = []string{"UserServices", "Registrar", "WebServices", "EdgeServer", "WacService"}
	ignoredRoles = []string{"UserStore", "FileStore", "ConfServices", "ApplicationServer", "ApplicationStore", "CentralMgmt", "CentralMgmtStore", "ManagementServices", "ArchivingStore", "MonitoringStore"}
)

// warnUnmapped warns once per role the API cannot say (a Mediation pool, Persistent Chat, a
// trusted application pool …), naming the clusters that run it.
func (m *model) warnUnmapped(r *Result) {
	where := map[string][]string{}
	var order []string
	for _, s := range m.services {
		if slices.Contains(mappedRoles, s.role) || slices.Contains(ignoredRoles, s.role) {
			continue
		}
		if _, seen := where[s.role]; !seen {
			order = append(order, s.role)
		}
		on := "a SQL instance"
		if s.cluster != nil {
			on = s.cluster.fqdn
		}
		where[s.role] = append(where[s.role], on)
	}
	for _, role := range order {
		r.warnf("Services/Service RoleName=%s on %s: the API does not describe this role; its certificates and DNS records are not planned", role, strings.Join(where[role], ", "))
	}
}

func fqdns(cs []*cluster) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.fqdn)
	}
	return strings.Join(s, ", ")
}
