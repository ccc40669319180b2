package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/metrics"
)

func TestRecordReplacesAndForgetDeletes(t *testing.T) {
	notAfter := metav1.NewTime(time.Unix(1900000000, 0))
	st := &v1alpha1.UCDeploymentStatus{
		Certificates: []v1alpha1.CertificateStatus{
			{Name: "a-pool", Ready: true, NotAfter: &notAfter},
			{Name: "a-edge"},
			{Name: "a-unified"},
		},
		DNS: &v1alpha1.DNSStatus{InternalRecords: 4, ExternalRecords: 7},
		Findings: []v1alpha1.Finding{
			{Severity: "Warning", Code: "SingleCertificateEdgeNames"},
			{Severity: "Info", Code: "FrontEndNamesNotOnPoolCertificate"},
			{Severity: "Info", Code: "FrontEndNamesNotOnPoolCertificate"},
		},
	}
	metrics.Record("ns", "a", st)
	metrics.Record("ns", "b", &v1alpha1.UCDeploymentStatus{Findings: []v1alpha1.Finding{{Severity: "Error", Code: "AVAuthenticationPort"}}})

	want := `
# HELP ucdeploy_certificate_expiry_timestamp_seconds Expiry (notAfter) of an issued certificate of a UCDeployment, in seconds since the Unix epoch.
# TYPE ucdeploy_certificate_expiry_timestamp_seconds gauge
ucdeploy_certificate_expiry_timestamp_seconds{certificate="a-pool",deployment="a",namespace="ns"} 1.9e+09
# HELP ucdeploy_certificates Planned certificates of a UCDeployment by cert-manager readiness (ready="true" or "false").
# TYPE ucdeploy_certificates gauge
ucdeploy_certificates{deployment="a",namespace="ns",ready="false"} 2
ucdeploy_certificates{deployment="a",namespace="ns",ready="true"} 1
ucdeploy_certificates{deployment="b",namespace="ns",ready="false"} 0
ucdeploy_certificates{deployment="b",namespace="ns",ready="true"} 0
# HELP ucdeploy_dns_records Planned DNS records of a UCDeployment per view (internal, external).
# TYPE ucdeploy_dns_records gauge
ucdeploy_dns_records{deployment="a",namespace="ns",view="external"} 7
ucdeploy_dns_records{deployment="a",namespace="ns",view="internal"} 4
ucdeploy_dns_records{deployment="b",namespace="ns",view="external"} 0
ucdeploy_dns_records{deployment="b",namespace="ns",view="internal"} 0
# HELP ucdeploy_findings Planner findings of a UCDeployment by severity (Error, Warning, Info) and code.
# TYPE ucdeploy_findings gauge
ucdeploy_findings{code="AVAuthenticationPort",deployment="b",namespace="ns",severity="Error"} 1
ucdeploy_findings{code="FrontEndNamesNotOnPoolCertificate",deployment="a",namespace="ns",severity="Info"} 2
ucdeploy_findings{code="SingleCertificateEdgeNames",deployment="a",namespace="ns",severity="Warning"} 1
`
	names := []string{"ucdeploy_certificates", "ucdeploy_certificate_expiry_timestamp_seconds", "ucdeploy_findings", "ucdeploy_dns_records"}
	if err := testutil.GatherAndCompare(registry(), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}

	// A finding and an expiry that no longer apply disappear; the rest stays.
	st.Findings = st.Findings[:1]
	st.Certificates[0].NotAfter = nil
	metrics.Record("ns", "a", st)
	if n := testutil.CollectAndCount(metrics.Deployments, "ucdeploy_findings"); n != 2 {
		t.Errorf("%d findings series after the Info finding went, want 2", n)
	}
	if n := testutil.CollectAndCount(metrics.Deployments, "ucdeploy_certificate_expiry_timestamp_seconds"); n != 0 {
		t.Errorf("%d expiry series after notAfter went, want 0", n)
	}

	metrics.Forget("ns", "a")
	for _, name := range names {
		if strings.Contains(gathered(t, name), `deployment="a"`) {
			t.Errorf("%s still has series of the forgotten deployment", name)
		}
	}
	if !strings.Contains(gathered(t, "ucdeploy_findings"), `deployment="b"`) {
		t.Error("Forget removed another deployment's series")
	}
	metrics.Forget("ns", "b")
}

