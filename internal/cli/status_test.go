package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

func deploymentWith(ns, name string, created time.Time, conds ...metav1.Condition) v1alpha1.UCDeployment {
	d := v1alpha1.UCDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(created)}}
	d.Status.Conditions = conds
	d.Status.CertificatesReady = "2/3"
	d.Status.FindingsSummary = "0 errors, 1 warning"
	d.Status.DNS = &v1alpha1.DNSStatus{Records: 12}
	return d
}

// TestListTable (issue 30 item 8): the list shows each deployment's Ready status with its reason,
// certificates, records, DNS verification and age, with a namespace column under -A.
func TestListTable(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	items := []v1alpha1.UCDeployment{
		deploymentWith("uc", "contoso-se", now.Add(-3*time.Hour),
			metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: "CertificatesPending"},
			metav1.Condition{Type: v1alpha1.ConditionDNSRecordsVerified, Status: metav1.ConditionTrue, Reason: "Verified"}),
		deploymentWith("uc", "fresh", now.Add(-20*time.Second)),
	}
	got := listTable(items, true, true, now)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and two rows:\n%s", got)
	}
	for i, want := range [][]string{
		{"NAMESPACE", "NAME", "READY", "REASON", "CERTIFICATES", "RECORDS", "DNS VERIFIED", "FINDINGS", "AGE"},
		{"uc", "contoso-se", "False", "CertificatesPending", "2/3", "12", "True", "0 errors, 1 warning", "3h"},
		{"uc", "fresh", "-", "-", "2/3", "12", "-", "20s"},
	} {
		for _, cell := range want {
			if !strings.Contains(lines[i], cell) {
				t.Errorf("line %d %q lacks %q", i, lines[i], cell)
			}
		}
	}
	if noNS := listTable(items, false, false, now); strings.Contains(noNS, "NAMESPACE") || strings.Contains(noNS, "uc ") {
		t.Errorf("without -A and header:\n%s", noNS)
	}
}

// TestWriteObjects: -o json prints one object for a name and a v1 List otherwise.
func TestWriteObjects(t *testing.T) {
	items := []v1alpha1.UCDeployment{deploymentWith("uc", "a", time.Time{}), deploymentWith("uc", "b", time.Time{})}
	var b bytes.Buffer
	if err := writeObjects(&b, "json", items, false); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Kind  string
		Items []v1alpha1.UCDeployment
	}
	if err := json.Unmarshal(b.Bytes(), &list); err != nil || list.Kind != "List" || len(list.Items) != 2 || list.Items[1].Kind != "UCDeployment" {
		t.Errorf("list: %v %+v", err, list)
	}
	b.Reset()
	if err := writeObjects(&b, "yaml", items[:1], true); err != nil || !strings.HasPrefix(b.String(), "apiVersion: uc.ucdeploy.io/v1alpha1\nkind: UCDeployment\n") {
		t.Errorf("single: %v\n%s", err, b.String())
	}
}

// TestWriteConditions: every condition besides Ready is printed with its reason, and the first
// DNS mismatches while DNSRecordsVerified is False.
func TestWriteConditions(t *testing.T) {
	d := deploymentWith("uc", "a", time.Time{},
		metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Ready"},
		metav1.Condition{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionFalse, Reason: "PlanValid", Message: "ok"},
		metav1.Condition{Type: v1alpha1.ConditionDNSRecordsVerified, Status: metav1.ConditionFalse, Reason: "Mismatch", Message: "7 differ"})
	for i := range 7 {
		d.Status.DNS.Mismatches = append(d.Status.DNS.Mismatches, v1alpha1.DNSMismatch{View: "external", Nameserver: "ns1", Name: "sip.contoso.com", Type: "A", Want: "1.2.3." + string(rune('0'+i)), Got: "NXDOMAIN"})
	}
	var b bytes.Buffer
	writeConditions(&b, &d)
	out := b.String()
	for _, want := range []string{"Stalled=False (PlanValid): ok", "DNSRecordsVerified=False (Mismatch): 7 differ", "want 1.2.3.0, got NXDOMAIN", "and 2 more mismatches"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Ready=") {
		t.Errorf("Ready is printed by Summary's first line:\n%s", out)
	}
}
