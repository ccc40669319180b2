package controllers

import (
	"fmt"
	"sort"
	"strings"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// Condition types (kstatus: Reconciling and Stalled are present only while True).
const (
	ConditionReady             = "Ready"
	ConditionCertificatesReady = "CertificatesReady"
	ConditionDNSRecordsReady   = "DNSRecordsReady"
	ConditionReconciling       = "Reconciling"
	ConditionStalled           = "Stalled"
)

// Condition reasons. Stable: tools match on them.
const (
	ReasonSucceeded            = "Succeeded"
	ReasonPlanHasErrors        = "PlanHasErrors"
	ReasonNameConflict         = "NameConflict"
	ReasonApplyFailed          = "ApplyFailed"
	ReasonCertificatesNotReady = "CertificatesNotReady"
	ReasonCertificatesReady    = "CertificatesReady"
	ReasonRecordsPublished     = "RecordsPublished"
	ReasonRecordsNotPublished  = "RecordsNotPublished"
	ReasonProgressing          = "Progressing"
)

// observation is what one reconcile learnt: the plan, the live Certificates by name, and which
// children could not be applied.
type observation struct {
	plan         plan.Plan
	certificates map[string]*cmapi.Certificate
	conflicts    []string // "Kind namespace/name" of foreign objects holding a child's name
	applyErr     error
	dnsApplied   bool
}

// desiredStatus computes the status from the observation; conditions keep their
// lastTransitionTime when their status does not change (meta.SetStatusCondition).
func desiredStatus(ucd *v1alpha1.UCDeployment, o *observation) v1alpha1.UCDeploymentStatus {
	st := v1alpha1.UCDeploymentStatus{
		ObservedGeneration: ucd.Generation,
		Conditions:         append([]metav1.Condition(nil), ucd.Status.Conditions...),
	}
	ready := 0
	for _, pc := range o.plan.Certificates {
		cs := certificateStatus(pc, o.certificates[pc.Name])
		if cs.Ready {
			ready++
		}
		st.Certificates = append(st.Certificates, cs)
	}
	total := len(o.plan.Certificates)
	st.CertificatesReady = fmt.Sprintf("%d/%d", ready, total)
	internal, external := len(o.plan.RecordsFor(plan.ViewInternal)), len(o.plan.RecordsFor(plan.ViewExternal))
	st.DNS = &v1alpha1.DNSStatus{
		Records:           int32(internal + external),
		InternalRecords:   int32(internal),
		ExternalRecords:   int32(external),
		InternalConfigMap: render.ConfigMapName(ucd.Name, plan.ViewInternal),
		ExternalConfigMap: render.ConfigMapName(ucd.Name, plan.ViewExternal),
	}
	st.Findings, st.FindingsSummary = findings(o.plan.Findings)

	set := func(typ string, status metav1.ConditionStatus, reason, msg string) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: ucd.Generation})
	}
	certsReady := ready == total
	if certsReady {
		set(ConditionCertificatesReady, metav1.ConditionTrue, ReasonCertificatesReady, fmt.Sprintf("%d/%d certificates ready", ready, total))
	} else {
		set(ConditionCertificatesReady, metav1.ConditionFalse, ReasonCertificatesNotReady, notReadyMessage(st.Certificates, ready, total))
	}
	if o.dnsApplied {
		set(ConditionDNSRecordsReady, metav1.ConditionTrue, ReasonRecordsPublished,
			fmt.Sprintf("%d records in ConfigMaps %s and %s", internal+external, st.DNS.InternalConfigMap, st.DNS.ExternalConfigMap))
	} else {
		set(ConditionDNSRecordsReady, metav1.ConditionFalse, ReasonRecordsNotPublished, "the DNS ConfigMaps are not up to date")
	}

	stalled, reason, msg := false, ReasonSucceeded, fmt.Sprintf("%d certificates ready, %d DNS records published", total, internal+external)
	switch {
	case o.plan.HasErrors():
		stalled, reason, msg = true, ReasonPlanHasErrors, planErrorMessage(o.plan.Findings)
	case len(o.conflicts) > 0:
		stalled, reason = true, ReasonNameConflict
		msg = "names already taken by objects this UCDeployment does not control (left untouched): " + strings.Join(o.conflicts, ", ")
	case o.applyErr != nil:
		reason, msg = ReasonApplyFailed, o.applyErr.Error()
	case !certsReady:
		reason, msg = ReasonCertificatesNotReady, notReadyMessage(st.Certificates, ready, total)
	}
	if reason == ReasonSucceeded {
		set(ConditionReady, metav1.ConditionTrue, reason, msg)
		meta.RemoveStatusCondition(&st.Conditions, ConditionReconciling)
	} else {
		set(ConditionReady, metav1.ConditionFalse, reason, msg)
		if stalled {
			meta.RemoveStatusCondition(&st.Conditions, ConditionReconciling)
		} else {
			set(ConditionReconciling, metav1.ConditionTrue, ReasonProgressing, msg)
		}
	}
	if stalled {
		set(ConditionStalled, metav1.ConditionTrue, reason, msg)
	} else {
		meta.RemoveStatusCondition(&st.Conditions, ConditionStalled)
	}
	sort.Slice(st.Conditions, func(i, j int) bool { return st.Conditions[i].Type < st.Conditions[j].Type })
	return st
}

