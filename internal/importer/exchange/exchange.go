// Package exchange turns what the PowerShell line of docs/import.md writes (Exchange's virtual
// directory URLs, Outlook Anywhere host names, Autodiscover's internal URI, accepted domains and
// servers, through ConvertTo-Json -Depth 4) into the exchange part of a UCDeployment, with a
// warning for each namespace inconsistency it sees.
package exchange

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// Options name the UCDeployment.
type Options struct {
	// Name defaults to the default accepted domain with dots turned into dashes.
	Name, Namespace string
}

// Result is the imported UCDeployment and the warnings about the namespaces.
type Result struct {
	Deployment *v1alpha1.UCDeployment
	Warnings   []string
}

func (r *Result) warnf(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// input is the object the PowerShell line writes. Every list may come as a bare object (one
// item) or an array; URLs and versions as strings or as serialised .NET objects.
type input struct {
	Servers         json.RawMessage
	AcceptedDomains json.RawMessage
	OWA, ECP, EWS   json.RawMessage
	OAB, ActiveSync json.RawMessage
	MAPI            json.RawMessage
	OutlookAnywhere json.RawMessage
	ClientAccess    json.RawMessage
}

// virtualDirectories are the inputs' virtual directory lists, in the order warnings name them.
func (in *input) virtualDirectories() []struct {
	name string
	raw  json.RawMessage
} {
	return []struct {
		name string
		raw  json.RawMessage
	}{{"OWA", in.OWA}, {"ECP", in.ECP}, {"EWS", in.EWS}, {"OAB", in.OAB}, {"ActiveSync", in.ActiveSync}, {"MAPI", in.MAPI}}
}

const expected = "expected the JSON object of the PowerShell line in docs/import.md (Servers, AcceptedDomains, OWA, ECP, EWS, OAB, ActiveSync, MAPI, OutlookAnywhere, ClientAccess)"

// Import reads the JSON (already decoded to UTF-8) and returns the UCDeployment.
func Import(data []byte, opts Options) (*Result, error) {
	var in input
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("not JSON of the expected shape (%v): %s", err, expected)
	}
	if in.Servers == nil || (in.OWA == nil && in.EWS == nil && in.OutlookAnywhere == nil) {
		return nil, errors.New("the JSON has no Servers or no virtual directories: " + expected)
	}
	r := &Result{}
	ex := &v1alpha1.ExchangeSpec{}
	servers, err := list(in.Servers)
	if err != nil {
		return nil, fmt.Errorf("reading Servers: %w", err)
	}
	var serverNames []string // FQDNs and short names, lower case
	var major, minor int = -1, -1
	for _, s := range servers {
		fqdn, name := strings.ToLower(str(s["Fqdn"])), str(s["Name"])
		if fqdn == "" {
			r.warnf("Servers: a server without Fqdn (%s); not imported", name)
			continue
		}
		srv := v1alpha1.ExchangeServer{FQDN: v1alpha1.FQDN(fqdn)}
		if netbios.MatchString(name) {
			srv.NetBIOSName = v1alpha1.NetBIOSName(strings.ToUpper(name))
		}
		ex.Servers = append(ex.Servers, srv)
		serverNames = append(serverNames, fqdn, strings.ToLower(name))
		ma, mi, ok := version(s["AdminDisplayVersion"])
		if !ok {
			r.warnf("Servers %s: AdminDisplayVersion %s is not a version this tool reads", fqdn, strings.TrimSpace(string(mustJSON(s["AdminDisplayVersion"]))))
			continue
		}
		if major >= 0 && (ma != major || mi != minor) {
			r.warnf("Servers %s: version %d.%d next to %d.%d: the organisation runs two versions; the newest is imported, set exchange.legacyFQDN by hand for the coexistence namespace", fqdn, ma, mi, major, minor)
		}
		if ma > major || (ma == major && mi > minor) {
			major, minor = ma, mi
		}
	}
	ex.Version = mapVersion(major, minor, r)
	domains, err := list(in.AcceptedDomains)
	if err != nil {
		return nil, fmt.Errorf("AcceptedDomains: %w", err)
	}
	defaultDomain := ""
	for _, d := range domains {
		name := strings.ToLower(str(d["DomainName"]))
		switch {
		case name == "":
			continue
		case strings.Contains(name, "*"):
			r.warnf("AcceptedDomains DomainName=%s: a wildcard accepted domain; list each SMTP domain under it in exchange.smtpDomains by hand", name)
			continue
		}
		if b, _ := d["Default"].(bool); b {
			defaultDomain = name
			ex.SMTPDomains = append([]v1alpha1.FQDN{v1alpha1.FQDN(name)}, ex.SMTPDomains...)
		} else {
			ex.SMTPDomains = append(ex.SMTPDomains, v1alpha1.FQDN(name))
		}
	}
	if err := namespaces(&in, ex, serverNames, r); err != nil {
		return nil, err
	}
	name := opts.Name
	if name == "" && (defaultDomain != "" || len(ex.SMTPDomains) > 0) {
		if defaultDomain == "" {
			defaultDomain = string(ex.SMTPDomains[0])
		}
		name = strings.ReplaceAll(defaultDomain, ".", "-")
		if len(name) > 52 {
			name = strings.TrimRight(name[:52], "-")
		}
	}
	if name == "" {
		name = "exchange"
	}
	r.Deployment = &v1alpha1.UCDeployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "UCDeployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: opts.Namespace},
		Spec:       v1alpha1.UCDeploymentSpec{Exchange: ex},
	}
	return r, nil
}

