package controllers_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// TestMetrics scrapes the manager's metrics endpoint over HTTP: the gauges of a converged sample
// match its plan and status, and its series go when it is deleted.
func TestMetrics(t *testing.T) {
	s := sample(t, "contoso-ee")
	ns := namespace(t)
	ucd := create(t, s, ns)
	key := client.ObjectKeyFromObject(ucd)
	p := plan.Compute(s.Name, &s.Spec)
	waitCertificates(t, ucd, p)
	markCertificatesReady(t, ucd)
	done := waitCondition(t, key, "Ready", "True/Succeeded")

	series := func(labels ...string) map[string]string {
		m := map[string]string{"namespace": ns, "deployment": ucd.Name}
		for i := 0; i < len(labels); i += 2 {
			m[labels[i]] = labels[i+1]
		}
		return m
	}
	want := map[string]map[string]float64{
		"ucdeploy_certificates": {
			fmt.Sprint(series("ready", "true")):  float64(len(p.Certificates)),
			fmt.Sprint(series("ready", "false")): 0,
		},
		"ucdeploy_dns_records": {
			fmt.Sprint(series("view", "internal")): float64(len(p.RecordsFor(plan.ViewInternal))),
			fmt.Sprint(series("view", "external")): float64(len(p.RecordsFor(plan.ViewExternal))),
		},
		"ucdeploy_certificate_expiry_timestamp_seconds": {},
		"ucdeploy_findings":                             {},
	}
	for _, c := range done.Status.Certificates {
		want["ucdeploy_certificate_expiry_timestamp_seconds"][fmt.Sprint(series("certificate", c.Name))] = float64(c.NotAfter.Unix())
	}
	for _, f := range p.Findings {
		want["ucdeploy_findings"][fmt.Sprint(series("severity", string(f.Severity), "code", f.Code))]++
	}
	if len(p.Findings) == 0 {
		t.Fatal("the sample has no findings: pick one that does")
	}

	// The gauges are set just before the status is patched, so they are current by now; polling
	// only absorbs a resync racing the scrape.
	eventually(t, 10*time.Second, "metrics match the plan and status", func() error {
		families := scrape(t)
		for name, wantSeries := range want {
			have := deploymentSeries(families[name], ns, ucd.Name)
			if fmt.Sprint(have) != fmt.Sprint(wantSeries) {
				return fmt.Errorf("%s:\nhave %v\nwant %v", name, have, wantSeries)
			}
		}
		h := families["ucdeploy_plan_duration_seconds"]
		if h == nil || len(h.GetMetric()) != 1 || h.GetMetric()[0].GetHistogram().GetSampleCount() == 0 {
			return fmt.Errorf("ucdeploy_plan_duration_seconds has no observations: %v", h)
		}
		return nil
	})

	if err := k8s.Delete(context.Background(), done); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "series of the deleted UCDeployment gone", func() error {
		families := scrape(t)
		for name := range want {
			if have := deploymentSeries(families[name], ns, ucd.Name); len(have) > 0 {
				return fmt.Errorf("%s still has %v", name, have)
			}
		}
		return nil
	})
}

// scrape reads the manager's metrics endpoint.
func scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatalf("scraping %s: %v", metricsURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scraping %s: %s", metricsURL, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing the scrape: %v", err)
	}
	return families
}

// deploymentSeries returns the family's series of one deployment as fmt.Sprint(labels) → value.
func deploymentSeries(f *dto.MetricFamily, namespace, name string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["namespace"] != namespace || labels["deployment"] != name {
			continue
		}
		out[fmt.Sprint(labels)] = m.GetGauge().GetValue()
	}
	return out
}