// certificateStatus joins a planned certificate with what cert-manager reports.
func certificateStatus(pc plan.Certificate, live *cmapi.Certificate) v1alpha1.CertificateStatus {
	cs := v1alpha1.CertificateStatus{
		Name: pc.Name, Role: pc.Role, Issuer: pc.Issuer, CommonName: pc.CommonName,
		DNSNames: pc.DNSNames, SecretName: pc.SecretName,
	}
	if live == nil {
		cs.Message = "Certificate not created yet"
		return cs
	}
	cs.NotAfter, cs.RenewalTime = live.Status.NotAfter, live.Status.RenewalTime
	for _, c := range live.Status.Conditions {
		if c.Type == cmapi.CertificateConditionReady {
			// Ready only for the spec we asked for: cert-manager's condition must describe this generation.
			cs.Ready = c.Status == cmmeta.ConditionTrue && c.ObservedGeneration == live.Generation
			if !cs.Ready {
				cs.Message = c.Message
			}
		}
	}
	if !cs.Ready && cs.Message == "" {
		cs.Message = "waiting for cert-manager to issue the certificate"
	}
	return cs
}

func notReadyMessage(certs []v1alpha1.CertificateStatus, ready, total int) string {
	var parts []string
	for _, c := range certs {
		if !c.Ready {
			parts = append(parts, c.Name+": "+c.Message)
		}
	}
	return fmt.Sprintf("%d/%d certificates ready; %s", ready, total, strings.Join(parts, "; "))
}

func planErrorMessage(fs []plan.Finding) string {
	var parts []string
	for _, f := range fs {
		if f.Severity == plan.SeverityError {
			parts = append(parts, fmt.Sprintf("%s at %s: %s", f.Code, f.Path, f.Message))
		}
	}
	return "the plan has errors; nothing new is applied and existing children are kept: " + strings.Join(parts, "; ")
}

// findings converts the plan's findings to the API type and summarises them ("1 error, 2 warnings").
func findings(fs []plan.Finding) ([]v1alpha1.Finding, string) {
	out := make([]v1alpha1.Finding, 0, len(fs))
	count := map[string]int{}
	for _, f := range fs {
		out = append(out, v1alpha1.Finding{Severity: f.Severity, Code: f.Code, Path: f.Path, Message: f.Message, Rule: f.Rule})
		count[f.Severity]++
	}
	var parts []string
	for _, s := range []struct{ sev, word string }{{plan.SeverityError, "error"}, {plan.SeverityWarning, "warning"}, {plan.SeverityInfo, "info"}} {
		if n := count[s.sev]; n > 0 {
			w := s.word
			if n > 1 && w != "info" {
				w += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, w))
		}
	}
	if len(parts) == 0 {
		return out, "none"
	}
	return out, strings.Join(parts, ", ")
}