func TestRecordMismatches(t *testing.T) {
	metrics.RecordMismatches("ns", "a", map[string]int{"internal": 0, "external": 3})
	metrics.RecordMismatches("ns", "b", map[string]int{"external": 1})
	want := `
# HELP ucdeploy_dns_records_mismatched Planned DNS record sets of a UCDeployment that a nameserver of spec.dns.verify answers otherwise, per verified view; absent while verification is off or has not run.
# TYPE ucdeploy_dns_records_mismatched gauge
ucdeploy_dns_records_mismatched{deployment="a",namespace="ns",view="external"} 3
ucdeploy_dns_records_mismatched{deployment="a",namespace="ns",view="internal"} 0
ucdeploy_dns_records_mismatched{deployment="b",namespace="ns",view="external"} 1
`
	if err := testutil.GatherAndCompare(registry(), strings.NewReader(want), "ucdeploy_dns_records_mismatched"); err != nil {
		t.Fatal(err)
	}
	metrics.RecordMismatches("ns", "a", nil) // verification switched off
	metrics.Forget("ns", "b")
	if n := testutil.CollectAndCount(metrics.Deployments, "ucdeploy_dns_records_mismatched"); n != 0 {
		t.Errorf("%d series after switching off and forgetting, want 0", n)
	}
}

// TestRecordServed: one current and one expiry series per listener read, no expiry series for
// a listener that could not be read; switching off and forgetting delete them.
func TestRecordServed(t *testing.T) {
	notAfter := time.Unix(1893456000, 0)
	metrics.RecordServed("ns", "a", []metrics.Served{
		{Role: "exchange", Listener: "127.0.0.1:8443", Current: true, NotAfter: notAfter},
		{Role: "edge-external", Listener: "127.0.0.2:443"},
	})
	metrics.RecordServed("ns", "b", []metrics.Served{{Role: "pool", Listener: "127.0.0.3:443", NotAfter: notAfter}})
	want := `
# HELP ucdeploy_served_certificate_current 1 when a listener of spec.certificates.verifyServed serves its certificate's current revision, 0 otherwise; absent while verification is off or has not run.
# TYPE ucdeploy_served_certificate_current gauge
ucdeploy_served_certificate_current{deployment="a",listener="127.0.0.1:8443",namespace="ns",role="exchange"} 1
ucdeploy_served_certificate_current{deployment="a",listener="127.0.0.2:443",namespace="ns",role="edge-external"} 0
ucdeploy_served_certificate_current{deployment="b",listener="127.0.0.3:443",namespace="ns",role="pool"} 0
# HELP ucdeploy_served_certificate_expiry_timestamp_seconds Expiry (notAfter) of the certificate a listener of spec.certificates.verifyServed serves, in seconds since the Unix epoch; absent while the listener cannot be read or verification is off.
# TYPE ucdeploy_served_certificate_expiry_timestamp_seconds gauge
ucdeploy_served_certificate_expiry_timestamp_seconds{deployment="a",listener="127.0.0.1:8443",namespace="ns",role="exchange"} 1.893456e+09
ucdeploy_served_certificate_expiry_timestamp_seconds{deployment="b",listener="127.0.0.3:443",namespace="ns",role="pool"} 1.893456e+09
`
	names := []string{"ucdeploy_served_certificate_current", "ucdeploy_served_certificate_expiry_timestamp_seconds"}
	if err := testutil.GatherAndCompare(registry(), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	metrics.RecordServed("ns", "a", nil) // verification switched off
	metrics.Forget("ns", "b")
	for _, name := range names {
		if n := testutil.CollectAndCount(metrics.Deployments, name); n != 0 {
			t.Errorf("%d series of %s after switching off and forgetting, want 0", n, name)
		}
	}
}

func TestPlanDuration(t *testing.T) {
	before := testutil.CollectAndCount(metrics.PlanDuration)
	metrics.ObservePlan(3 * time.Millisecond)
	if before != 1 || testutil.CollectAndCount(metrics.PlanDuration) != 1 {
		t.Errorf("the histogram is one series")
	}
	if !strings.Contains(gathered(t, "ucdeploy_plan_duration_seconds"), "ucdeploy_plan_duration_seconds_count 1") {
		t.Errorf("plan duration not observed:\n%s", gathered(t, "ucdeploy_plan_duration_seconds"))
	}
}

func registry() prometheus.Gatherer { return ctrlmetrics.Registry }

// gathered is the text exposition of the metric family name, or "" when it has no series.
func gathered(t *testing.T, name string) string {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range families {
		if f.GetName() == name {
			if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b.String()
}

func TestDNSVerifyPassesAndQueries(t *testing.T) {
	passes, queries := testutil.ToFloat64(metrics.DNSVerifyPasses), testutil.ToFloat64(metrics.DNSVerifyQueries)
	metrics.ObserveDNSVerifyPass(12)
	metrics.ObserveDNSVerifyPass(3)
	if got := testutil.ToFloat64(metrics.DNSVerifyPasses) - passes; got != 2 {
		t.Errorf("%v passes counted, want 2", got)
	}
	if got := testutil.ToFloat64(metrics.DNSVerifyQueries) - queries; got != 15 {
		t.Errorf("%v queries counted, want 15", got)
	}
	for _, name := range []string{"ucdeploy_dns_verify_passes_total", "ucdeploy_dns_verify_queries_total"} {
		if gathered(t, name) == "" {
			t.Errorf("%s is not on the manager's registry", name)
		}
	}
}
