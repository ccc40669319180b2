// Package metrics holds ucdeploy's Prometheus metrics, registered on controller-runtime's registry
// so that the manager's metrics endpoint serves them next to controller-runtime's own. The
// per-deployment gauges are derived from the status the controller computes (Record) and are
// deleted with the deployment (Forget).
package metrics

import (
	"maps"
	"slices"
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
	labelRole        = "role"
	labelListener    = "listener"
)

// The per-deployment gauges.
var (
	certificatesDesc = prometheus.NewDesc("ucdeploy_certificates",
		"Planned certificates of a UCDeployment by cert-manager readiness (ready=\"true\" or \"false\").",
		[]string{labelNamespace, labelDeployment, labelReady}, nil)
	expiryDesc = prometheus.NewDesc("ucdeploy_certificate_expiry_timestamp_seconds",
		"Expiry (notAfter) of an issued certificate of a UCDeployment, in seconds since the Unix epoch.",
		[]string{labelNamespace, labelDeployment, labelCertificate}, nil)
	findingsDesc = prometheus.NewDesc("ucdeploy_findings",
		"Planner findings of a UCDeployment by severity (Error, Warning, Info) and code.",
		[]string{labelNamespace, labelDeployment, labelSeverity, labelCode}, nil)
	dnsRecordsDesc = prometheus.NewDesc("ucdeploy_dns_records",
		"Planned DNS records of a UCDeployment per view (internal, external).",
		[]string{labelNamespace, labelDeployment, labelView}, nil)
	mismatchedDesc = prometheus.NewDesc("ucdeploy_dns_records_mismatched",
		"Planned DNS record sets of a UCDeployment that a nameserver of spec.dns.verify answers otherwise, per verified view; "+
			"absent while verification is off or has not run.",
		[]string{labelNamespace, labelDeployment, labelView}, nil)
	servedExpiryDesc = prometheus.NewDesc("ucdeploy_served_certificate_expiry_timestamp_seconds",
		"Expiry (notAfter) of the certificate a listener of spec.certificates.verifyServed serves, in seconds since the Unix epoch; "+
			"absent while the listener cannot be read or verification is off.",
		[]string{labelNamespace, labelDeployment, labelRole, labelListener}, nil)
	servedCurrentDesc = prometheus.NewDesc("ucdeploy_served_certificate_current",
		"1 when a listener of spec.certificates.verifyServed serves its certificate's current revision, 0 otherwise; "+
			"absent while verification is off or has not run.",
		[]string{labelNamespace, labelDeployment, labelRole, labelListener}, nil)
)

var (
	// Deployments collects the per-deployment gauges (ucdeploy_certificates,
	// ucdeploy_certificate_expiry_timestamp_seconds, ucdeploy_findings, ucdeploy_dns_records,
	// ucdeploy_dns_records_mismatched) at scrape time from what Record and RecordMismatches kept.
	Deployments = &deploymentCollector{states: map[key]*state{}, mismatched: map[key]map[string]int{}, served: map[key][]Served{}}
	// PlanDuration is how long the planner takes for one UCDeployment.
	PlanDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "ucdeploy_plan_duration_seconds",
		Help:    "Time to compute the plan of one UCDeployment.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 8), // 100µs to 1.6s
	})
	// DNSVerifyPasses counts the verification passes of spec.dns.verify, of every UCDeployment
	// together (no per-deployment series: ucdeploy_dns_records_mismatched says which deployment).
	DNSVerifyPasses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ucdeploy_dns_verify_passes_total",
		Help: "Verification passes of spec.dns.verify run, every UCDeployment together: one per deployment and interval, and one per change of its records or nameservers.",
	})
	// DNSVerifyQueries counts the DNS queries the verification passes sent.
	DNSVerifyQueries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ucdeploy_dns_verify_queries_total",
		Help: "DNS queries sent by the verification passes of spec.dns.verify, answered or not, every UCDeployment together.",
	})
)

func init() {
	ctrlmetrics.Registry.MustRegister(Deployments, PlanDuration, DNSVerifyPasses, DNSVerifyQueries)
}

// ObserveDNSVerifyPass counts one verification pass that sent queries DNS queries.
func ObserveDNSVerifyPass(queries int) {
	DNSVerifyPasses.Inc()
	DNSVerifyQueries.Add(float64(queries))
}

// ObservePlan records the duration of one plan computation.
func ObservePlan(d time.Duration) {
	PlanDuration.Observe(d.Seconds())
}

// key names one UCDeployment.
type key struct{ namespace, name string }

// state is what the gauges of one UCDeployment show. It holds numbers and the few names the
// labels need, not metric objects, which cost far more memory per deployment (docs/performance.md,
// "Round 2").
type state struct {
	ready, notReady    int
	internal, external int32
	expiry             []expiry
	findings           []findingCount
}

type expiry struct {
	certificate string
	notAfter    float64
}

type findingCount struct {
	severity, code string
	n              int
}

