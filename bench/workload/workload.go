// Package workload builds the benchmark's UCDeployments: N realistic deployments made from the
// four shapes of config/samples, each with its own name, domains and addresses, spread over a
// set of namespaces; and the planner benchmark's specs with a chosen number of domains. It
// depends only on the API types and the planner, so the planner's benchmark can use it.
package workload

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// Deployment is one generated UCDeployment and its plan.
type Deployment struct {
	// Object is ready to create: name, namespace and spec set, nothing else.
	Object *v1alpha1.UCDeployment
	// Shape is the name of the sample it was made from.
	Shape string
	// Plan is plan.Compute of the object.
	Plan plan.Plan
}

// ConfigMapsPerDeployment are the ConfigMaps the controller creates for every deployment: the
// two DNS views and the install scripts.
const ConfigMapsPerDeployment = 3

// Children is how many objects the controller creates for d: one Certificate per planned
// certificate and the ConfigMaps.
func (d Deployment) Children() int { return len(d.Plan.Certificates) + ConfigMapsPerDeployment }

// LoadSamples reads every config/samples/*.yaml under root (one UCDeployment a file), sorted by
// file name.
func LoadSamples(root string) ([]v1alpha1.UCDeployment, error) {
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no samples in %s", filepath.Join(root, "config", "samples"))
	}
	sort.Strings(files)
	out := make([]v1alpha1.UCDeployment, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var ucd v1alpha1.UCDeployment
		if err := yaml.UnmarshalStrict(data, &ucd); err != nil {
			return nil, fmt.Errorf("sample %s: %w", f, err)
		}
		out = append(out, ucd)
	}
	return out, nil
}

// Namespaces returns count namespace names "<prefix>-0" ... "<prefix>-<count-1>".
func Namespaces(prefix string, count int) []string {
	out := make([]string, count)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

// Generate returns n deployments: deployment i has the shape of samples[i%len(samples)], the name
// "<sample>-<i>", the namespace namespaces[i%len(namespaces)], its own organisation domains
// (contoso.com becomes contoso<i>.com, and so on) and its own addresses (the third octet of every
// IPv4 address shifted by i). It fails when a generated deployment's plan has an error: a
// deployment that can never become Ready would make the benchmark wait forever.
func Generate(samples []v1alpha1.UCDeployment, n int, namespaces []string) ([]Deployment, error) {
	if len(samples) == 0 || len(namespaces) == 0 {
		return nil, fmt.Errorf("need at least one sample and one namespace")
	}
	out := make([]Deployment, 0, n)
	for i := range n {
		s := samples[i%len(samples)]
		spec, err := vary(s.Spec, i)
		if err != nil {
			return nil, fmt.Errorf("varying sample %s: %w", s.Name, err)
		}
		obj := &v1alpha1.UCDeployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "UCDeployment"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", s.Name, i), Namespace: namespaces[i%len(namespaces)]},
			Spec:       spec,
		}
		p := plan.Compute(obj.Name, &obj.Spec)
		if p.HasErrors() {
			return nil, fmt.Errorf("generated deployment %s has plan errors: %+v", obj.Name, p.Findings)
		}
		out = append(out, Deployment{Object: obj, Shape: s.Name, Plan: p})
	}
	return out, nil
}

// orgLabel matches the organisation label of the samples' domains (longest alternative first,
// so tailspintoys is not read as tailspin).
var orgLabel = regexp.MustCompile(`\b(contoso|fabrikam|litware|tailspintoys|tailspin|wingtiptoys)\.`)

// ipv4 matches an IPv4 address.
var ipv4 = regexp.MustCompile(`\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b`)

