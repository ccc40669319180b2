// Package workload builds the benchmark's UCDeployments: N realistic deployments made from the
// shapes of config/samples (as lab.Samples loads them, with the CRD's defaults), each with its
// own name, domains and addresses, spread over a set of namespaces.
package workload

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
// so tailspintoys is not read as tailspin). Every label of config/samples must be here: a domain
// left alone would be shared by every deployment of its shape, with different addresses, and
// the DNS verification phase would see the others' records.
var orgLabel = regexp.MustCompile(`\b(adatum|contoso|fabrikam|litware|northwind|tailspintoys|tailspin|wingtiptoys|wingtip)\.`)

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