var netbios = regexp.MustCompile(`^[A-Za-z0-9][-A-Za-z0-9]{0,14}$`)

// namespaces chooses the external namespace (the host most external URLs name) and warns about
// every other external host, every internal host that differs, and an Autodiscover URI that
// names neither autodiscover.<domain> nor the namespace.
func namespaces(in *input, ex *v1alpha1.ExchangeSpec, serverNames []string, r *Result) error {
	type use struct{ what, host string }
	var external, internal []use
	count := map[string]int{}
	var order []string
	addExternal := func(what, host string) {
		if host == "" {
			return
		}
		external = append(external, use{what, host})
		if count[host] == 0 {
			order = append(order, host)
		}
		count[host]++
	}
	for _, vd := range in.virtualDirectories() {
		items, err := list(vd.raw)
		if err != nil {
			return fmt.Errorf("%s: %w", vd.name, err)
		}
		for _, it := range items {
			what := vd.name + " on " + serverName(it["Server"])
			addExternal(what+" ExternalUrl", host(it["ExternalUrl"]))
			if h := host(it["InternalUrl"]); h != "" {
				internal = append(internal, use{what + " InternalUrl", h})
			}
		}
	}
	oa, err := list(in.OutlookAnywhere)
	if err != nil {
		return fmt.Errorf("OutlookAnywhere: %w", err)
	}
	for _, it := range oa {
		what := "OutlookAnywhere on " + serverName(it["Server"])
		addExternal(what+" ExternalHostname", host(it["ExternalHostname"]))
		if h := host(it["InternalHostname"]); h != "" {
			internal = append(internal, use{what + " InternalHostname", h})
		}
	}
	if len(order) == 0 {
		return errors.New("no virtual directory has an ExternalUrl and Outlook Anywhere no ExternalHostname: the organisation publishes nothing, and exchange.externalFQDN is required")
	}
	ns := order[0]
	for _, h := range order[1:] {
		if count[h] > count[ns] {
			ns = h
		}
	}
	ex.ExternalFQDN = v1alpha1.FQDN(ns)
	for _, u := range external {
		if u.host != ns {
			r.warnf("%s names %s, not the namespace %s that %d other URLs name: two external host names; one certificate must carry both (add %s to exchange.additionalNames) or the URL is wrong", u.what, u.host, ns, count[ns], u.host)
		}
	}
	modern := ex.Version != v1alpha1.Exchange2007 && ex.Version != v1alpha1.Exchange2010
	for _, u := range internal {
		switch {
		case u.host == ns:
		case modern && slices.Contains(serverNames, u.host):
			r.warnf("%s names the server %s: from Exchange 2013 on the internal URLs should name the namespace (%s), or clients break when the server goes away and the server name needs an internal certificate", u.what, u.host, ns)
		default:
			r.warnf("%s names %s, not %s: a split namespace the API cannot say (it publishes %s in both views); set the URL to the namespace or plan %s by hand", u.what, u.host, ns, ns, u.host)
		}
	}
	cas, err := list(in.ClientAccess)
	if err != nil {
		return fmt.Errorf("ClientAccess: %w", err)
	}
	for _, it := range cas {
		h := host(it["AutoDiscoverServiceInternalUri"])
		if h == "" || h == ns || (strings.HasPrefix(h, "autodiscover.") && slices.Contains(ex.SMTPDomains, v1alpha1.FQDN(strings.TrimPrefix(h, "autodiscover.")))) {
			continue
		}
		r.warnf("ClientAccess %s AutoDiscoverServiceInternalUri names %s: neither autodiscover.<accepted domain> nor the namespace %s; plan it by hand", serverName(it["Name"]), h, ns)
	}
	return nil
}