// vary rewrites a sample spec for deployment i through its JSON form: every organisation label
// gets the suffix i and every IPv4 address's third octet is shifted by i. Equal names and
// addresses stay equal, so the design (and its findings) stay the sample's.
func vary(spec v1alpha1.UCDeploymentSpec, i int) (v1alpha1.UCDeploymentSpec, error) {
	data, err := json.Marshal(spec)
	if err != nil {
		return spec, err
	}
	data = orgLabel.ReplaceAll(data, []byte("${1}"+strconv.Itoa(i)+"."))
	data = ipv4.ReplaceAllFunc(data, func(ip []byte) []byte {
		m := ipv4.FindSubmatch(ip)
		third, _ := strconv.Atoi(string(m[3]))
		return fmt.Appendf(nil, "%s.%s.%d.%s", m[1], m[2], (third+i)%256, m[4])
	})
	var out v1alpha1.UCDeploymentSpec
	if err := json.Unmarshal(data, &out); err != nil {
		return spec, err
	}
	return out, nil
}

// EnterpriseSpec is the planner benchmark's deployment: an OCS 2007 R2 Enterprise pool with two
// front ends, a Director, a consolidated Edge, a reverse proxy, Communicator Web Access and
// Exchange 2010, certificates per role, serving domains SIP domains that are also the accepted
// SMTP domains (contoso.com, contoso1.com, ...). With one domain it is the contoso-ee sample's
// shape less fabrikam.com.
func EnterpriseSpec(domains int) *v1alpha1.UCDeploymentSpec {
	names := make([]v1alpha1.FQDN, domains)
	for i := range names {
		names[i] = "contoso.com"
		if i > 0 {
			names[i] = v1alpha1.FQDN(fmt.Sprintf("contoso%d.com", i))
		}
	}
	yes := true
	return &v1alpha1.UCDeploymentSpec{
		SIPDomains: names,
		OCS: &v1alpha1.OCSSpec{
			Version:  v1alpha1.OCS2007R2,
			Edition:  v1alpha1.EnterpriseEdition,
			PoolFQDN: "pool01.contoso.com",
			PoolIP:   "10.0.0.10",
			FrontEnds: []v1alpha1.Server{
				{FQDN: "fe01.contoso.com", IP: "10.0.0.11"},
				{FQDN: "fe02.contoso.com", IP: "10.0.0.12"},
			},
			InternalWebFQDN: "ocsweb.contoso.com",
			AutomaticSignIn: &yes,
			Director:        &v1alpha1.DirectorSpec{FQDN: "dir01.contoso.com", IP: "10.0.0.30"},
			Edge: &v1alpha1.EdgeSpec{
				InternalFQDN: "edge01.contoso.local", InternalIP: "172.16.0.10",
				AccessFQDN: "sip.contoso.com", AccessIP: "131.107.155.10",
				WebConferencingFQDN: "webconf.contoso.com", WebConferencingIP: "131.107.155.20", WebConferencingPort: 443,
				AVFQDN: "av.contoso.com", AVIP: "131.107.155.30", AVAuthenticationPort: 5062,
				Federation: &yes,
			},
			ReverseProxy:          &v1alpha1.ReverseProxySpec{FQDN: "webext.contoso.com", IP: "131.107.155.40"},
			CommunicatorWebAccess: &v1alpha1.CWASpec{FQDN: "cwa.contoso.com", ServerFQDN: "cwa01.contoso.local", IP: "131.107.155.41"},
		},
		Exchange: &v1alpha1.ExchangeSpec{
			Version:      v1alpha1.Exchange2010,
			SMTPDomains:  names,
			ExternalFQDN: "mail.contoso.com",
			ExternalIP:   "131.107.155.50",
			InternalIP:   "10.0.0.20",
			Servers: []v1alpha1.ExchangeServer{
				{FQDN: "ex01.contoso.local", NetBIOSName: "EX01"},
				{FQDN: "ex02.contoso.local", NetBIOSName: "EX02"},
			},
			CASArrayFQDN: "outlook.contoso.com",
			Autodiscover: v1alpha1.AutodiscoverHostRecord,
			PublishedVia: "TMG",
		},
		Certificates: v1alpha1.CertificatesSpec{
			Strategy:          v1alpha1.PerRole,
			PublicIssuerRef:   &v1alpha1.IssuerRef{Name: "public-ca", Kind: "ClusterIssuer"},
			InternalIssuerRef: &v1alpha1.IssuerRef{Name: "corp-ca", Kind: "ClusterIssuer"},
		},
	}
}
