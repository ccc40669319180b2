package v1alpha1

// Condition types of a UCDeployment's status. Reconciling and Stalled follow kstatus: they are
// present only while True.
const (
	// ConditionReady summarises the others: True when every certificate is issued and the DNS
	// records are published.
	ConditionReady = "Ready"
	// ConditionCertificatesReady is True when cert-manager reports every planned Certificate Ready.
	ConditionCertificatesReady = "CertificatesReady"
	// ConditionDNSRecordsReady is True when the DNS ConfigMaps hold the planned records.
	ConditionDNSRecordsReady = "DNSRecordsReady"
	// ConditionDNSEndpointsReady is present only while spec.dns.dnsEndpoint is enabled. It does
	// not take part in Ready when the CRD is missing (reason CRDNotInstalled): the ConfigMaps
	// still carry every record, and installing external-dns is the cluster's business.
	ConditionDNSEndpointsReady = "DNSEndpointsReady"
	// ConditionDNSRecordsVerified is present only while spec.dns.verify is set: True when every
	// planned record of every listed view answers as planned at each of its nameservers, False
	// naming the first that do not (status.dns.mismatches), Unknown while a nameserver does not
	// answer or verification is disabled. Ready does not depend on it: someone else may publish
	// the records, later.
	ConditionDNSRecordsVerified = "DNSRecordsVerified"
	// ConditionCertificatesServed is present only while spec.certificates.verifyServed is set:
	// True when every checked listener serves its certificate's current revision, False naming
	// the first listeners that do not (status.servedCertificates), Unknown while a listener
	// cannot be reached, the first pass runs or verification is disabled. Ready does not depend
	// on it: the Windows servers import and bind the certificates, not the controller.
	ConditionCertificatesServed = "CertificatesServed"
	// ConditionReconciling is True while the controller works towards the spec.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True while the controller cannot make progress without a change.
	ConditionStalled = "Stalled"
)

// Condition reasons. They are stable: tools match on them.
const (
	// ReasonSucceeded: the condition holds.
	ReasonSucceeded = "Succeeded"
	// ReasonPlanHasErrors: the planner reported Error findings; nothing new is applied.
	ReasonPlanHasErrors = "PlanHasErrors"
	// ReasonNameConflict: an object the controller does not own holds a child's name.
	ReasonNameConflict = "NameConflict"
	// ReasonApplyFailed: the API server refused a child.
	ReasonApplyFailed = "ApplyFailed"
	// ReasonCertificatesNotReady: cert-manager has not issued every certificate yet.
	ReasonCertificatesNotReady = "CertificatesNotReady"
	// ReasonIssuerNotReady: a referenced issuer is missing or not Ready.
	ReasonIssuerNotReady = "IssuerNotReady"
	// ReasonIssuerNotAllowed: the spec names a ClusterIssuer outside --allowed-cluster-issuers.
	ReasonIssuerNotAllowed = "IssuerNotAllowed"
	// ReasonCertificatesReady: every certificate is issued.
	ReasonCertificatesReady = "CertificatesReady"
	// ReasonRecordsPublished: the DNS ConfigMaps hold the planned records.
	ReasonRecordsPublished = "RecordsPublished"
	// ReasonRecordsNotPublished: the DNS ConfigMaps are not up to date.
	ReasonRecordsNotPublished = "RecordsNotPublished"
	// ReasonProgressing: the controller is working towards the spec.
	ReasonProgressing = "Progressing"
	// ReasonEndpointsPublished: the DNSEndpoints hold the planned records.
	ReasonEndpointsPublished = "EndpointsPublished"
	// ReasonEndpointsNotPublished: the DNSEndpoints are not up to date.
	ReasonEndpointsNotPublished = "EndpointsNotPublished"
	// ReasonCRDNotInstalled: the DNSEndpoint CRD of external-dns is not installed.
	ReasonCRDNotInstalled = "CRDNotInstalled"
	// ReasonRecordsVerified: every planned record answers as planned.
	ReasonRecordsVerified = "RecordsVerified"
	// ReasonRecordsMismatched: some planned records are missing or answer otherwise.
	ReasonRecordsMismatched = "RecordsMismatched"
	// ReasonNameserverUnreachable: a nameserver of spec.dns.verify does not answer.
	ReasonNameserverUnreachable = "NameserverUnreachable"
	// ReasonVerificationDisabled: the manager runs without --dns-verify-nameservers, or the
	// spec's nameservers are outside it.
	ReasonVerificationDisabled = "VerificationDisabled"
	// ReasonVerificationPending: the first verification pass of these nameservers and records
	// is queued or running, outside the reconcile; the condition follows when it ends.
	ReasonVerificationPending = "VerificationPending"
	// ReasonCertificatesServed: every checked listener serves its certificate's current revision.
	ReasonCertificatesServed = "CertificatesServed"
	// ReasonCertificatesNotServed: some listeners serve another certificate than the current
	// revision (Outdated, Foreign, Expired or IncompleteChain).
	ReasonCertificatesNotServed = "CertificatesNotServed"
	// ReasonListenerUnreachable: a listener of spec.certificates.verifyServed could not be read.
	ReasonListenerUnreachable = "ListenerUnreachable"
	// ReasonCertificateRequestsUnreadable: the CertificateRequests holding the issued revisions
	// could not be listed.
	ReasonCertificateRequestsUnreadable = "CertificateRequestsUnreadable"
	// ReasonNoListeners: no planned listener has an address to connect to.
	ReasonNoListeners = "NoListeners"
	// ReasonRenewed is the reason of the event a new certificate revision raises: the Windows
	// servers must import and bind the new certificate (R-K8S-03).
	ReasonRenewed = "Renewed"
)

// Issuer classes: which CA signs a planned certificate (status.certificates[].issuer).
const (
	// IssuerClassPublic is a public CA, for the names the Internet sees.
	IssuerClassPublic = "public"
	// IssuerClassInternal is the enterprise CA, for names only domain members see.
	IssuerClassInternal = "internal"
)

// DefaultIssuerKind is the kind of an IssuerRef that names none (the CRD's default).
const DefaultIssuerKind = "ClusterIssuer"

// KindOrDefault is the referenced kind: Issuer or ClusterIssuer, ClusterIssuer when unset.
func (r *IssuerRef) KindOrDefault() string {
	if r.Kind == "" {
		return DefaultIssuerKind
	}
	return r.Kind
}

// IssuerFor returns the issuer reference of an issuer class, nil when the spec names none.
func (c CertificatesSpec) IssuerFor(class string) *IssuerRef {
	switch class {
	case IssuerClassPublic:
		return c.PublicIssuerRef
	case IssuerClassInternal:
		return c.InternalIssuerRef
	}
	return nil
}

// Severity is how much a planner finding matters.
// +kubebuilder:validation:Enum=Error;Warning;Info
type Severity string

// Finding severities.
const (
	// SeverityError marks a design that does not work; nothing is applied while one is present.
	SeverityError Severity = "Error"
	// SeverityWarning marks a design that works but is discouraged or uncertain.
	SeverityWarning Severity = "Warning"
	// SeverityInfo is advice.
	SeverityInfo Severity = "Info"
)
