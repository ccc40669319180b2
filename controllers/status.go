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

// statusInput is everything the status is computed from: the plan, what this reconcile's writes
// did, and what it observed of the children and issuers. Nothing in it comes from the previous
// status.
type statusInput struct {
	plan plan.Plan
	// issuerRefusal says why the allow-list refuses issuers the certificates name, or "".
	issuerRefusal string
	// applied is what the writes did; its zero value when the plan's errors or issuerRefusal held
	// them back.
	applied applied
	// certificates are the live planned Certificates this UCDeployment controls, by name.
	certificates map[string]*cmapi.Certificate
	// issuerProblems describe the issuers the certificates need that are missing or not Ready.
	issuerProblems []string
	// dnsVerify is the verification of spec.dns.verify (dnsverify.go).
	dnsVerify dnsResult
	// served is the check of spec.certificates.verifyServed (served.go).
	served servedResult
}

// desiredStatus computes the status from in; conditions keep their lastTransitionTime when their
// status does not change (meta.SetStatusCondition), the one thing carried over from ucd.Status.
func desiredStatus(ucd *v1alpha1.UCDeployment, in statusInput) v1alpha1.UCDeploymentStatus {
	st := v1alpha1.UCDeploymentStatus{
		ObservedGeneration: ucd.Generation,
		Conditions:         append([]metav1.Condition(nil), ucd.Status.Conditions...),
	}
	certs := certificateStatuses(ucd, in)
	st.Certificates = certs.statuses
	st.CertificatesReady = fmt.Sprintf("%d/%d", certs.ready, certs.total)
	st.DNS = dnsStatus(ucd, in)
	st.InstallConfigMap = render.InstallConfigMapName(ucd.Name)
	// The digests of what was written; while writes are held back, those of the last write.
	st.InstallDigests = ucd.Status.InstallDigests
	if in.applied.ran && in.applied.installData.err == nil {
		st.InstallDigests = render.Digests(render.InstallConfigMap(ucd, in.plan))
	}
	st.Findings, st.FindingsSummary = findings(in.plan.Findings)

	c := conditions{list: &st.Conditions, generation: ucd.Generation}
	c.setCertificatesReady(in, certs)
	c.setDNSRecordsReady(in, st.DNS)
	c.setDNSEndpointsReady(ucd, in)
	c.setDNSRecordsVerified(in.dnsVerify, st.DNS)
	c.setCertificatesServed(in.served, &st)
	c.setReady(readiness(in, certs, st.DNS.Records))
	sort.Slice(st.Conditions, func(i, j int) bool { return st.Conditions[i].Type < st.Conditions[j].Type })
	return st
}

// certificateSummary is the planned certificates joined with what cert-manager reports.
type certificateSummary struct {
	statuses     []v1alpha1.CertificateStatus
	ready, total int
}

// allReady reports whether cert-manager has issued every planned certificate.
func (c certificateSummary) allReady() bool { return c.ready == c.total }

// notReady is the message naming the certificates that are not ready yet.
func (c certificateSummary) notReady() string {
	return notReadyMessage(c.statuses, c.ready, c.total)
}

// certificateStatuses joins every planned certificate with its live Certificate.
func certificateStatuses(ucd *v1alpha1.UCDeployment, in statusInput) certificateSummary {
	s := certificateSummary{total: len(in.plan.Certificates)}
	for _, pc := range in.plan.Certificates {
		cs := certificateStatus(pc, in.certificates[pc.Name])
		keystoreHint(ucd, &cs)
		if cs.Ready {
			s.ready++
		}
		s.statuses = append(s.statuses, cs)
	}
	return s
}

// dnsStatus counts the planned records of each view and names where they are published.
func dnsStatus(ucd *v1alpha1.UCDeployment, in statusInput) *v1alpha1.DNSStatus {
	internal, external := len(in.plan.RecordsFor(plan.ViewInternal)), len(in.plan.RecordsFor(plan.ViewExternal))
	return &v1alpha1.DNSStatus{
		Records:           int32(internal + external),
		InternalRecords:   int32(internal),
		ExternalRecords:   int32(external),
		InternalConfigMap: render.ConfigMapName(ucd.Name, plan.ViewInternal),
		ExternalConfigMap: render.ConfigMapName(ucd.Name, plan.ViewExternal),
		DNSEndpoints:      in.applied.endpoints.names,
	}
}

// conditions sets the conditions of one status, each for the generation it describes.
type conditions struct {
	list       *[]metav1.Condition
	generation int64
}

func (c conditions) set(typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(c.list, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: c.generation})
}

func (c conditions) remove(typ string) { meta.RemoveStatusCondition(c.list, typ) }