// deploymentCollector is a prometheus.Collector over the states of all UCDeployments.
type deploymentCollector struct {
	mu     sync.RWMutex
	states map[key]*state
	// mismatched is kept apart from states: verification runs once per interval, not at every
	// Record.
	mismatched map[key]map[string]int
	// served is kept apart for the same reason: it changes once per pass of verifyServed.
	served map[key][]Served
}

// Served is what one listener of spec.certificates.verifyServed serves, for the gauges.
type Served struct {
	// Role is the certificate role; Listener is the listener's IP:port.
	Role, Listener string
	// Current is true when the listener serves the current revision.
	Current bool
	// NotAfter is the served leaf's expiry; zero when none was read (no expiry series).
	NotAfter time.Time
}

// Describe sends the descriptors of the per-deployment gauges.
func (c *deploymentCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{certificatesDesc, expiryDesc, findingsDesc, dnsRecordsDesc, mismatchedDesc, servedExpiryDesc, servedCurrentDesc} {
		ch <- d
	}
}

// Collect sends every series of every recorded UCDeployment.
func (c *deploymentCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for k, s := range c.states {
		gauge(certificatesDesc, float64(s.ready), k.namespace, k.name, "true")
		gauge(certificatesDesc, float64(s.notReady), k.namespace, k.name, "false")
		gauge(dnsRecordsDesc, float64(s.internal), k.namespace, k.name, "internal")
		gauge(dnsRecordsDesc, float64(s.external), k.namespace, k.name, "external")
		for _, e := range s.expiry {
			gauge(expiryDesc, e.notAfter, k.namespace, k.name, e.certificate)
		}
		for _, f := range s.findings {
			gauge(findingsDesc, float64(f.n), k.namespace, k.name, f.severity, f.code)
		}
	}
	for k, views := range c.mismatched {
		for view, n := range views {
			gauge(mismatchedDesc, float64(n), k.namespace, k.name, view)
		}
	}
	for k, listeners := range c.served {
		for _, l := range listeners {
			gauge(servedCurrentDesc, boolValue(l.Current), k.namespace, k.name, l.Role, l.Listener)
			if !l.NotAfter.IsZero() {
				gauge(servedExpiryDesc, float64(l.NotAfter.Unix()), k.namespace, k.name, l.Role, l.Listener)
			}
		}
	}
}

// boolValue is 1 for true and 0 for false.
func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// RecordMismatches sets ucdeploy_dns_records_mismatched of the UCDeployment namespace/name to
// counts, one series per verified view; nil or empty deletes its series.
func RecordMismatches(namespace, name string, counts map[string]int) {
	Deployments.mu.Lock()
	defer Deployments.mu.Unlock()
	if len(counts) == 0 {
		delete(Deployments.mismatched, key{namespace, name})
		return
	}
	Deployments.mismatched[key{namespace, name}] = maps.Clone(counts)
}

// RecordServed sets the served-certificate gauges of the UCDeployment namespace/name to
// listeners, replacing what was recorded before; nil or empty deletes its series.
func RecordServed(namespace, name string, listeners []Served) {
	Deployments.mu.Lock()
	defer Deployments.mu.Unlock()
	if len(listeners) == 0 {
		delete(Deployments.served, key{namespace, name})
		return
	}
	Deployments.served[key{namespace, name}] = slices.Clone(listeners)
}

// Record sets the gauges of the UCDeployment namespace/name from its status, replacing what was
// recorded for it before (an expiry or a finding that no longer applies disappears).
func Record(namespace, name string, st *v1alpha1.UCDeploymentStatus) {
	s := &state{}
	for _, c := range st.Certificates {
		if c.Ready {
			s.ready++
		} else {
			s.notReady++
		}
		if c.NotAfter != nil {
			s.expiry = append(s.expiry, expiry{c.Name, float64(c.NotAfter.Unix())})
		}
	}
	if st.DNS != nil {
		s.internal, s.external = st.DNS.InternalRecords, st.DNS.ExternalRecords
	}
	for _, f := range st.Findings {
		s.findings = countFinding(s.findings, string(f.Severity), f.Code)
	}
	Deployments.mu.Lock()
	defer Deployments.mu.Unlock()
	Deployments.states[key{namespace, name}] = s
}

// countFinding adds one finding of severity and code to counts.
func countFinding(counts []findingCount, severity, code string) []findingCount {
	for i := range counts {
		if counts[i].severity == severity && counts[i].code == code {
			counts[i].n++
			return counts
		}
	}
	return append(counts, findingCount{severity, code, 1})
}

// Forget deletes every series of the UCDeployment namespace/name.
func Forget(namespace, name string) {
	Deployments.mu.Lock()
	defer Deployments.mu.Unlock()
	delete(Deployments.states, key{namespace, name})
	delete(Deployments.mismatched, key{namespace, name})
	delete(Deployments.served, key{namespace, name})
}
