// Package metrics holds ucdeploy's Prometheus metrics, registered on controller-runtime's registry
// so that the manager's metrics endpoint serves them next to controller-runtime's own. The
// per-deployment gauges are derived from the status the controller computes (Record) and are
// deleted with the deployment (Forget).
package metrics

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// Label names.
const (
	labelNamespace   = "namespace"
	labelDeployment  = "deployment"
	labelReady       = "ready"
	labelCertificate = "certificate"
	labelSeverity    = "severity"
	labelCode        = "code"
	labelView        = "view"
)

var (
	// Certificates counts a deployment's planned certificates by readiness (ready="true"/"false").
	Certificates = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ucdeploy_certificates",
		Help: "Planned certificates of a UCDeployment by cert-manager readiness (ready=\"true\" or \"false\").",
	}, []string{labelNamespace, labelDeployment, labelReady})

	// CertificateExpiry is the notAfter of each issued certificate, as a Unix timestamp.
	CertificateExpiry = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ucdeploy_certificate_expiry_timestamp_seconds",
		Help: "Expiry (notAfter) of an issued certificate of a UCDeployment, in seconds since the Unix epoch.",
	}, []string{labelNamespace, labelDeployment, labelCertificate})

	// Findings counts the planner's findings by severity and code.
	Findings = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ucdeploy_findings",
		Help: "Planner findings of a UCDeployment by severity (Error, Warning, Info) and code.",
	}, []string{labelNamespace, labelDeployment, labelSeverity, labelCode})

	// DNSRecords counts the planned DNS records per view.
	DNSRecords = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ucdeploy_dns_records",
		Help: "Planned DNS records of a UCDeployment per view (internal, external).",
	}, []string{labelNamespace, labelDeployment, labelView})

	// PlanDuration is how long the planner takes for one UCDeployment.
	PlanDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "ucdeploy_plan_duration_seconds",
		Help:    "Time to compute the plan of one UCDeployment.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 8), // 100µs to 1.6s
	})
)

func init() {
	ctrlmetrics.Registry.MustRegister(Certificates, CertificateExpiry, Findings, DNSRecords, PlanDuration)
}

// ObservePlan records the duration of one plan computation.
func ObservePlan(d time.Duration) {
	PlanDuration.Observe(d.Seconds())
}

// key names one UCDeployment.
type key struct{ namespace, name string }

// seriesOf remembers, per vector whose series come and go (expiry per certificate, findings per
// code) and per deployment, the series Record set last, so that it deletes those that no longer
// apply without clearing the others first: a scrape never sees a gap.
var (
	mu       sync.Mutex
	seriesOf = map[*prometheus.GaugeVec]map[key]map[string]series{}
)

// Record sets the gauges of the UCDeployment namespace/name from its status.
func Record(namespace, name string, st *v1alpha1.UCDeploymentStatus) {
	ready := 0
	expiry := map[string]series{}
	for _, c := range st.Certificates {
		if c.Ready {
			ready++
		}
		if c.NotAfter != nil {
			add(expiry, float64(c.NotAfter.Unix()), namespace, name, c.Name)
		}
	}
	Certificates.WithLabelValues(namespace, name, "true").Set(float64(ready))
	Certificates.WithLabelValues(namespace, name, "false").Set(float64(len(st.Certificates) - ready))

	var internal, external int32
	if st.DNS != nil {
		internal, external = st.DNS.InternalRecords, st.DNS.ExternalRecords
	}
	DNSRecords.WithLabelValues(namespace, name, "internal").Set(float64(internal))
	DNSRecords.WithLabelValues(namespace, name, "external").Set(float64(external))

	replace(CertificateExpiry, key{namespace, name}, expiry)

	findings := map[string]series{}
	for _, f := range st.Findings {
		add(findings, 1, namespace, name, f.Severity, f.Code)
	}
	replace(Findings, key{namespace, name}, findings)
}

// series is one series' label values and value.
type series struct {
	labels []string
	value  float64
}

// add adds v to the series with label values lvs in set.
func add(set map[string]series, v float64, lvs ...string) {
	id := strings.Join(lvs, "\x00") // label values here are Kubernetes names and codes: no NUL
	s := set[id]
	s.labels = lvs
	s.value += v
	set[id] = s
}

// Forget deletes every series of the UCDeployment namespace/name.
func Forget(namespace, name string) {
	labels := prometheus.Labels{labelNamespace: namespace, labelDeployment: name}
	mu.Lock()
	defer mu.Unlock()
	for _, vec := range []*prometheus.GaugeVec{Certificates, CertificateExpiry, Findings, DNSRecords} {
		vec.DeletePartialMatch(labels)
		delete(seriesOf[vec], key{namespace, name})
	}
}

// replace sets the series of one deployment in vec to set and deletes the series it set before
// that are not in set.
func replace(vec *prometheus.GaugeVec, k key, set map[string]series) {
	mu.Lock()
	defer mu.Unlock()
	for id, old := range seriesOf[vec][k] {
		if _, keep := set[id]; !keep {
			vec.DeleteLabelValues(old.labels...)
		}
	}
	for _, s := range set {
		vec.WithLabelValues(s.labels...).Set(s.value)
	}
	if seriesOf[vec] == nil {
		seriesOf[vec] = map[key]map[string]series{}
	}
	if len(set) == 0 {
		delete(seriesOf[vec], k)
		return
	}
	seriesOf[vec][k] = set
}