// setCertificatesReady: True when cert-manager reports every certificate Ready; False naming the
// issuers that block issuance, or else the certificates still waiting.
func (c conditions) setCertificatesReady(in statusInput, certs certificateSummary) {
	if certs.allReady() {
		c.set(v1alpha1.ConditionCertificatesReady, metav1.ConditionTrue, v1alpha1.ReasonCertificatesReady, fmt.Sprintf("%d/%d certificates ready", certs.ready, certs.total))
		return
	}
	if len(in.issuerProblems) > 0 {
		c.set(v1alpha1.ConditionCertificatesReady, metav1.ConditionFalse, v1alpha1.ReasonIssuerNotReady, issuerMessage(in.issuerProblems, certs.notReady()))
		return
	}
	c.set(v1alpha1.ConditionCertificatesReady, metav1.ConditionFalse, v1alpha1.ReasonCertificatesNotReady, certs.notReady())
}

// setDNSRecordsReady: True when this reconcile found or made the DNS ConfigMaps up to date.
func (c conditions) setDNSRecordsReady(in statusInput, dns *v1alpha1.DNSStatus) {
	if in.applied.ran && in.applied.dnsConfigMaps.ok() {
		c.set(v1alpha1.ConditionDNSRecordsReady, metav1.ConditionTrue, v1alpha1.ReasonRecordsPublished,
			fmt.Sprintf("%d records in ConfigMaps %s and %s", dns.Records, dns.InternalConfigMap, dns.ExternalConfigMap))
		return
	}
	c.set(v1alpha1.ConditionDNSRecordsReady, metav1.ConditionFalse, v1alpha1.ReasonRecordsNotPublished, "the DNS ConfigMaps are not up to date")
}

// setDNSEndpointsReady: present only while spec.dns.dnsEndpoint is enabled.
func (c conditions) setDNSEndpointsReady(ucd *v1alpha1.UCDeployment, in statusInput) {
	if render.DNSEndpointViews(ucd) == nil {
		c.remove(v1alpha1.ConditionDNSEndpointsReady)
		return
	}
	status, reason, msg := endpointsCondition(ucd, in)
	c.set(v1alpha1.ConditionDNSEndpointsReady, status, reason, msg)
}

// setDNSRecordsVerified: present only while spec.dns.verify is set; the mismatches go to
// status.dns.mismatches.
func (c conditions) setDNSRecordsVerified(v dnsResult, dns *v1alpha1.DNSStatus) {
	if !v.enabled {
		c.remove(v1alpha1.ConditionDNSRecordsVerified)
		return
	}
	dns.Mismatches = v.mismatches
	c.set(v1alpha1.ConditionDNSRecordsVerified, v.status, v.reason, v.message)
}

// setCertificatesServed: present only while spec.certificates.verifyServed is set; the listeners
// go to status.servedCertificates. Ready does not depend on it.
func (c conditions) setCertificatesServed(v servedResult, st *v1alpha1.UCDeploymentStatus) {
	if !v.enabled {
		c.remove(v1alpha1.ConditionCertificatesServed)
		return
	}
	st.ServedCertificates = v.listeners
	c.set(v1alpha1.ConditionCertificatesServed, v.status, v.reason, v.message)
}

// ready is what Ready says: its reason and message, and whether the deployment is stalled (it
// cannot progress without a change to the spec or the cluster) rather than progressing.
type ready struct {
	reason, message string
	stalled         bool
}

// readyBlocker is one reason Ready can be False. It applies when block returns a message.
type readyBlocker struct {
	reason  string
	stalled bool
	block   func(in statusInput, certs certificateSummary) (string, bool)
}

// readyBlockers are tried in order: the first that applies decides Ready (Flux's summarised
// Ready, Cluster API's ordered conditions). The stalled ones come first: nothing else matters
// until they are fixed.
var readyBlockers = []readyBlocker{
	{v1alpha1.ReasonPlanHasErrors, true, func(in statusInput, _ certificateSummary) (string, bool) {
		return planErrorMessage(in.plan.Findings), in.plan.HasErrors()
	}},
	{v1alpha1.ReasonIssuerNotAllowed, true, func(in statusInput, _ certificateSummary) (string, bool) {
		return in.issuerRefusal, in.issuerRefusal != ""
	}},
	{v1alpha1.ReasonNameConflict, true, func(in statusInput, _ certificateSummary) (string, bool) {
		conflicts := in.applied.all().conflicts
		return "names already taken by objects this UCDeployment does not control (left untouched): " + joinRefs(conflicts), len(conflicts) > 0
	}},
	{v1alpha1.ReasonApplyFailed, false, func(in statusInput, _ certificateSummary) (string, bool) {
		if err := in.applied.all().err; err != nil {
			return err.Error(), true
		}
		return "", false
	}},
	{v1alpha1.ReasonIssuerNotReady, false, func(in statusInput, certs certificateSummary) (string, bool) {
		return issuerMessage(in.issuerProblems, certs.notReady()), !certs.allReady() && len(in.issuerProblems) > 0
	}},
	{v1alpha1.ReasonCertificatesNotReady, false, func(_ statusInput, certs certificateSummary) (string, bool) {
		return certs.notReady(), !certs.allReady()
	}},
}