// mapVersion maps Exchange's major.minor (8 is 2007, 14 is 2010, 15.0 2013, 15.1 2016, 15.2 2019).
func mapVersion(major, minor int, r *Result) v1alpha1.ExchangeVersion {
	switch {
	case major == 8:
		return v1alpha1.Exchange2007
	case major == 14:
		return v1alpha1.Exchange2010
	case major == 15 && minor == 0:
		return v1alpha1.Exchange2013
	case major == 15 && minor == 1:
		return v1alpha1.Exchange2016
	case major == 15 && minor == 2:
		r.warnf("Servers: version 15.2 is Exchange 2019 or Exchange Server SE; imported as 2019: set exchange.version SE if the servers run Subscription Edition")
		return v1alpha1.Exchange2019
	}
	r.warnf("Servers: no version this tool knows (%d.%d); exchange.version is left to its default: set it by hand", major, minor)
	return ""
}

// list decodes a value that ConvertTo-Json writes as a bare object (one item), an array, or, in
// Windows PowerShell 5.1 for some arrays, an object {"value": [...], "Count": n}. Absent is empty.
func list(raw json.RawMessage) ([]map[string]any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var many []map[string]any
	if err := json.Unmarshal(raw, &many); err == nil {
		return many, nil
	}
	var one map[string]any
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, errors.New("neither an object nor an array of objects")
	}
	if v, ok := one["value"].([]any); ok && len(one) <= 2 {
		for _, it := range v {
			if m, ok := it.(map[string]any); ok {
				many = append(many, m)
			}
		}
		return many, nil
	}
	return []map[string]any{one}, nil
}

// str is a JSON string, or the Name/Domain/Address/HostnameString member of a serialised object.
func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		for _, k := range []string{"HostnameString", "Domain", "Address", "Name", "AbsoluteUri", "OriginalString"} {
			if s, ok := t[k].(string); ok && s != "" {
				return s
			}
		}
	}
	return ""
}

func serverName(v any) string {
	if s := str(v); s != "" {
		return s
	}
	return "(no server)"
}

// host is the lower-case host of a URL or host name, whether ConvertTo-Json wrote it as a string
// or as a System.Uri object (Host, AbsoluteUri).
func host(v any) string {
	if m, ok := v.(map[string]any); ok {
		if h, ok := m["Host"].(string); ok && h != "" {
			return strings.ToLower(h)
		}
	}
	s := strings.TrimSpace(str(v))
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") {
		return strings.ToLower(strings.TrimSuffix(s, "."))
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

var versionText = regexp.MustCompile(`(\d+)\.(\d+)`)

// version reads "Version 15.2 (Build 1118.7)" or a serialised ServerVersion {Major, Minor}.
func version(v any) (major, minor int, ok bool) {
	switch t := v.(type) {
	case string:
		m := versionText.FindStringSubmatch(t)
		if m == nil {
			return 0, 0, false
		}
		major, _ = strconv.Atoi(m[1])
		minor, _ = strconv.Atoi(m[2])
		return major, minor, true
	case map[string]any:
		ma, ok1 := t["Major"].(float64)
		mi, ok2 := t["Minor"].(float64)
		return int(ma), int(mi), ok1 && ok2
	}
	return 0, 0, false
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