// readiness is the Ready verdict of a statusInput: the first blocker that applies, or success.
func readiness(in statusInput, certs certificateSummary, records int32) ready {
	for _, b := range readyBlockers {
		if msg, blocked := b.block(in, certs); blocked {
			return ready{reason: b.reason, message: msg, stalled: b.stalled}
		}
	}
	return ready{reason: v1alpha1.ReasonSucceeded, message: fmt.Sprintf("%d certificates ready, %d DNS records published", certs.total, records)}
}

// setReady sets Ready from the verdict, with kstatus's Reconciling while progressing and Stalled
// while stalled; neither is present otherwise.
func (c conditions) setReady(r ready) {
	switch {
	case r.reason == v1alpha1.ReasonSucceeded:
		c.set(v1alpha1.ConditionReady, metav1.ConditionTrue, r.reason, r.message)
		c.remove(v1alpha1.ConditionReconciling)
	case r.stalled:
		c.set(v1alpha1.ConditionReady, metav1.ConditionFalse, r.reason, r.message)
		c.remove(v1alpha1.ConditionReconciling)
	default:
		c.set(v1alpha1.ConditionReady, metav1.ConditionFalse, r.reason, r.message)
		c.set(v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonProgressing, r.message)
	}
	if r.stalled {
		c.set(v1alpha1.ConditionStalled, metav1.ConditionTrue, r.reason, r.message)
	} else {
		c.remove(v1alpha1.ConditionStalled)
	}
}

// certificateStatus joins a planned certificate with what cert-manager reports.
func certificateStatus(pc plan.Certificate, live *cmapi.Certificate) v1alpha1.CertificateStatus {
	cs := pc.StatusEntry()
	if live == nil {
		cs.Message = "Certificate not created yet"
		return cs
	}
	cs.NotAfter, cs.RenewalTime = live.Status.NotAfter, live.Status.RenewalTime
	cs.Revision = revision(live)
	cs.Ready = certificateReady(live)
	for _, c := range live.Status.Conditions {
		if c.Type == cmapi.CertificateConditionReady && !cs.Ready {
			cs.Message = c.Message
		}
	}
	if !cs.Ready && cs.Message == "" {
		cs.Message = "waiting for cert-manager to issue the certificate"
	}
	return cs
}

// issuerMessage puts the issuer problems in front of the certificates' own messages.
func issuerMessage(issuers []string, certificates string) string {
	return "waiting for the issuer: " + strings.Join(issuers, "; ") + " (" + certificates + ")"
}

// certificateReady reports cert-manager's Ready condition, but only when it describes the
// Certificate's current generation: the spec ucdeploy asked for.
func certificateReady(c *cmapi.Certificate) bool {
	for _, cond := range c.Status.Conditions {
		if cond.Type == cmapi.CertificateConditionReady {
			return cond.Status == cmmeta.ConditionTrue && cond.ObservedGeneration == c.Generation
		}
	}
	return false
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
	count := map[plan.Severity]int{}
	for _, f := range fs {
		out = append(out, f.API())
		count[f.Severity]++
	}
	var parts []string
	for _, s := range []struct {
		sev  plan.Severity
		word string
	}{{plan.SeverityError, "error"}, {plan.SeverityWarning, "warning"}, {plan.SeverityInfo, "info"}} {
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

// endpointsCondition is the DNSEndpointsReady condition of an enabled spec.dns.dnsEndpoint.
func endpointsCondition(ucd *v1alpha1.UCDeployment, in statusInput) (metav1.ConditionStatus, string, string) {
	gvk := render.DNSEndpointGVK
	e := in.applied.endpoints
	switch {
	case e.state == endpointsPublished:
		n := 0
		for _, view := range render.DNSEndpointViews(ucd) {
			n += len(render.Endpoints(in.plan.RecordsFor(view)))
		}
		return metav1.ConditionTrue, v1alpha1.ReasonEndpointsPublished, fmt.Sprintf("%d endpoints in DNSEndpoints %s", n, strings.Join(e.names, ", "))
	case e.state == endpointsCRDMissing:
		return metav1.ConditionFalse, v1alpha1.ReasonCRDNotInstalled, fmt.Sprintf(
			"the %s CRD (%s, from external-dns) is not installed, so no DNSEndpoint is published; the records are in the DNS ConfigMaps. "+
				"Install the CRD, or disable spec.dns.dnsEndpoint; this is checked again every few minutes", gvk.Kind, gvk.GroupVersion())
	case !in.applied.ran:
		return metav1.ConditionFalse, v1alpha1.ReasonEndpointsNotPublished, "nothing new is applied while the deployment is stalled; the DNSEndpoints are left as they are"
	case e.err != nil:
		return metav1.ConditionFalse, v1alpha1.ReasonEndpointsNotPublished, e.err.Error()
	}
	return metav1.ConditionFalse, v1alpha1.ReasonEndpointsNotPublished, "the DNSEndpoints are not up to date"
}
